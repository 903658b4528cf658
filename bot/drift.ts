/**
 * Drift check: is the bot the same in every region? Reads one deployed bot through the Lex V2 model-building API,
 * reduces it to a canonical form without the per-region noise (IDs, versions, timestamps, statuses, ARNs' region and
 * account), and lists the differences between two regions, or between the definition in `bot/` and a region.
 *
 * `describeBotModel` is the only function that calls AWS (through the client it is given); the rest is pure.
 */
import {
  DescribeBotAliasCommand,
  DescribeBotCommand,
  DescribeBotLocaleCommand,
  DescribeIntentCommand,
  DescribeSlotCommand,
  DescribeSlotTypeCommand,
  ListIntentsCommand,
  ListSlotTypesCommand,
  ListSlotsCommand,
} from '@aws-sdk/client-lex-models-v2';
import type {
  DescribeBotAliasResponse,
  DescribeBotLocaleResponse,
  DescribeBotResponse,
  DescribeIntentResponse,
  DescribeSlotResponse,
  DescribeSlotTypeResponse,
  LexModelsV2Client,
} from '@aws-sdk/client-lex-models-v2';
import type { BotDefinition, MessageGroup, PromptDefinition, ResponseDefinition } from './definition';

// ---------------------------------------------------------------------------------------------------------------
// Reading a deployed bot
// ---------------------------------------------------------------------------------------------------------------

/** Which bot to read in one region. */
export interface BotModelIds {
  /** Lex V2 bot ID. */
  readonly botId: string;
  /** Alias whose version is read. @default none: `botVersion` is read */
  readonly botAliasId?: string;
  /** Version to read; overrides the alias's version. @default the alias's version, or `DRAFT` without an alias */
  readonly botVersion?: string;
  /** Locale to read, e.g. `en_US`. */
  readonly localeId: string;
}

/** One intent as deployed, with its slots. */
export interface RawIntent {
  intent: DescribeIntentResponse;
  slots: DescribeSlotResponse[];
}

/** The bot as the model-building API returns it (one region, one locale of one version). */
export interface RawBotModel {
  /** What was read: the alias's version when an alias was given. */
  ids: { botId: string; botAliasId?: string; botVersion: string; localeId: string };
  bot: DescribeBotResponse;
  alias?: DescribeBotAliasResponse;
  locale: DescribeBotLocaleResponse;
  slotTypes: DescribeSlotTypeResponse[];
  intents: RawIntent[];
}

/** A model-building API call failed; `api` names it (e.g. `DescribeIntent`), `cause` is the SDK error. */
export class BotModelReadError extends Error {
  override name = 'BotModelReadError';
  constructor(
    readonly api: string,
    readonly cause: unknown,
  ) {
    const e = cause as { name?: string; message?: string } | undefined;
    super(`${api} failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(cause)}`);
  }
}

/** Largest page the List* operations accept. */
const PAGE_SIZE = 1000;
/** A List* that keeps answering with a next token after this many pages is broken. */
const MAX_PAGES = 1000;

/**
 * Reads one bot as deployed in the client's region: DescribeBot, DescribeBotAlias (for the alias's version),
 * DescribeBotLocale, ListSlotTypes + DescribeSlotType, ListIntents + DescribeIntent, ListSlots + DescribeSlot per
 * intent. Every List* is followed to its last page. Calls are made one at a time (the model-building API has low
 * per-account rate limits). Throws {@link BotModelReadError} naming the call that failed.
 */
