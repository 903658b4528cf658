/**
 * OrderFlowers fulfillment, free of Lambda and environment: validates the Lex V2 code-hook event,
 * places the order through an injected back end and answers Lex. The messages the caller hears come
 * from the bot's post-fulfillment responses (success/failure/timeout), so the core sends none.
 */
import { z } from 'zod';

/** The Lex V2 code-hook event did not match the expected shape. */
export class InvalidCodeHookEventError extends Error {
  override name = 'InvalidCodeHookEventError';
}

/** A slot the order needs was not filled. */
export class MissingSlotError extends Error {
  override name = 'MissingSlotError';
}

/** The order back end refused or failed. */
export class OrderBackendError extends Error {
  override name = 'OrderBackendError';
}

const slotValueSchema = z.looseObject({
  originalValue: z.string().optional(),
  interpretedValue: z.string(),
  resolvedValues: z.array(z.string()).optional(),
});

const slotSchema = z.looseObject({ shape: z.string().optional(), value: slotValueSchema.optional() });

const intentSchema = z.looseObject({
  name: z.string().min(1),
  slots: z.record(z.string(), slotSchema.nullable()).default({}),
  state: z.enum(['Failed', 'Fulfilled', 'FulfillmentInProgress', 'InProgress', 'ReadyForFulfillment', 'Waiting']),
  confirmationState: z.enum(['Confirmed', 'Denied', 'None']).optional(),
});

/** The Lex V2 Lambda input event (the fields lexdr relies on; others pass through). */
export const lexV2CodeHookEventSchema = z.looseObject({
  messageVersion: z.string().optional(),
  invocationSource: z.enum(['DialogCodeHook', 'FulfillmentCodeHook']),
  inputMode: z.string().optional(),
  responseContentType: z.string().optional(),
  sessionId: z.string().min(1),
  inputTranscript: z.string(),
  bot: z.looseObject({
    id: z.string().min(1),
    name: z.string().min(1),
    aliasId: z.string().min(1),
    aliasName: z.string().optional(),
    localeId: z.string().min(1),
    version: z.string().optional(),
  }),
  interpretations: z.array(z.unknown()).optional(),
  requestAttributes: z.record(z.string(), z.string()).optional(),
  sessionState: z.looseObject({
    sessionAttributes: z.record(z.string(), z.string()).optional(),
    activeContexts: z.array(z.unknown()).optional(),
    originatingRequestId: z.string().optional(),
    intent: intentSchema,
  }),
});

export type LexV2CodeHookEvent = z.infer<typeof lexV2CodeHookEventSchema>;
export type LexV2Intent = z.infer<typeof intentSchema>;

/** The Lex V2 Lambda response. */
export const lexV2CodeHookResponseSchema = z.object({
  sessionState: z.object({
    sessionAttributes: z.record(z.string(), z.string()).optional(),
    dialogAction: z.object({
      type: z.enum(['Close', 'ConfirmIntent', 'Delegate', 'ElicitIntent', 'ElicitSlot']),
      slotToElicit: z.string().optional(),
    }),
    intent: intentSchema.optional(),
  }),
  messages: z
    .array(
      z.object({
        contentType: z.enum(['PlainText', 'SSML', 'CustomPayload', 'ImageResponseCard']),
        content: z.string(),
      }),
    )
    .optional(),
  requestAttributes: z.record(z.string(), z.string()).optional(),
});

export type LexV2CodeHookResponse = z.infer<typeof lexV2CodeHookResponseSchema>;

export interface FlowerOrder {
  flowerType: string;
  pickupDate: string;
  pickupTime: string;
  sessionId: string;
}

/** The minimal logger the core needs (Powertools' Logger fits). */
export interface CoreLogger {
  info(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface FulfillmentDeps {
  /** Places the order; may be slow; rejects when the back end fails. */
  placeOrder(order: FlowerOrder): Promise<{ orderId: string }>;
  logger: CoreLogger;
  /** @default Date.now */
  now?: () => number;
}

/** Handles one Lex V2 code-hook call. Never throws: every problem becomes a `Failed` intent and a logged error. */
export async function fulfillOrder(rawEvent: unknown, deps: FulfillmentDeps): Promise<LexV2CodeHookResponse> {
  const now = deps.now ?? Date.now;
  const parsed = lexV2CodeHookEventSchema.safeParse(rawEvent);
  if (!parsed.success) {
    const error = new InvalidCodeHookEventError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; '),
    );
    deps.logger.error('invalid Lex code-hook event', { error });
    return close(salvageIntent(rawEvent), 'Failed');
  }
  const event = parsed.data;
  const intent = event.sessionState.intent;
  const sessionAttributes = event.sessionState.sessionAttributes;
  const started = now();
  try {
    const order = orderFrom(event);
    const { orderId } = await deps.placeOrder(order);
    deps.logger.info('order placed', { orderId, sessionId: event.sessionId, durationMs: now() - started });
    return close(intent, 'Fulfilled', { ...sessionAttributes, orderId });
  } catch (err) {
    const error = err instanceof Error ? err : new OrderBackendError(String(err));
    deps.logger.error('order failed', { error, sessionId: event.sessionId, durationMs: now() - started });
    return close(intent, 'Failed', sessionAttributes);
  }
}

function orderFrom(event: LexV2CodeHookEvent): FlowerOrder {
  const slots = event.sessionState.intent.slots;
  const value = (name: string): string => {
    const v = slots[name]?.value;
    const s = v?.resolvedValues?.[0] ?? v?.interpretedValue;
    if (!s) throw new MissingSlotError(`slot ${name} is not filled`);
    return s;
  };
  return {
    flowerType: value('FlowerType'),
    pickupDate: value('PickupDate'),
    pickupTime: value('PickupTime'),
    sessionId: event.sessionId,
  };
}

function close(
  intent: LexV2Intent,
  state: 'Fulfilled' | 'Failed',
  sessionAttributes?: Record<string, string>,
): LexV2CodeHookResponse {
  return {
    sessionState: {
      ...(sessionAttributes && { sessionAttributes }),
      dialogAction: { type: 'Close' },
      intent: { ...intent, state },
    },
  };
}

/** The best intent we can answer with when the event is malformed (Lex needs a name). */
function salvageIntent(raw: unknown): LexV2Intent {
  const intent = (raw as { sessionState?: { intent?: { name?: unknown; slots?: unknown } } } | null)?.sessionState
    ?.intent;
  const name = typeof intent?.name === 'string' && intent.name !== '' ? intent.name : 'FallbackIntent';
  const slots = intentSchema.shape.slots.safeParse(intent?.slots);
  return { name, slots: slots.success ? slots.data : {}, state: 'Failed', confirmationState: 'None' };
}

export interface SlowBackendOptions {
  /** How long an order takes. */
  delayMs: number;
  /** Share of orders that fail, 0–1. */
  failRate: number;
  sleep: (ms: number) => Promise<void>;
  /** @default Math.random */
  random?: () => number;
}

/** A deliberately slow order back end: waits `delayMs`, then fails for a `failRate` share of orders. */
export function createSlowBackend(o: SlowBackendOptions): FulfillmentDeps['placeOrder'] {
  const random = o.random ?? Math.random;
  let n = 0;
  return async (order) => {
    await o.sleep(o.delayMs);
    if (random() < o.failRate) throw new OrderBackendError(`order back end failed for ${order.flowerType}`);
    n += 1;
    return { orderId: `ORD-${order.sessionId.slice(0, 8)}-${n}` };
  };
}
