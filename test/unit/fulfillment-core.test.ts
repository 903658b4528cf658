import type { CoreLogger, FlowerOrder, LexV2CodeHookEvent } from '../../bot/fulfillment-core';
import {
  InvalidCodeHookEventError,
  MissingSlotError,
  OrderBackendError,
  createSlowBackend,
  fulfillOrder,
  lexV2CodeHookResponseSchema,
} from '../../bot/fulfillment-core';
import { FulfillmentSettingsError, fulfillmentSettings } from '../../bot/fulfillment';

const slot = (v: string) => ({ value: { originalValue: v, interpretedValue: v, resolvedValues: [v] } });

function event(slots: Record<string, ReturnType<typeof slot> | null> = {}): LexV2CodeHookEvent {
  return {
    messageVersion: '1.0',
    invocationSource: 'FulfillmentCodeHook',
    inputMode: 'Text',
    sessionId: 'session-42',
    inputTranscript: 'yes',
    bot: { id: 'BOTID12345', name: 'OrderFlowers', aliasId: 'ALIAS12345', localeId: 'en_US', version: '1' },
    sessionState: {
      sessionAttributes: { caller: '+15550100' },
      intent: {
        name: 'OrderFlowers',
        slots: { FlowerType: slot('roses'), PickupDate: slot('2026-11-21'), PickupTime: slot('10:00'), ...slots },
        state: 'ReadyForFulfillment',
        confirmationState: 'Confirmed',
      },
    },
  };
}

function recordingLogger() {
  const errors: { message: string; extra: Record<string, unknown> }[] = [];
  const logger: CoreLogger = { info: () => undefined, error: (message, extra) => errors.push({ message, extra }) };
  return { logger, errors };
}

describe('fulfillOrder', () => {
  it('places the order with the slot values and closes the intent as Fulfilled', async () => {
    const orders: FlowerOrder[] = [];
    const { logger, errors } = recordingLogger();
    const res = await fulfillOrder(event(), {
      placeOrder: async (o) => {
        orders.push(o);
        return { orderId: 'ORD-1' };
      },
      logger,
    });
    expect(orders).toEqual([
      { flowerType: 'roses', pickupDate: '2026-11-21', pickupTime: '10:00', sessionId: 'session-42' },
    ]);
    expect(res.sessionState.dialogAction).toEqual({ type: 'Close' });
    expect(res.sessionState.intent).toMatchObject({
      name: 'OrderFlowers',
      state: 'Fulfilled',
      confirmationState: 'Confirmed',
    });
    expect(res.sessionState.sessionAttributes).toEqual({ caller: '+15550100', orderId: 'ORD-1' });
    expect(res.messages).toBeUndefined(); // the bot's success response speaks
    expect(lexV2CodeHookResponseSchema.safeParse(res).success).toBe(true);
    expect(errors).toEqual([]);
  });

  it('closes the intent as Failed and logs the back-end error when the order fails', async () => {
    const { logger, errors } = recordingLogger();
    const res = await fulfillOrder(event(), {
      placeOrder: async () => {
        throw new OrderBackendError('warehouse offline');
      },
      logger,
    });
    expect(res.sessionState.intent?.state).toBe('Failed');
    expect(res.sessionState.dialogAction.type).toBe('Close');
    expect(errors).toHaveLength(1);
    expect((errors[0]?.extra.error as Error).name).toBe('OrderBackendError');
  });

  it('fails with MissingSlotError when a slot is empty, without calling the back end', async () => {
    const { logger, errors } = recordingLogger();
    const placeOrder = jest.fn(async () => ({ orderId: 'never' }));
    const res = await fulfillOrder(event({ PickupTime: null }), { placeOrder, logger });
    expect(res.sessionState.intent?.state).toBe('Failed');
    expect(placeOrder).not.toHaveBeenCalled();
    expect(errors[0]?.extra.error).toBeInstanceOf(MissingSlotError);
  });

  it.each([
    ['nothing', undefined],
    ['no bot', { ...event(), bot: undefined }],
    [
      'a bad intent state',
      { ...event(), sessionState: { intent: { name: 'OrderFlowers', slots: {}, state: 'Happy' } } },
    ],
  ])('answers %s with a Lex-valid Failed response and a logged InvalidCodeHookEventError', async (_, raw) => {
    const { logger, errors } = recordingLogger();
    const res = await fulfillOrder(raw, { placeOrder: async () => ({ orderId: 'x' }), logger });
    expect(lexV2CodeHookResponseSchema.safeParse(res).success).toBe(true);
    expect(res.sessionState.dialogAction.type).toBe('Close');
    expect(res.sessionState.intent?.state).toBe('Failed');
    expect(errors[0]?.extra.error).toBeInstanceOf(InvalidCodeHookEventError);
  });

  it('keeps the intent name of a malformed event when it has one', async () => {
    const { logger } = recordingLogger();
    const res = await fulfillOrder(
      { sessionState: { intent: { name: 'OrderFlowers' } } },
      {
        placeOrder: async () => ({ orderId: 'x' }),
        logger,
      },
    );
    expect(res.sessionState.intent?.name).toBe('OrderFlowers');
  });
});

describe('createSlowBackend', () => {
  const order: FlowerOrder = {
    flowerType: 'lilies',
    pickupDate: '2026-11-21',
    pickupTime: '09:00',
    sessionId: 'abcdefgh-1',
  };

  it('waits the configured delay, then returns an order ID', async () => {
    const slept: number[] = [];
    const placeOrder = createSlowBackend({ delayMs: 3000, failRate: 0, sleep: async (ms) => void slept.push(ms) });
    await expect(placeOrder(order)).resolves.toEqual({ orderId: 'ORD-abcdefgh-1' });
    expect(slept).toEqual([3000]);
  });

  it('fails when the random draw falls under the fail rate', async () => {
    const draws = [0.1, 0.9];
    const placeOrder = createSlowBackend({
      delayMs: 0,
      failRate: 0.5,
      sleep: async () => undefined,
      random: () => draws.shift() ?? 1,
    });
    await expect(placeOrder(order)).rejects.toThrow(OrderBackendError);
    await expect(placeOrder(order)).resolves.toHaveProperty('orderId');
  });
});

describe('fulfillmentSettings', () => {
  it('defaults to a 3000 ms delay and no failures', () => {
    expect(fulfillmentSettings({})).toEqual({ delayMs: 3000, failRate: 0 });
  });

  it('reads FULFILLMENT_DELAY_MS and FULFILLMENT_FAIL_RATE', () => {
    expect(fulfillmentSettings({ FULFILLMENT_DELAY_MS: '250', FULFILLMENT_FAIL_RATE: '0.25' })).toEqual({
      delayMs: 250,
      failRate: 0.25,
    });
  });

  it('names the bad variable and value', () => {
    expect(() => fulfillmentSettings({ FULFILLMENT_FAIL_RATE: '2' })).toThrow(FulfillmentSettingsError);
    expect(() => fulfillmentSettings({ FULFILLMENT_FAIL_RATE: '2' })).toThrow('FULFILLMENT_FAIL_RATE: got "2"');
  });
});
