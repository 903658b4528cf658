/**
 * The typed Lex V2 bot definition: one schema that the CloudFormation converter (`to-cfn.ts`) and the
 * local Lex runtime (`local/lex/`) both read, so the deployed bot and the local one cannot drift.
 *
 * Limits follow the Lex V2 model API (and CDK's synth-time checks): 1–5 message groups per response,
 * up to 2 variations per group, fulfillment delays/frequencies/timeouts of 1–900 seconds.
 *
 * How Lex plays a response: ONE message from EVERY message group, in the groups' order. A group holds
 * alternatives (its `message` and up to two `variations`: Lex picks one of them); separate groups are things said
 * one after the other. Write alternatives with {@link oneOf}, never as separate groups, or callers hear them all
 * back to back. The exception is a fulfillment progress (start/update) response: there Lex picks one message among
 * all its groups.
 */
import { z } from 'zod';

/** A definition that does not match the schema; `issues` holds one `path: got X; must be Y` line per problem. */
export class BotDefinitionError extends Error {
  override name = 'BotDefinitionError';
  constructor(readonly issues: readonly string[]) {
    super(`invalid bot definition: ${issues.join('; ')}`);
  }
}

const range = (min: number, max: number) =>
  z
    .number({ error: `must be a number ${min}–${max}` })
    .min(min, { error: `must be ${min}–${max}` })
    .max(max, { error: `must be ${min}–${max}` });

const intRange = (min: number, max: number) => range(min, max).int({ error: `must be a whole number ${min}–${max}` });

const text = (max: number) =>
  z
    .string({ error: `must be a string of 1–${max} characters` })
    .min(1, { error: `must be 1–${max} characters` })
    .max(max, { error: `must be 1–${max} characters` });

/** Lex resource names: letters, digits, `_` and `-`, not starting with a separator. */
const resourceName = text(100).regex(/^([0-9a-zA-Z][_-]?)+$/, {
  error: 'must be letters, digits, "_" or "-" (no leading separator, no two separators in a row)',
});

/**
 * One message group: alternatives for ONE thing to say. Lex says either `message` or one of the (up to two)
 * `variations`, at random.
 */
export const messageGroupSchema = z.object({
  message: text(1000),
  variations: z.array(text(1000)).max(2, { error: 'must be 0–2 variations' }).default([]),
});

const groupList = () =>
  z
    .array(messageGroupSchema, { error: 'must be a list of 1–5 message groups' })
    .min(1, { error: 'must be 1–5 message groups' })
    .max(5, { error: 'must be 1–5 message groups' });

/**
 * What a response or prompt says, as a SEQUENCE: Lex says one message (the main one or a variation) from every
 * group, in this order. Alternatives belong in one group ({@link oneOf}), not in separate groups.
 */
const messageGroups = groupList();

/** What a progress (start/update) response may say: Lex picks ONE message among all the groups and their variations. */
const progressMessageGroups = groupList();

/** A response Lex speaks: one message from each of its 1–5 message groups, in order. */
export const responseSchema = z.object({
  /** When false the response is left out of the bot (Lex then says nothing for this step). */
  active: z.boolean().default(true),
  messageGroups,
  allowInterrupt: z.boolean().default(true),
});

/** A prompt that asks the user for something (a slot value, a confirmation); played like a response. */
export const promptSchema = z.object({
  messageGroups,
  /** Re-prompts after an answer Lex could not use, before the intent fails. */
  maxRetries: intRange(0, 5).default(2),
  allowInterrupt: z.boolean().default(true),
});

export const slotTypeValueSchema = z.object({
  value: text(140),
  synonyms: z.array(text(140)).max(20, { error: 'must be 0–20 synonyms' }).default([]),
});

export const slotTypeSchema = z.object({
  name: resourceName,
  description: z.string().max(200).optional(),
  values: z.array(slotTypeValueSchema).min(1, { error: 'must be at least 1 value' }),
  /** `TOP_RESOLUTION` returns the canonical value; `ORIGINAL_VALUE` returns what the user said. */
  resolutionStrategy: z.enum(['ORIGINAL_VALUE', 'TOP_RESOLUTION'], {
    error: 'must be "ORIGINAL_VALUE" or "TOP_RESOLUTION"',
  }),
});

export const slotSchema = z.object({
  name: resourceName,
  /** A slot type defined in `slotTypes`, or a built-in such as `AMAZON.Date` / `AMAZON.Time`. */
  slotTypeName: text(100),
  description: z.string().max(200).optional(),
  required: z.boolean().default(true),
  prompt: promptSchema,
});

