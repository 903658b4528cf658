/**
 * The lexDR item's types, its `err` value and its reading from DynamoDB attribute values, without the SDK's
 * marshalling (`dr-item.ts` adds that and re-exports all of this): the lookup loads this at every cold start.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** `lexRegion` when no region is healthy: the flow apologises and queues the caller. */
export const ERR = 'err';

export interface RegionHealth {
  /** Consecutive failed observations, saturating at failThreshold. */
  fails: number;
  /** Consecutive passed observations, saturating at recoverThreshold. */
  passes: number;
  /** Reason of the latest failure, or "ok". */
  reason: string;
  /**
   * The latest observation counted (`slot × 64 + attempt`, see `observationId`): an observation is counted only when
   * it is newer, so overlapping or repeated executions cannot count one cadence slot twice. 0 on an older item.
   */
  seen: number;
  /** The region's latest NLU probe failed: it counts as failed until an NLU probe passes there again. */
  nluFailed: boolean;
}

export interface Pin {
  region: string;
  /** ISO expiry. */
  until: string;
  by: string;
  reason: string;
}

export const CHANGE_REASONS = [
  'failover',
  'failback',
  'no-healthy-region',
  'recovered',
  'pinned',
  'pin-broken',
  'config',
  'operator',
] as const;

export interface RegionChange {
  from: string;
  to: string;
  reason: (typeof CHANGE_REASONS)[number];
  detail: string;
  at: string;
  execution: string;
  cycle: number;
  drill: boolean;
  version: number;
  /**
   * The change was started by callers' reports (core/caller-reports.ts): how many contacts reported the region and
   * when, and the probe that confirmed it (`<bot>: <detail>`). Absent for a change the schedule found alone.
   */
  reported?: { contacts: number; firstAt: string; lastAt: string; confirmedBy: string };
}

/**
 * A drill in progress, kept in the item so that every execution running meanwhile (the schedule's included)
 * counts the drilled regions as failed until `until`.
 */
export interface ActiveDrill {
  failRegions: string[];
  /** ISO end: the drill execution's last cycle plus two cadences. */
  until: string;
  execution: string;
  reason?: string;
}

/** The health check could not observe some regions (its own probe function failed): it held, and says why. */
export interface Blind {
  /** ISO time it was first seen blind (kept while the same regions stay unobserved). */
  since: string;
  regions: string[];
  detail: string;
}

/** The lexDR item as lexdr reads and writes it. */
export interface DrItem {
  connectRegion: string;
  lexRegion: string;
  version: number;
  /** The version exactly as stored, when it is a number attribute (the write's condition compares it verbatim). */
  versionRaw?: string;
  regionHealth: Record<string, RegionHealth>;
  pin: Pin | null;
  drill: ActiveDrill | null;
  blind: Blind | null;
  previousRegion?: string;
  lastChange?: RegionChange;
  updatedAt?: string;
  lastExecution?: string;
  /** The token of the write that made this version (execution and cycle): a retried write recognises its own. */
  lastWrite?: string;
}

/** What a region's health reads as before anything was observed. */
export const freshHealth = (): RegionHealth => ({ fails: 0, passes: 0, reason: 'ok', seen: 0, nluFailed: false });

/** A new item for a Connect region: the primary active, nothing observed. */
export function freshItem(connectRegion: string, regions: readonly string[]): DrItem {
  return {
    connectRegion,
    lexRegion: regions[0]!,
    version: 0,
    regionHealth: Object.fromEntries(regions.map((r) => [r, freshHealth()])),
    pin: null,
    drill: null,
    blind: null,
  };
}

type AttrMap = Record<string, AttributeValue>;
/** An own attribute of a DynamoDB map (never an inherited key such as `toString` or `__proto__`). */
const own = (m: AttrMap | undefined, k: string): AttributeValue | undefined =>
  m && Object.prototype.hasOwnProperty.call(m, k) ? m[k] : undefined;
const str = (a: AttributeValue | undefined): string | undefined => (typeof a?.S === 'string' ? a.S : undefined);
const mapOf = (a: AttributeValue | undefined): AttrMap | undefined =>
  a?.M && typeof a.M === 'object' && !Array.isArray(a.M) ? a.M : undefined;
/** A non-negative safe integer, or `fallback` for anything else a table can hold (wide, negative, wrong type). */
const count = (a: AttributeValue | undefined, fallback = 0): number => {
  const n = typeof a?.N === 'string' ? Number(a.N) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
};
const strings = (a: AttributeValue | undefined): string[] | undefined =>
  Array.isArray(a?.L) ? a.L.map(str).filter((r): r is string => r !== undefined) : undefined;

