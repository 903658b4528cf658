/**
 * The local Lex V2 runtime over HTTP with the real SDK v3 client: a whole OrderFlowers conversation,
 * declination, fulfillment failure and timeout (with progress updates), and the session APIs.
 */
import type { LexRuntimeV2Client } from '@aws-sdk/client-lex-runtime-v2';
import {
  DeleteSessionCommand,
  GetSessionCommand,
  PutSessionCommand,
  RecognizeTextCommand,
} from '@aws-sdk/client-lex-runtime-v2';
import { orderFlowers } from '../../bot/order-flowers';
import type { LexV2CodeHookEvent, LexV2CodeHookResponse } from '../../bot/fulfillment-core';
import { OrderBackendError, fulfillOrder } from '../../bot/fulfillment-core';
import type { LocalLexRegion } from '../../local/lex';
import { decodeLexHeader, localBotIds, scaledTimer, startLocalLexRegion } from '../../local/lex';
import { lexV2Client, quiet, seeded, texts } from './local-lex-fixture';

/** Bot time runs 100× faster than the wall clock: the 30 s fulfillment timeout takes 300 ms. */
const SCALE = 100;
const fastTimer = scaledTimer(SCALE);

const definition = orderFlowers();
const orderIntent = definition.intents.find((i) => i.name === 'OrderFlowers');
const post = orderIntent?.fulfillment?.postFulfillment;
const SUCCESS = texts(post?.successResponse?.messageGroups);
const FAILURE = texts(post?.failureResponse?.messageGroups);
const TIMEOUT = texts(post?.timeoutResponse?.messageGroups);

const ids = localBotIds('us-east-1', 'OrderFlowers');
let region: LocalLexRegion;
let client: LexRuntimeV2Client;
/** What the back end does for the current test. */
let placeOrder: (o: unknown) => Promise<{ orderId: string }> = async () => ({ orderId: 'ORD-1' });
const events: LexV2CodeHookEvent[] = [];

beforeAll(async () => {
  region = await startLocalLexRegion({
    region: 'us-east-1',
    bots: [{ definition, ...ids, botName: 'OrderFlowers', botAlias: 'live' }],
    fulfill: (e): Promise<LexV2CodeHookResponse> => {
      events.push(e);
      return fulfillOrder(e, { placeOrder: (o) => placeOrder(o), logger: quiet });
    },
    random: seeded(7),
    timer: fastTimer,
  });
  client = lexV2Client(region);
});

afterAll(async () => {
  client.destroy();
  await region.close();
});

let n = 0;
const newSession = () => ({ ...ids, localeId: 'en_US', sessionId: `session-${++n}` });
const say = (s: ReturnType<typeof newSession>, text: string) => client.send(new RecognizeTextCommand({ ...s, text }));

/** Drives the conversation up to the confirmation prompt. */
async function toConfirmation(s: ReturnType<typeof newSession>) {
  const first = await say(s, 'I would like to order some flowers');
  expect(first.interpretations?.[0]?.intent?.name).toBe('OrderFlowers');
  expect(first.interpretations?.[0]?.nluConfidence?.score).toBeGreaterThanOrEqual(
    definition.locale.nluConfidenceThreshold,
  );
  expect(first.sessionState?.dialogAction).toEqual({ type: 'ElicitSlot', slotToElicit: 'FlowerType' });
  expect(first.messages?.[0]?.content).toBe('What type of flowers would you like to order?');

  const flower = await say(s, 'roses');
  expect(flower.sessionState?.dialogAction).toEqual({ type: 'ElicitSlot', slotToElicit: 'PickupDate' });
  expect(flower.messages?.[0]?.content).toBe('What day do you want the roses to be picked up?');

  const date = await say(s, 'tomorrow');
  expect(date.sessionState?.dialogAction).toEqual({ type: 'ElicitSlot', slotToElicit: 'PickupTime' });
  expect(date.sessionState?.intent?.slots?.PickupDate?.value?.interpretedValue).toMatch(/^\d{4}-\d{2}-\d{2}$/);

  const time = await say(s, '5:30 pm');
  expect(time.sessionState?.dialogAction?.type).toBe('ConfirmIntent');
  expect(time.sessionState?.intent?.slots?.PickupTime?.value?.interpretedValue).toBe('17:30');
  const pickupDate = time.sessionState?.intent?.slots?.PickupDate?.value?.interpretedValue;
  expect(time.messages?.[0]?.content).toBe(
    `Okay, your roses will be ready for pickup by 17:30 on ${pickupDate}. Does this sound okay?`,
  );
  return time;
}