/** Fulfillment progress updates: what Lex says while a slow fulfillment Lambda runs. */
export const fulfillmentUpdatesSchema = z.object({
  active: z.boolean(),
  startResponse: z
    .object({
      active: z.boolean().default(true),
      delayInSeconds: intRange(1, 900),
      messageGroups: progressMessageGroups,
      allowInterrupt: z.boolean().default(false),
    })
    .optional(),
  updateResponse: z
    .object({
      active: z.boolean().default(true),
      frequencyInSeconds: intRange(1, 900),
      messageGroups: progressMessageGroups,
      allowInterrupt: z.boolean().default(false),
    })
    .optional(),
  /** How long the fulfillment Lambda may run before Lex gives up and speaks the timeout response. */
  timeoutInSeconds: intRange(1, 900),
});

/** What Lex says after fulfillment: success, failure, or timeout. */
export const postFulfillmentSchema = z.object({
  successResponse: responseSchema.optional(),
  failureResponse: responseSchema.optional(),
  timeoutResponse: responseSchema.optional(),
});

export const fulfillmentSchema = z.object({
  /** Whether the fulfillment code hook (the Lambda) is enabled and active. */
  codeHook: z.boolean().default(true),
  updates: fulfillmentUpdatesSchema.optional(),
  postFulfillment: postFulfillmentSchema.optional(),
});

export const confirmationSchema = z.object({
  active: z.boolean().default(true),
  prompt: promptSchema,
  declinationResponse: responseSchema,
});

export const intentSchema = z.object({
  name: resourceName,
  description: z.string().max(200).optional(),
  /** `AMAZON.FallbackIntent` for the fallback intent; otherwise unset. */
  parentIntentSignature: z.literal('AMAZON.FallbackIntent').optional(),
  sampleUtterances: z.array(text(200)).default([]),
  /** Slots in priority order: Lex elicits the first missing required slot first. */
  slots: z.array(slotSchema).default([]),
  confirmation: confirmationSchema.optional(),
  fulfillment: fulfillmentSchema.optional(),
  /** Said when the intent closes without a fulfillment code hook (e.g. the fallback intent). */
  closingResponse: responseSchema.optional(),
});

export const localeSchema = z.object({
  localeId: z.string().regex(/^[a-z]{2}_[A-Z]{2}$/, { error: 'must be a locale such as "en_US"' }),
  description: z.string().max(200).optional(),
  /** Intents scoring below this are not offered; an utterance matching none goes to FallbackIntent. */
  nluConfidenceThreshold: range(0, 1),
  voice: z.object({
    voiceId: text(100),
    engine: z.enum(['standard', 'neural', 'long-form', 'generative']).default('neural'),
  }),
});

const FALLBACK = 'FallbackIntent';