export async function describeBotModel(client: LexModelsV2Client, ids: BotModelIds): Promise<RawBotModel> {
  const { botId, botAliasId, localeId } = ids;
  const call = async <T>(api: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw new BotModelReadError(api, err);
    }
  };

  const bot = await call('DescribeBot', () => client.send(new DescribeBotCommand({ botId })));
  let alias: DescribeBotAliasResponse | undefined;
  if (botAliasId !== undefined)
    alias = await call('DescribeBotAlias', () => client.send(new DescribeBotAliasCommand({ botId, botAliasId })));
  const botVersion = ids.botVersion ?? alias?.botVersion ?? (botAliasId === undefined ? 'DRAFT' : undefined);
  if (botVersion === undefined)
    throw new BotModelReadError('DescribeBotAlias', new Error(`alias ${botAliasId} of bot ${botId} has no botVersion`));
  const scope = { botId, botVersion, localeId };

  const locale = await call('DescribeBotLocale', () => client.send(new DescribeBotLocaleCommand(scope)));

  const slotTypeSummaries = await paginate('ListSlotTypes', async (nextToken) => {
    const r = await client.send(new ListSlotTypesCommand({ ...scope, maxResults: PAGE_SIZE, nextToken }));
    return { items: r.slotTypeSummaries ?? [], nextToken: r.nextToken };
  });
  const slotTypes: DescribeSlotTypeResponse[] = [];
  for (const s of slotTypeSummaries)
    slotTypes.push(
      await call('DescribeSlotType', () =>
        client.send(new DescribeSlotTypeCommand({ ...scope, slotTypeId: s.slotTypeId })),
      ),
    );

  const intentSummaries = await paginate('ListIntents', async (nextToken) => {
    const r = await client.send(new ListIntentsCommand({ ...scope, maxResults: PAGE_SIZE, nextToken }));
    return { items: r.intentSummaries ?? [], nextToken: r.nextToken };
  });
  const intents: RawIntent[] = [];
  for (const summary of intentSummaries) {
    const intentId = summary.intentId;
    const intent = await call('DescribeIntent', () => client.send(new DescribeIntentCommand({ ...scope, intentId })));
    const slotSummaries = await paginate('ListSlots', async (nextToken) => {
      const r = await client.send(new ListSlotsCommand({ ...scope, intentId, maxResults: PAGE_SIZE, nextToken }));
      return { items: r.slotSummaries ?? [], nextToken: r.nextToken };
    });
    const slots: DescribeSlotResponse[] = [];
    for (const s of slotSummaries)
      slots.push(
        await call('DescribeSlot', () =>
          client.send(new DescribeSlotCommand({ ...scope, intentId, slotId: s.slotId })),
        ),
      );
    intents.push({ intent, slots });
  }

  return {
    ids: { botId, ...(botAliasId !== undefined ? { botAliasId } : {}), botVersion, localeId },
    bot: withoutMetadata(bot),
    ...(alias ? { alias: withoutMetadata(alias) } : {}),
    locale: withoutMetadata(locale),
    slotTypes: slotTypes.map(withoutMetadata),
    intents: intents.map((i) => ({ intent: withoutMetadata(i.intent), slots: i.slots.map(withoutMetadata) })),
  };
}

async function paginate<T>(
  api: string,
  page: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    let r: { items: T[]; nextToken?: string | undefined };
    try {
      r = await page(token);
    } catch (err) {
      throw new BotModelReadError(api, err);
    }
    all.push(...r.items);
    if (!r.nextToken) return all;
    token = r.nextToken;
  }
  throw new BotModelReadError(api, new Error(`still returning a nextToken after ${MAX_PAGES} pages`));
}

