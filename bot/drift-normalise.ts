/**
 * Drift check, canonical form: a deployed bot reduced to what is the same in every region — without the per-region
 * noise (IDs, versions, timestamps, statuses, ARNs' region and account), references by name, lists sorted.
 */
import type { DescribeSlotTypeResponse } from '@aws-sdk/client-lex-models-v2';
import type { RawBotModel } from './drift-read';

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

/** How {@link clean} names what an ID refers to (a slot type, a slot of the intent being cleaned). */
export interface Refs {
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
export function clean(value: unknown, refs: Refs): JsonValue | undefined {
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

export function sortKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys(v[k]!)]),
    );
  return v;
}
