/**
 * Converts a bot definition into `AWS::Lex::Bot` properties (the `CfnBotProps` fields of
 * `aws-cdk-lib/aws-lex`). Pure and deterministic: the same definition gives byte-identical output
 * in every region, so the per-region stacks deploy the same bot.
 */
import { createHash } from 'node:crypto';
import type { CfnBot, CfnBotProps } from 'aws-cdk-lib/aws-lex';
import type {
  BotDefinition,
  IntentDefinition,
  MessageGroup,
  PromptDefinition,
  ResponseDefinition,
  SlotDefinition,
  SlotTypeDefinition,
} from './definition';

interface CfnMessage {
  plainTextMessage: { value: string };
}
interface CfnMessageGroup {
  message: CfnMessage;
  variations?: CfnMessage[];
}
interface CfnResponse {
  messageGroupsList: CfnMessageGroup[];
  allowInterrupt: boolean;
}
interface CfnPrompt {
  messageGroupsList: CfnMessageGroup[];
  maxRetries: number;
  allowInterrupt: boolean;
}

/** `CfnBotProps` without `roleArn` (region-specific; the stack adds it), with plain (token-free) values. */
export interface BotCfnProps {
  name: string;
  description?: string;
  idleSessionTtlInSeconds: number;
  dataPrivacy: { ChildDirected: boolean };
  autoBuildBotLocales: boolean;
  botLocales: CfnBotLocale[];
}

export interface CfnBotLocale {
  localeId: string;
  description?: string;
  nluConfidenceThreshold: number;
  voiceSettings: { voiceId: string; engine: string };
  slotTypes: {
    name: string;
    description?: string;
    slotTypeValues: { sampleValue: { value: string }; synonyms?: { value: string }[] }[];
    valueSelectionSetting: { resolutionStrategy: string };
  }[];
  intents: CfnIntent[];
}

export type CfnIntent = ReturnType<typeof intent>;

/** The bot's `AWS::Lex::Bot` properties, except `roleArn`. */
export function toCfnBotProps(def: BotDefinition): BotCfnProps {
  const props = {
    name: def.bot.name,
    ...(def.bot.description !== undefined && { description: def.bot.description }),
    idleSessionTtlInSeconds: def.bot.idleSessionTTLInSeconds,
    // Untyped in CloudFormation and CDK: passed verbatim, PascalCase.
    dataPrivacy: { ChildDirected: def.bot.dataPrivacy.childDirected },
    autoBuildBotLocales: true,
    botLocales: [
      {
        localeId: def.locale.localeId,
        ...(def.locale.description !== undefined && { description: def.locale.description }),
        nluConfidenceThreshold: def.locale.nluConfidenceThreshold,
        voiceSettings: { voiceId: def.locale.voice.voiceId, engine: def.locale.voice.engine },
        slotTypes: def.slotTypes.map(slotType),
        intents: def.intents.map(intent),
      },
    ],
  } satisfies Omit<CfnBotProps, 'roleArn'>;
  return props;
}

function slotType(t: SlotTypeDefinition): CfnBotLocale['slotTypes'][number] {
  return {
    name: t.name,
    ...(t.description !== undefined && { description: t.description }),
    slotTypeValues: t.values.map((v) => ({
      sampleValue: { value: v.value },
      ...(v.synonyms.length > 0 && { synonyms: v.synonyms.map((s) => ({ value: s })) }),
    })),
    valueSelectionSetting: { resolutionStrategy: t.resolutionStrategy },
  };
}

function intent(i: IntentDefinition) {
  const f = i.fulfillment;
  const u = f?.updates;
  const p = f?.postFulfillment;
  return {
    name: i.name,
    ...(i.description !== undefined && { description: i.description }),
    ...(i.parentIntentSignature !== undefined && { parentIntentSignature: i.parentIntentSignature }),
    ...(i.sampleUtterances.length > 0 && { sampleUtterances: i.sampleUtterances.map((utterance) => ({ utterance })) }),
    ...(i.slots.length > 0 && {
      slots: i.slots.map(slot),
      slotPriorities: i.slots.map((s, n) => ({ priority: n + 1, slotName: s.name })),
    }),
    ...(i.confirmation && {
      intentConfirmationSetting: {
        isActive: i.confirmation.active,
        promptSpecification: prompt(i.confirmation.prompt),
        ...optionalResponse('declinationResponse', i.confirmation.declinationResponse),
      },
    }),
    ...(f && {
      fulfillmentCodeHook: {
        enabled: f.codeHook,
        isActive: f.codeHook,
        ...(u && {
          fulfillmentUpdatesSpecification: {
            active: u.active,
            ...(u.startResponse?.active && {
              startResponse: {
                delayInSeconds: u.startResponse.delayInSeconds,
                messageGroups: u.startResponse.messageGroups.map(messageGroup),
                allowInterrupt: u.startResponse.allowInterrupt,
              },
            }),
            ...(u.updateResponse?.active && {
              updateResponse: {
                frequencyInSeconds: u.updateResponse.frequencyInSeconds,
                messageGroups: u.updateResponse.messageGroups.map(messageGroup),
                allowInterrupt: u.updateResponse.allowInterrupt,
              },
            }),
            timeoutInSeconds: u.timeoutInSeconds,
          },
        }),
        ...(p && {
          postFulfillmentStatusSpecification: {
            ...optionalResponse('successResponse', p.successResponse),
            ...optionalResponse('failureResponse', p.failureResponse),
            ...optionalResponse('timeoutResponse', p.timeoutResponse),
          },
        }),
      },
    }),
    ...(i.closingResponse?.active && {
      intentClosingSetting: { closingResponse: response(i.closingResponse), isActive: true },
    }),
  } satisfies CfnBot.IntentProperty;
}

function slot(s: SlotDefinition) {
  return {
    name: s.name,
    ...(s.description !== undefined && { description: s.description }),
    slotTypeName: s.slotTypeName,
    valueElicitationSetting: {
      slotConstraint: s.required ? 'Required' : 'Optional',
      promptSpecification: prompt(s.prompt),
    },
  } satisfies CfnBot.SlotProperty;
}

function prompt(p: PromptDefinition): CfnPrompt {
  return {
    messageGroupsList: p.messageGroups.map(messageGroup),
    maxRetries: p.maxRetries,
    allowInterrupt: p.allowInterrupt,
  };
}

function optionalResponse<K extends string>(key: K, r: ResponseDefinition | undefined): { [P in K]?: CfnResponse } {
  if (!r?.active) return {};
  return { [key]: response(r) } as { [P in K]: CfnResponse };
}

function response(r: ResponseDefinition): CfnResponse {
  return { messageGroupsList: r.messageGroups.map(messageGroup), allowInterrupt: r.allowInterrupt };
}

function messageGroup(g: MessageGroup): CfnMessageGroup {
  const msg = (value: string): CfnMessage => ({ plainTextMessage: { value } });
  return { message: msg(g.message), ...(g.variations.length > 0 && { variations: g.variations.map(msg) }) };
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/**
 * First 12 hex characters of the SHA-256 of the definition's canonical JSON. Put it in the
 * `CfnBotVersion` logical ID: CloudFormation publishes a new version only for a new resource.
 */
export function definitionHash(def: BotDefinition): string {
  return createHash('sha256').update(canonicalJson(def)).digest('hex').slice(0, 12);
}