describe('local Lex V2 runtime: OrderFlowers over RecognizeText', () => {
  beforeEach(() => {
    events.length = 0;
    placeOrder = async () => ({ orderId: 'ORD-1' });
  });

  it('runs a whole conversation to Fulfilled with a success message from the defined groups', async () => {
    const s = newSession();
    await toConfirmation(s);
    const done = await say(s, 'yes');
    expect(done.sessionState?.dialogAction?.type).toBe('Close');
    expect(done.sessionState?.intent?.state).toBe('Fulfilled');
    expect(done.sessionState?.intent?.confirmationState).toBe('Confirmed');
    expect(SUCCESS).toContain(done.messages?.[0]?.content);
    expect(done.sessionState?.sessionAttributes?.orderId).toBe('ORD-1');
    // The code hook got a real Lex V2 event.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      invocationSource: 'FulfillmentCodeHook',
      sessionId: s.sessionId,
      inputTranscript: 'yes',
      bot: { id: ids.botId, aliasId: ids.botAliasId, localeId: 'en_US', name: 'OrderFlowers' },
      sessionState: { intent: { name: 'OrderFlowers', confirmationState: 'Confirmed' } },
    });
  });

  it('fills every slot from one utterance and goes straight to confirmation', async () => {
    const r = await say(newSession(), 'I would like to order some tulips for tomorrow at 10 am');
    expect(r.sessionState?.dialogAction?.type).toBe('ConfirmIntent');
    expect(r.sessionState?.intent?.slots?.FlowerType?.value?.interpretedValue).toBe('tulips');
    expect(r.sessionState?.intent?.slots?.PickupTime?.value?.interpretedValue).toBe('10:00');
  });

  it('re-prompts for a slot when the answer does not fit it', async () => {
    const s = newSession();
    await say(s, 'I would like to pick up flowers');
    const r = await say(s, 'sunflowers');
    expect(r.sessionState?.dialogAction).toEqual({ type: 'ElicitSlot', slotToElicit: 'FlowerType' });
  });

  it('closes without ordering when the caller declines', async () => {
    const s = newSession();
    await toConfirmation(s);
    const r = await say(s, 'no');
    expect(r.sessionState?.dialogAction?.type).toBe('Close');
    expect(r.sessionState?.intent?.state).toBe('Failed');
    expect(r.sessionState?.intent?.confirmationState).toBe('Denied');
    expect(r.messages?.[0]?.content).toBe('Okay, I will not place your order.');
    expect(events).toHaveLength(0);
  });

  it('speaks a failure response when the order back end fails', async () => {
    placeOrder = async () => {
      throw new OrderBackendError('warehouse offline');
    };
    const s = newSession();
    await toConfirmation(s);
    const r = await say(s, 'yes');
    expect(r.sessionState?.intent?.state).toBe('Failed');
    expect(r.sessionState?.dialogAction?.type).toBe('Close');
    expect(FAILURE).toContain(r.messages?.[0]?.content);
  });

  it('speaks a timeout response when fulfillment runs past the timeout, after start and update messages', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    placeOrder = async () => {
      await held;
      return { orderId: 'late' };
    };
    const s = newSession();
    await toConfirmation(s);
    const r = await say(s, 'yes');
    release();
    expect(r.sessionState?.intent?.state).toBe('Failed');
    expect(TIMEOUT).toContain(r.messages?.[0]?.content);
    const progress = region.progress(s.sessionId);
    const start = progress.find((p) => p.kind === 'start');
    // Start after its 2 s delay, then updates every 5 s, all before the 30 s timeout.
    expect(start?.afterMs).toBeGreaterThanOrEqual(2000);
    expect(start?.afterMs).toBeLessThan(7000);
    expect(texts(orderIntent?.fulfillment?.updates?.startResponse?.messageGroups)).toContain(start?.message);
    const updates = progress.filter((p) => p.kind === 'update');
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(updates.every((u) => u.afterMs < 30_000 + 5000)).toBe(true);
  });

  it('succeeds after a slow order, having recorded the start message after its 2 s delay', async () => {
    placeOrder = () => new Promise((resolve) => setTimeout(() => resolve({ orderId: 'ORD-slow' }), 10_000 / SCALE));
    const s = newSession();
    await toConfirmation(s);
    const r = await say(s, 'yes');
    expect(r.sessionState?.intent?.state).toBe('Fulfilled');
    expect(SUCCESS).toContain(r.messages?.[0]?.content);
    const progress = region.progress(s.sessionId);
    expect(progress[0]).toMatchObject({ kind: 'start', sessionId: s.sessionId });
    expect(progress[0]?.afterMs).toBeGreaterThanOrEqual(2000);
    expect(progress.filter((p) => p.kind === 'update').length).toBeGreaterThanOrEqual(1);
  });

  it('records no progress message when fulfillment ends before the start delay', async () => {
    const s = newSession();
    await toConfirmation(s);
    await say(s, 'yes');
    expect(region.progress(s.sessionId)).toEqual([]);
  });

  it('answers an unrelated utterance with FallbackIntent', async () => {
    const r = await say(newSession(), 'what is the weather on mars');
    expect(r.interpretations?.[0]?.intent?.name).toBe('FallbackIntent');
    expect(r.sessionState?.intent?.name).toBe('FallbackIntent');
    expect(r.sessionState?.dialogAction?.type).toBe('Close');
  });
});