export const botDefinitionSchema = z
  .object({
    bot: z.object({
      name: resourceName,
      description: z.string().max(200).optional(),
      idleSessionTTLInSeconds: intRange(60, 86400),
      dataPrivacy: z.object({ childDirected: z.boolean() }),
    }),
    locale: localeSchema,
    slotTypes: z.array(slotTypeSchema).default([]),
    intents: z.array(intentSchema).min(1, { error: 'must contain at least FallbackIntent' }),
  })
  .superRefine((def, ctx) => {
    const typeNames = new Set(def.slotTypes.map((t) => t.name));
    const seenIntents = new Set<string>();
    def.intents.forEach((intent, i) => {
      if (seenIntents.has(intent.name))
        ctx.addIssue({ code: 'custom', path: ['intents', i, 'name'], message: 'must be unique' });
      seenIntents.add(intent.name);
      const slotNames = new Set(intent.slots.map((s) => s.name));
      intent.slots.forEach((slot, j) => {
        if (!typeNames.has(slot.slotTypeName) && !slot.slotTypeName.startsWith('AMAZON.'))
          ctx.addIssue({
            code: 'custom',
            path: ['intents', i, 'slots', j, 'slotTypeName'],
            message: `must be a slot type defined in slotTypes (${[...typeNames].join(', ') || 'none'}) or AMAZON.*`,
          });
      });
      const checkPlaceholders = (groups: MessageGroupLike[] | undefined, path: PropertyKey[]) => {
        (groups ?? []).forEach((g, k) =>
          [g.message, ...g.variations].forEach((m) => {
            for (const ref of placeholders(m))
              if (!slotNames.has(ref))
                ctx.addIssue({
                  code: 'custom',
                  path: [...path, k, 'message'],
                  message: `placeholder {${ref}} must name a slot of this intent (${[...slotNames].join(', ') || 'none'})`,
                });
          }),
        );
      };
      intent.slots.forEach((s, j) =>
        checkPlaceholders(s.prompt.messageGroups, ['intents', i, 'slots', j, 'prompt', 'messageGroups']),
      );
      checkPlaceholders(intent.confirmation?.prompt.messageGroups, [
        'intents',
        i,
        'confirmation',
        'prompt',
        'messageGroups',
      ]);
      const updates = intent.fulfillment?.updates;
      if (updates?.startResponse && updates.startResponse.delayInSeconds >= updates.timeoutInSeconds)
        ctx.addIssue({
          code: 'custom',
          path: ['intents', i, 'fulfillment', 'updates', 'startResponse', 'delayInSeconds'],
          message: `must be less than timeoutInSeconds (${updates.timeoutInSeconds})`,
        });
      if (intent.name === FALLBACK && intent.parentIntentSignature !== 'AMAZON.FallbackIntent')
        ctx.addIssue({
          code: 'custom',
          path: ['intents', i, 'parentIntentSignature'],
          message: 'must be "AMAZON.FallbackIntent" for FallbackIntent',
        });
      if (intent.parentIntentSignature === 'AMAZON.FallbackIntent' && intent.sampleUtterances.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['intents', i, 'sampleUtterances'],
          message: 'must be empty for the fallback intent',
        });
      if (intent.parentIntentSignature !== 'AMAZON.FallbackIntent' && intent.sampleUtterances.length === 0)
        ctx.addIssue({ code: 'custom', path: ['intents', i, 'sampleUtterances'], message: 'must not be empty' });
    });
    if (!def.intents.some((i) => i.name === FALLBACK && i.parentIntentSignature === 'AMAZON.FallbackIntent'))
      ctx.addIssue({
        code: 'custom',
        path: ['intents'],
        message: 'must contain FallbackIntent (parentIntentSignature AMAZON.FallbackIntent): Lex V2 requires it',
      });
  });

interface MessageGroupLike {
  message: string;
  variations: string[];
}

/** What callers write (defaults may be left out). */
export type BotDefinitionInput = z.input<typeof botDefinitionSchema>;
/** A validated definition with every default filled in. */
export type BotDefinition = z.infer<typeof botDefinitionSchema>;
export type IntentDefinition = z.infer<typeof intentSchema>;
export type SlotDefinition = z.infer<typeof slotSchema>;
export type SlotTypeDefinition = z.infer<typeof slotTypeSchema>;
export type MessageGroup = z.infer<typeof messageGroupSchema>;
export type ResponseDefinition = z.infer<typeof responseSchema>;
export type PromptDefinition = z.infer<typeof promptSchema>;
export type FulfillmentUpdates = z.infer<typeof fulfillmentUpdatesSchema>;
export type PostFulfillment = z.infer<typeof postFulfillmentSchema>;

/** The intent every Lex V2 locale must have. */
export const FALLBACK_INTENT = FALLBACK;

/** A message group as written: `message`, and `variations` (0–2) that may be left out. */
export type MessageGroupInput = z.input<typeof messageGroupSchema>;

/**
 * One message group of alternatives: Lex says `message` or one of `variations` (at most two), so a caller hears
 * exactly one of them. A response of several groups says one message of each, in order.
 */
export function oneOf(message: string, ...variations: string[]): MessageGroupInput {
  return { message, variations };
}

/** Slot names referenced as `{Slot}` in a message. */
export function placeholders(message: string): string[] {
  return [...message.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1] ?? '');
}

/** Validates a definition; throws {@link BotDefinitionError} naming each bad path, the value received and the valid range. */
export function parseBotDefinition(input: unknown): BotDefinition {
  const result = botDefinitionSchema.safeParse(input);
  if (result.success) return result.data;
  throw new BotDefinitionError(result.error.issues.map((issue) => describeIssue(issue, input)));
}

function describeIssue(issue: { path: readonly PropertyKey[]; message: string }, input: unknown): string {
  // Walk the input along the path; name list items by their `name` (intents.OrderFlowers, not intents.0).
  let value: unknown = input;
  const parts: string[] = [];
  for (const key of issue.path) {
    const next: unknown =
      value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    const named =
      typeof key === 'number' && next !== null && typeof next === 'object'
        ? (next as { name?: unknown }).name
        : undefined;
    parts.push(typeof named === 'string' && named !== '' ? named : String(key));
    value = next;
  }
  const got =
    value === undefined ? 'nothing' : Array.isArray(value) ? `${value.length} item(s)` : JSON.stringify(value);
  return `${parts.join('.') || '(definition)'}: got ${got}; ${issue.message}`;
}
