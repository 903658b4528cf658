/**
 * Drift check against the definition: the definition in `bot/` in canonical form (as far as it says), and the
 * differences between it and a deployed bot — every field the definition sets, every name on either side.
 */
import type { BotDefinition, MessageGroup, PromptDefinition, ResponseDefinition } from './definition';
import { diffValues, isObject, isScalar, joinPath } from './drift-diff';
import type { BotDifference, DiffLabels } from './drift-diff';
import { clean, sortKeys } from './drift-normalise';
import type { JsonObject, JsonValue, NormalisedBotModel } from './drift-normalise';

/** Options of {@link definitionModel} and {@link diffAgainstDefinition}. */
export interface DefinitionModelOptions {
  /**
   * The name the bot was deployed under in Lex (e.g. `lexdr-OrderFlowers`: `deployedBotName` in `infra/config.ts`).
   * @default the definition's name
   */
  readonly botName?: string;
}

/**
 * The definition in canonical form, as far as the definition says: the fields it sets, in the model-building API's
 * shape. Lex adds defaults the definition does not mention (message selection strategy, prompt attempt settings…);
 * {@link diffAgainstDefinition} therefore compares only what is here.
 */
export function definitionModel(def: BotDefinition, options: DefinitionModelOptions = {}): NormalisedBotModel {
  const slotTypes: NormalisedBotModel['slotTypes'] = {};
  for (const t of def.slotTypes)
    slotTypes[t.name] = sortKeys({
      ...compact({ description: t.description, valueSelectionSetting: { resolutionStrategy: t.resolutionStrategy } }),
      slotTypeValues: Object.fromEntries(t.values.map((v) => [v.value, { synonyms: [...v.synonyms].sort() }])),
    }) as JsonObject;
  const intents: NormalisedBotModel['intents'] = {};
  for (const i of def.intents) {
    const u = i.fulfillment?.updates;
    const p = i.fulfillment?.postFulfillment;
    intents[i.name] = compact({
      description: i.description,
      parentIntentSignature: i.parentIntentSignature,
      sampleUtterances: [...i.sampleUtterances].sort(),
      slots: Object.fromEntries(
        i.slots.map((s) => [
          s.name,
          compact({
            description: s.description,
            slotTypeName: s.slotTypeName,
            valueElicitationSetting: {
              slotConstraint: s.required ? 'Required' : 'Optional',
              promptSpecification: apiPrompt(s.prompt),
            },
          }),
        ]),
      ),
      slotPriorities: Object.fromEntries(i.slots.map((s, n) => [s.name, n + 1])),
      intentConfirmationSetting: i.confirmation && {
        active: i.confirmation.active,
        promptSpecification: apiPrompt(i.confirmation.prompt),
        declinationResponse: apiResponse(i.confirmation.declinationResponse),
      },
      fulfillmentCodeHook: i.fulfillment && {
        enabled: i.fulfillment.codeHook,
        active: i.fulfillment.codeHook,
        fulfillmentUpdatesSpecification: u && {
          active: u.active,
          startResponse: u.startResponse?.active
            ? {
                delayInSeconds: u.startResponse.delayInSeconds,
                allowInterrupt: u.startResponse.allowInterrupt,
                messageGroups: u.startResponse.messageGroups.map(apiGroup),
              }
            : undefined,
          updateResponse: u.updateResponse?.active
            ? {
                frequencyInSeconds: u.updateResponse.frequencyInSeconds,
                allowInterrupt: u.updateResponse.allowInterrupt,
                messageGroups: u.updateResponse.messageGroups.map(apiGroup),
              }
            : undefined,
          timeoutInSeconds: u.timeoutInSeconds,
        },
        postFulfillmentStatusSpecification: p && {
          successResponse: apiResponse(p.successResponse),
          failureResponse: apiResponse(p.failureResponse),
          timeoutResponse: apiResponse(p.timeoutResponse),
        },
      },
      intentClosingSetting: i.closingResponse?.active
        ? { active: true, closingResponse: apiResponse(i.closingResponse) }
        : undefined,
    });
  }
  return {
    bot: compact({
      botName: options.botName ?? def.bot.name,
      description: def.bot.description,
      idleSessionTTLInSeconds: def.bot.idleSessionTTLInSeconds,
      dataPrivacy: { childDirected: def.bot.dataPrivacy.childDirected },
    }),
    locale: sortKeys({
      ...compact({
        description: def.locale.description,
        nluIntentConfidenceThreshold: def.locale.nluConfidenceThreshold,
        voiceSettings: { voiceId: def.locale.voice.voiceId, engine: def.locale.voice.engine },
      }),
      localeId: def.locale.localeId,
    }) as JsonObject,
    slotTypes: sortKeys(slotTypes) as NormalisedBotModel['slotTypes'],
    intents: sortKeys(intents) as NormalisedBotModel['intents'],
  };
}

/** Keyed collections: a name on one side only is a difference even where the definition is silent. */
const COLLECTIONS = new Set(['intents', 'slotTypes', 'slots', 'slotPriorities', 'slotTypeValues']);

/**
 * Differences between the definition (labelled `definition`) and a deployed bot in canonical form (labelled
 * `deployed`): every field the definition sets must match; intents, slots, slot types and their values must be the
 * same sets of names; fields only Lex sets (its defaults) are not compared.
 */
export function diffAgainstDefinition(
  def: BotDefinition,
  deployed: NormalisedBotModel,
  options: DefinitionModelOptions = {},
): BotDifference[] {
  const labels: DiffLabels = ['definition', 'deployed'];
  const expected = definitionModel(def, options) as unknown as JsonObject;
  const actual = { ...deployed } as unknown as JsonObject;
  delete actual.alias;
  const out: BotDifference[] = [];
  const walk = (e: JsonValue | undefined, d: JsonValue | undefined, path: string, key: string) => {
    if (isObject(e) && isObject(d)) {
      const keys = COLLECTIONS.has(key) ? new Set([...Object.keys(e), ...Object.keys(d)]) : new Set(Object.keys(e));
      for (const k of [...keys].sort()) walk(e[k], d[k], joinPath(path, k), k);
      return;
    }
    if (Array.isArray(e) && Array.isArray(d) && !e.every(isScalar) && e.length === d.length) {
      e.forEach((x, i) => walk(x, d[i], `${path}[${i}]`, ''));
      return;
    }
    diffValues(e, d, path, labels, out);
  };
  walk(expected, actual, '', '');
  return out;
}

function apiGroup(g: MessageGroup): JsonObject {
  const msg = (value: string) => ({ plainTextMessage: { value } });
  return compact({ message: msg(g.message), variations: g.variations.length > 0 ? g.variations.map(msg) : undefined });
}

function apiPrompt(p: PromptDefinition): JsonObject {
  return { messageGroups: p.messageGroups.map(apiGroup), maxRetries: p.maxRetries, allowInterrupt: p.allowInterrupt };
}

function apiResponse(r: ResponseDefinition | undefined): JsonObject | undefined {
  if (!r?.active) return undefined;
  return { messageGroups: r.messageGroups.map(apiGroup), allowInterrupt: r.allowInterrupt };
}

/** Drops undefined and empty values, sorts keys. */
function compact(o: Record<string, unknown>): JsonObject {
  return sortKeys((clean(o, { slotTypeName: (id) => id }) ?? {}) as JsonObject) as JsonObject;
}
