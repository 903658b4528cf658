/**
 * THE OrderFlowers bot: the AWS sample bot, defined once. The CDK stacks deploy it (through `to-cfn.ts`)
 * and the local Lex regions run it (through `local/lex/`); nothing else holds a copy.
 */
import type { BotDefinition, BotDefinitionInput, MessageGroupInput } from './definition';
import { oneOf, parseBotDefinition } from './definition';

type DeepPartial<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends unknown[]
    ? T[K]
    : NonNullable<T[K]> extends object
      ? DeepPartial<NonNullable<T[K]>>
      : T[K];
};
type IntentInput = BotDefinitionInput['intents'][number];
type FulfillmentInput = NonNullable<IntentInput['fulfillment']>;

/** Values a caller may change; everything left out keeps the sample's value. */
export interface OrderFlowersOverrides {
  /** @default 'OrderFlowers' */
  readonly botName?: string;
  /** @default 'Order flowers for pickup (lexdr sample bot)' */
  readonly description?: string;
  /** @default 300 */
  readonly idleSessionTTLInSeconds?: number;
  /** @default 0.4 */
  readonly nluConfidenceThreshold?: number;
  /** @default 'Danielle' */
  readonly voiceId?: string;
  /** The FlowerTypes slot type values. @default tulips, lilies, roses (with synonyms) */
  readonly flowerTypes?: readonly { value: string; synonyms?: string[] }[];
  /** Extra sample utterances for OrderFlowers, added to the defaults. @default none */
  readonly extraUtterances?: readonly string[];
  /** Fulfillment progress updates, merged over the defaults (start after 2 s, every 5 s, timeout 30 s). */
  readonly updates?: DeepPartial<NonNullable<FulfillmentInput['updates']>>;
  /** Post-fulfillment responses, merged over the defaults. */
  readonly postFulfillment?: DeepPartial<NonNullable<FulfillmentInput['postFulfillment']>>;
  /** Whether the fulfillment Lambda is called. @default true */
  readonly codeHook?: boolean;
}

/**
 * The messages of a progress (start/update) response, one group each: Lex picks one of them per update. Only there;
 * every other response plays all its groups in order, so its alternatives are one group ({@link oneOf}).
 */
const progressChoices = (...messages: string[]): MessageGroupInput[] => messages.map((message) => ({ message }));

const DEFAULT_FLOWER_TYPES = [
  { value: 'tulips', synonyms: ['tulip'] },
  { value: 'lilies', synonyms: ['lily'] },
  { value: 'roses', synonyms: ['rose'] },
];

const DEFAULT_UPDATES: NonNullable<FulfillmentInput['updates']> = {
  active: true,
  startResponse: {
    delayInSeconds: 2,
    messageGroups: progressChoices('We are placing your order…', 'One moment while I place your order.'),
    allowInterrupt: false,
  },
  updateResponse: {
    frequencyInSeconds: 5,
    messageGroups: progressChoices('Still working on your order…', 'Thanks for waiting, nearly done.'),
    allowInterrupt: false,
  },
  timeoutInSeconds: 30,
};

/** Each outcome says one thing, worded one of two or three ways: one group of alternatives. */
const DEFAULT_POST_FULFILLMENT: NonNullable<FulfillmentInput['postFulfillment']> = {
  successResponse: {
    messageGroups: [
      oneOf(
        'Thanks, your order has been placed.',
        'All done: your flowers are ordered.',
        'Your order is in. See you at pickup!',
      ),
    ],
  },
  failureResponse: {
    messageGroups: [
      oneOf(
        'Sorry, I could not place your order. Please try again later.',
        'Something went wrong placing your order. Please call back later.',
      ),
    ],
  },
  timeoutResponse: {
    messageGroups: [
      oneOf(
        'Sorry, placing your order is taking too long. Please try again later.',
        'Our ordering system is slow right now. Please try again in a few minutes.',
      ),
    ],
  },
};

/** The OrderFlowers definition as written, before validation. */
export function orderFlowersInput(o: OrderFlowersOverrides = {}): BotDefinitionInput {
  return {
    bot: {
      name: o.botName ?? 'OrderFlowers',
      description: o.description ?? 'Order flowers for pickup (lexdr sample bot)',
      idleSessionTTLInSeconds: o.idleSessionTTLInSeconds ?? 300,
      dataPrivacy: { childDirected: false },
    },
    locale: {
      localeId: 'en_US',
      nluConfidenceThreshold: o.nluConfidenceThreshold ?? 0.4,
      voice: { voiceId: o.voiceId ?? 'Danielle', engine: 'neural' },
    },
    slotTypes: [
      {
        name: 'FlowerTypes',
        description: 'Types of flowers to pick up',
        values: (o.flowerTypes ?? DEFAULT_FLOWER_TYPES).map((v) => ({
          value: v.value,
          synonyms: [...(v.synonyms ?? [])],
        })),
        resolutionStrategy: 'TOP_RESOLUTION',
      },
    ],
    intents: [
      {
        name: 'OrderFlowers',
        description: 'Intent to order a bouquet of flowers for pickup',
        sampleUtterances: [
          'I would like to pick up flowers',
          'I would like to order some flowers',
          'I want to order flowers',
          'Can I order some flowers',
          'Order flowers',
          'I want to buy flowers',
          'I would like to order {FlowerType}',
          ...(o.extraUtterances ?? []),
        ],
        slots: [
          {
            name: 'FlowerType',
            slotTypeName: 'FlowerTypes',
            description: 'The type of flowers to pick up',
            prompt: { messageGroups: [oneOf('What type of flowers would you like to order?')], maxRetries: 2 },
          },
          {
            name: 'PickupDate',
            slotTypeName: 'AMAZON.Date',
            description: 'The date to pick up the flowers',
            prompt: {
              messageGroups: [oneOf('What day do you want the {FlowerType} to be picked up?')],
              maxRetries: 2,
            },
          },
          {
            name: 'PickupTime',
            slotTypeName: 'AMAZON.Time',
            description: 'The time to pick up the flowers',
            prompt: {
              messageGroups: [oneOf('At what time do you want the {FlowerType} to be picked up?')],
              maxRetries: 2,
            },
          },
        ],
        confirmation: {
          prompt: {
            messageGroups: [
              oneOf(
                'Okay, your {FlowerType} will be ready for pickup by {PickupTime} on {PickupDate}. Does this sound okay?',
              ),
            ],
            maxRetries: 2,
          },
          declinationResponse: { messageGroups: [oneOf('Okay, I will not place your order.')] },
        },
        fulfillment: {
          codeHook: o.codeHook ?? true,
          updates: merge(structuredClone(DEFAULT_UPDATES), o.updates),
          postFulfillment: merge(structuredClone(DEFAULT_POST_FULFILLMENT), o.postFulfillment),
        },
      },
      {
        name: 'FallbackIntent',
        description: 'Default intent when no other intent matches',
        parentIntentSignature: 'AMAZON.FallbackIntent',
        closingResponse: {
          messageGroups: [
            oneOf(
              "Sorry, I didn't understand. You can say: I would like to order some flowers.",
              'Sorry, I can only help with ordering flowers.',
            ),
          ],
        },
      },
    ],
  };
}

/** The validated OrderFlowers definition; throws `BotDefinitionError` if an override is out of range. */
export function orderFlowers(overrides?: OrderFlowersOverrides): BotDefinition {
  return parseBotDefinition(orderFlowersInput(overrides));
}

/** Deep-merges plain objects; arrays and scalars in `patch` replace the base value. */
function merge<T>(base: T, patch: unknown): T {
  if (patch === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