function withoutMetadata<T extends object>(r: T): T {
  const { $metadata: _metadata, ...rest } = r as T & { $metadata?: unknown };
  return rest as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical form
// ---------------------------------------------------------------------------------------------------------------

export type JsonValue = string | number | boolean | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A bot in canonical form: the same bot gives the same value in every region. Intents, slots, slot types and slot
 * type values are objects keyed by name; slot and slot type references are names; `slotPriorities` maps slot name
 * to priority; sample utterances and synonyms are sorted; keys are sorted; empty lists and objects are left out.
 */
export interface NormalisedBotModel {
  bot: JsonObject;
  /** The alias's settings (without its version or code hook Lambda ARN), when an alias was read. */
  alias?: JsonObject;
  locale: JsonObject;
  slotTypes: { [name: string]: JsonObject };
  intents: { [name: string]: JsonObject };
}

/** Keys that differ per region, per deployment or per read, whatever the bot: never drift. */
const NOISE_KEYS = new Set([
  '$metadata',
  'nextToken',
  'botId',
  'botVersion',
  'botAliasId',
  'intentId',
  'botMemberId',
  'botMemberAliasId',
  'botMemberVersion',
  'localeId',
  'creationDateTime',
  'lastUpdatedDateTime',
  'lastBuildSubmittedDateTime',
  'botStatus',
  'botLocaleStatus',
  'botAliasStatus',
  'failureReasons',
  'botLocaleHistoryEvents',
  'botAliasHistoryEvents',
  'parentBotNetworks',
  'recommendedActions',
  'intentsCount',
  'slotTypesCount',
  // Per-region resources with stack-generated names: the role Lex assumes and the alias's code hook Lambda.
  'roleArn',
  'lambdaARN',
]);

const ARN = /^arn:(aws[a-z-]*):([a-z0-9-]+):[a-z0-9-]*:\d*:(.*)$/;

interface Refs {
  slotTypeName(id: string): string;
  slotName?(id: string): string;
}

/** Reduces a {@link RawBotModel} to its canonical form (see {@link NormalisedBotModel}). */
export function normaliseBotModel(raw: RawBotModel): NormalisedBotModel {
  const slotTypeNames = new Map(raw.slotTypes.map((t) => [t.slotTypeId ?? '', t.slotTypeName ?? '']));
  const refs: Refs = {
    // Built-in slot types (AMAZON.Date…) are referenced by their name, which is their ID.
    slotTypeName: (id) => slotTypeNames.get(id) ?? (id.startsWith('AMAZON.') ? id : `(unknown slot type ${id})`),
  };

  const slotTypes: NormalisedBotModel['slotTypes'] = {};
  for (const t of raw.slotTypes) {
    const { slotTypeName, slotTypeValues, ...rest } = t;
    const entry = clean(omit(rest, ['slotTypeId']), refs) ?? {};
    const values = valuesByName(slotTypeValues);
    slotTypes[slotTypeName ?? '(unnamed)'] = sortKeys(
      Object.keys(values).length > 0 ? { ...(entry as JsonObject), slotTypeValues: values } : entry,
    ) as JsonObject;
  }

  const intents: NormalisedBotModel['intents'] = {};
  for (const { intent, slots } of raw.intents) {
    const slotNames = new Map(slots.map((s) => [s.slotId ?? '', s.slotName ?? '']));
    const intentRefs: Refs = { ...refs, slotName: (id) => slotNames.get(id) ?? `(unknown slot ${id})` };
    const { intentName, slotPriorities, ...rest } = intent;
    const entry = (clean(rest, intentRefs) ?? {}) as JsonObject;
    const bySlot: JsonObject = {};
    for (const s of slots) {
      const { slotName, slotId: _slotId, ...slotRest } = s;
      bySlot[slotName ?? '(unnamed)'] = clean(slotRest, intentRefs) ?? {};
    }
    if (Object.keys(bySlot).length > 0) entry.slots = bySlot;
    const priorities: JsonObject = {};
    for (const p of slotPriorities ?? [])
      if (p.slotId !== undefined && p.priority !== undefined) priorities[intentRefs.slotName!(p.slotId)] = p.priority;
    if (Object.keys(priorities).length > 0) entry.slotPriorities = priorities;
    intents[intentName ?? '(unnamed)'] = sortKeys(entry) as JsonObject;
  }

  const alias = raw.alias ? (clean(raw.alias, refs) as JsonObject | undefined) : undefined;
  return {
    bot: sortKeys(clean(raw.bot, refs) ?? {}) as JsonObject,
    ...(alias ? { alias: sortKeys(alias) as JsonObject } : {}),
    locale: sortKeys({ ...((clean(raw.locale, refs) ?? {}) as JsonObject), localeId: raw.ids.localeId }) as JsonObject,
    slotTypes: sortKeys(slotTypes) as NormalisedBotModel['slotTypes'],
    intents: sortKeys(intents) as NormalisedBotModel['intents'],
  };
}

/** Slot type values keyed by their value, synonyms sorted (a value without synonyms is `{ synonyms: [] }`). */
function valuesByName(values: DescribeSlotTypeResponse['slotTypeValues']): JsonObject {
  const out: JsonObject = {};
  for (const v of values ?? []) {
    const value = v.sampleValue?.value;
    if (value === undefined) continue;
    out[value] = { synonyms: (v.synonyms ?? []).map((s) => s.value ?? '').sort() };
  }
  return out;
}

/**
 * Drops noise keys, null/undefined, empty lists and empty objects; renames `slotTypeId` → `slotTypeName` and
 * `slotId` → `slotName` (as names); turns `sampleUtterances` into a sorted list of strings; masks the region and
 * account of ARNs; turns dates into ISO strings.
 */
function clean(value: unknown, refs: Refs): JsonValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    const m = ARN.exec(value);
    return m ? `arn:${m[1]}:${m[2]}:*:*:${m[3]}` : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => clean(v, refs)).filter((v): v is JsonValue => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (typeof value === 'object') {
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (NOISE_KEYS.has(key)) continue;
      if (key === 'slotTypeId' && typeof v === 'string') out.slotTypeName = refs.slotTypeName(v);
      else if (key === 'slotId' && typeof v === 'string' && refs.slotName) out.slotName = refs.slotName(v);
      else if (key === 'sampleUtterances' && Array.isArray(v)) {
        const utterances = v
          .map((u: { utterance?: unknown } | string | null) => (typeof u === 'string' ? u : u?.utterance))
          .filter((u): u is string => typeof u === 'string')
          .sort();
        if (utterances.length > 0) out.sampleUtterances = utterances;
      } else {
        const c = clean(v, refs);
        if (c !== undefined) out[key] = c;
      }
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return undefined;
}

function omit<T extends object>(o: T, keys: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k))) as Partial<T>;
}

function sortKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys(v[k]!)]),
    );
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Differences
// ---------------------------------------------------------------------------------------------------------------

/**
 * One difference: where (`intents.OrderFlowers.slots.FlowerType.valueElicitationSetting…`, list items as `[n]`, keys
 * that are not plain names as `["St. Patrick's"]`) and the value on each side, under that side's label; `null`
 * means absent on that side. For a list of plain values (sample utterances, synonyms) each value present on one side
 * only is one difference at the list's path.
 */
export interface BotDifference {
  path: string;
  [label: string]: JsonValue | null;
}

/** Two names for the two sides, e.g. `['us-east-1', 'us-west-2']`. */
export type DiffLabels = readonly [string, string];

/** Every difference between two canonical bots, in path order; empty when they are the same. */
export function diffBotModels(a: NormalisedBotModel, b: NormalisedBotModel, labels: DiffLabels): BotDifference[] {
  checkLabels(labels);
  const out: BotDifference[] = [];
  diffValues(a as unknown as JsonValue, b as unknown as JsonValue, '', labels, out);
  return out;
}

function checkLabels([la, lb]: DiffLabels): void {
  if (la === lb || la === 'path' || lb === 'path' || la === '' || lb === '')
    throw new Error(`diff labels "${la}" and "${lb}": must be two different non-empty names other than "path"`);
}

function diffValues(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  path: string,
  labels: DiffLabels,
  out: BotDifference[],
): void {
  if (equal(a, b)) return;
  const push = (x: JsonValue | undefined, y: JsonValue | undefined) =>
    out.push({ path: path || '(bot)', [labels[0]]: x ?? null, [labels[1]]: y ?? null } as BotDifference);
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      diffValues(a[key], b[key], joinPath(path, key), labels, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.every(isScalar) && b.every(isScalar)) {
      const onlyA = a.filter((x) => !b.includes(x));
      const onlyB = b.filter((x) => !a.includes(x));
      for (const x of onlyA) push(x, undefined);
      for (const y of onlyB) push(undefined, y);
      if (onlyA.length === 0 && onlyB.length === 0) push(a, b); // same values, another order or count
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffValues(a[i], b[i], `${path}[${i}]`, labels, out);
    return;
  }
  push(a, b);
}

function joinPath(path: string, key: string): string {
  const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return path === '' ? part : part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

function isScalar(v: JsonValue): boolean {
  return typeof v !== 'object';
}

function equal(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => k in bo && equal(ao[k], bo[k]));
}

/** The differences as text: a summary line, then each path with the value on each side. */
export function formatBotDifferences(differences: readonly BotDifference[], labels: DiffLabels): string {
  const [la, lb] = labels;
  if (differences.length === 0) return `${la} and ${lb}: no differences.`;
  const width = Math.max(la.length, lb.length) + 1;
  const show = (v: JsonValue | null | undefined) => (v === null || v === undefined ? '(absent)' : JSON.stringify(v));
  const lines = [`${la} and ${lb}: ${differences.length} difference${differences.length === 1 ? '' : 's'}`];
  for (const d of differences)
    lines.push('', d.path, `  ${`${la}:`.padEnd(width)} ${show(d[la])}`, `  ${`${lb}:`.padEnd(width)} ${show(d[lb])}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Against the definition
// ---------------------------------------------------------------------------------------------------------------

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