describe('local Lex V2 runtime: session APIs', () => {
  it('round-trips PutSession, GetSession and DeleteSession', async () => {
    const s = newSession();
    const put = await client.send(
      new PutSessionCommand({
        ...s,
        sessionState: {
          dialogAction: { type: 'ElicitSlot', slotToElicit: 'PickupDate' },
          intent: {
            name: 'OrderFlowers',
            state: 'InProgress',
            slots: {
              FlowerType: { value: { originalValue: 'lily', interpretedValue: 'lilies', resolvedValues: ['lilies'] } },
            },
          },
          sessionAttributes: { probe: 'liveness' },
        },
      }),
    );
    expect(put.sessionId).toBe(s.sessionId);
    // Lex V2 sends these headers gzip-compressed and base64-encoded.
    expect(decodeLexHeader(put.sessionState ?? '')).toMatchObject({
      dialogAction: { type: 'ElicitSlot', slotToElicit: 'PickupDate' },
      sessionAttributes: { probe: 'liveness' },
    });
    expect(decodeLexHeader<{ content: string }[]>(put.messages ?? '')[0]?.content).toBe(
      'What day do you want the lilies to be picked up?',
    );

    const got = await client.send(new GetSessionCommand(s));
    expect(got.sessionId).toBe(s.sessionId);
    expect(got.sessionState?.intent?.slots?.FlowerType?.value?.interpretedValue).toBe('lilies');
    expect(got.sessionState?.sessionAttributes).toEqual({ probe: 'liveness' });

    // The conversation continues from the state that was put.
    const next = await say(s, 'friday');
    expect(next.sessionState?.dialogAction).toEqual({ type: 'ElicitSlot', slotToElicit: 'PickupTime' });

    const del = await client.send(new DeleteSessionCommand(s));
    expect(del).toMatchObject({
      botId: ids.botId,
      botAliasId: ids.botAliasId,
      localeId: 'en_US',
      sessionId: s.sessionId,
    });
    await expect(client.send(new GetSessionCommand(s))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('rejects an unknown bot with ResourceNotFoundException and a bad session ID with ValidationException', async () => {
    await expect(client.send(new GetSessionCommand({ ...newSession(), botId: 'NOSUCHBOT0' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(say({ ...newSession(), sessionId: 'x' }, 'hello')).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('counts requests per operation', () => {
    const stats = region.stats();
    expect(stats['V2.RecognizeText']).toBeGreaterThan(10);
    expect(stats['V2.PutSession']).toBe(1);
    expect(stats['V2.DeleteSession']).toBe(1);
    expect(stats['V1.PostText']).toBeUndefined();
  });
});