function readChange(m: AttrMap | undefined): RegionChange | undefined {
  const from = str(own(m, 'from'));
  const to = str(own(m, 'to'));
  if (!m || from === undefined || to === undefined) return undefined;
  const reason = str(own(m, 'reason'));
  return {
    from,
    to,
    reason: (CHANGE_REASONS as readonly string[]).includes(reason ?? '')
      ? (reason as RegionChange['reason'])
      : 'config',
    detail: str(own(m, 'detail')) ?? '',
    at: str(own(m, 'at')) ?? '',
    execution: str(own(m, 'execution')) ?? '',
    cycle: count(own(m, 'cycle')),
    drill: own(m, 'drill')?.BOOL === true,
    version: count(own(m, 'version')),
    ...readReported(mapOf(own(m, 'reported'))),
  };
}

/** A change's `reported` part (callers' reports that started it), when whole. */
function readReported(m: AttrMap | undefined): Pick<RegionChange, 'reported'> {
  const firstAt = str(own(m, 'firstAt'));
  const lastAt = str(own(m, 'lastAt'));
  const confirmedBy = str(own(m, 'confirmedBy'));
  if (!m || firstAt === undefined || lastAt === undefined || confirmedBy === undefined) return {};
  return { reported: { contacts: count(own(m, 'contacts')), firstAt, lastAt, confirmedBy } };
}

/**
 * Reads a lexDR item of any age (a seed item has only connectRegion and lexRegion) straight from its attribute
 * values: whatever else the table holds — wide numbers, wrong types, odd keys — reads as a safe default, never a throw.
 * `regions` are the configured regions: each gets a health entry.
 */
export function readItem(
  raw: Record<string, AttributeValue> | undefined,
  where: { connectRegion: string; regions: readonly string[] },
): DrItem | null {
  if (!raw) return null;
  const healthMap = mapOf(own(raw, 'regionHealth'));
  const health: Record<string, RegionHealth> = {};
  for (const r of where.regions) {
    const h = mapOf(own(healthMap, r));
    health[r] = {
      fails: count(own(h, 'fails')),
      passes: count(own(h, 'passes')),
      reason: str(own(h, 'reason')) ?? 'ok',
      seen: count(own(h, 'seen')),
      nluFailed: own(h, 'nluFailed')?.BOOL === true,
    };
  }
  const p = mapOf(own(raw, 'pin'));
  const pinRegion = str(own(p, 'region'));
  const pin: Pin | null =
    pinRegion !== undefined
      ? {
          region: pinRegion,
          until: str(own(p, 'until')) ?? '',
          by: str(own(p, 'by')) ?? 'unknown',
          reason: str(own(p, 'reason')) ?? '',
        }
      : null;
  const d = mapOf(own(raw, 'drill'));
  const failRegions = strings(own(d, 'failRegions'));
  const until = str(own(d, 'until'));
  const drillReason = str(own(d, 'reason'));
  const drill: ActiveDrill | null =
    failRegions && until !== undefined
      ? {
          failRegions,
          until,
          execution: str(own(d, 'execution')) ?? '',
          ...(drillReason !== undefined ? { reason: drillReason } : {}),
        }
      : null;
  const b = mapOf(own(raw, 'blind'));
  const blindRegions = strings(own(b, 'regions'));
  const blind: Blind | null = blindRegions
    ? { since: str(own(b, 'since')) ?? '', regions: blindRegions, detail: str(own(b, 'detail')) ?? '' }
    : null;
  const lastChange = readChange(mapOf(own(raw, 'lastChange')));
  const versionN = own(raw, 'version')?.N;
  const optional = (k: 'previousRegion' | 'updatedAt' | 'lastExecution' | 'lastWrite') => {
    const v = str(own(raw, k));
    return v !== undefined ? { [k]: v } : {};
  };
  return {
    connectRegion: str(own(raw, 'connectRegion')) ?? where.connectRegion,
    lexRegion: str(own(raw, 'lexRegion')) ?? where.regions[0]!,
    version: count(own(raw, 'version')),
    ...(typeof versionN === 'string' ? { versionRaw: versionN } : {}),
    regionHealth: health,
    pin,
    drill,
    blind,
    ...(lastChange ? { lastChange } : {}),
    ...optional('previousRegion'),
    ...optional('updatedAt'),
    ...optional('lastExecution'),
    ...optional('lastWrite'),
  };
}
