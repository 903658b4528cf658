/**
 * The health-check decisions, pure: what to probe in a cycle (`planFirstCycle`, `nextCycle`) and what the
 * probes mean for the active region (`decide`). The state machine carries a `CycleState` from cycle to cycle
 * and does every write itself (direct DynamoDB and CloudWatch integrations) with the values decided here.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { InvalidInputError, describeIssues } from './errors';
import type { ProbeRequest, ProbeResult } from './probe-core';
import type { Settings } from './settings';

export const ERR = 'err';

// ---------- execution input ----------

/** What a scheduled start, a console start or `lexdr drill` may pass to an execution. */
export function executionInputSchema(settings: Settings) {
  const region = z.string().refine((r) => settings.regions.includes(r), {
    message: `must be one of the configured regions: ${settings.regions.join(', ')}`,
  });
  return z
    .object({
      /** Mark regions as failed for this execution, without touching any bot. */
      drill: z
        .object({
          failRegions: z.array(region).min(1, 'name at least one region to fail'),
          reason: z.string().max(200).optional(),
        })
        .strict()
        .optional(),
      /** Run this many cycles instead of one minute's worth. */
      cycles: z.number().int().min(1).max(30).optional(),
      /** The Step Functions console's placeholder input. */
      Comment: z.string().optional(),
    })
    .strict();
}
export type ExecutionInput = z.infer<ReturnType<typeof executionInputSchema>>;

export interface MetricDatum {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Unit: 'None' | 'Milliseconds' | 'Count';
  Values: number[];
  Counts: number[];
}

export interface Cycle {
  index: number;
  of: number;
  /** ISO time the cycle starts at: the execution start plus `index` cadences. */
  at: string;
  nlu: boolean;
}

/** The data an execution carries from cycle to cycle. */
export interface CycleState {
  connectRegion: string;
  execution: { id: string; startedAt: string };
  drill: { failRegions: string[]; reason?: string } | null;
  cycle: Cycle;
  targets: ProbeRequest[];
  metricData: MetricDatum[];
  done: boolean;
  probes?: ProbeResult[];
  stored?: { Item?: Record<string, AttributeValue> };
  readError?: unknown;
  decision?: Decision;
}

// ---------- planning ----------

function cycleAt(startedAt: string, index: number, cadenceSeconds: number): string {
  return new Date(Date.parse(startedAt) + index * cadenceSeconds * 1000).toISOString();
}

function isNluCycle(settings: Settings, at: string): boolean {
  if (settings.probe.method === 'nlu' || settings.probe.method === 'v1-posttext') return true;
  if (settings.probe.method === 'stream') return true; // every cycle: StartConversation checks the NLU
  if (settings.nluEveryCycles === 0) return false;
  const global = Math.floor(Date.parse(at) / 1000 / settings.cadenceSeconds);
  return global % settings.nluEveryCycles === 0;
}

/** The probes of one cycle: every bot in every region, in priority order (primary first). */
export function targetsFor(settings: Settings, nlu: boolean, failRegions: readonly string[]): ProbeRequest[] {
  const method =
    settings.probe.method === 'liveness' || settings.probe.method === 'nlu'
      ? nlu
        ? 'nlu'
        : 'liveness'
      : nlu
        ? 'v1-posttext'
        : 'v1-putsession';
  return settings.regions.flatMap((region) =>
    settings.bots.map((bot) => {
      const ids = bot.regions[region]!;
      return {
        bot: bot.name,
        region,
        botId: ids.botId,
        botAliasId: ids.botAliasId,
        localeId: bot.localeId,
        method: settings.probe.method === 'stream' ? 'stream' : method,
        utterance: settings.probe.utterance,
        expectedIntent: settings.probe.expectedIntent,
        ...(settings.probe.expectedSlot ? { expectedSlot: settings.probe.expectedSlot } : {}),
        timeoutMs: settings.probe.timeoutMs,
        latencyBudgetMs: settings.probe.latencyBudgetMs,
        drillFail: failRegions.includes(region),
        ...(bot.v1 ? { v1: bot.v1 } : {}),
      } satisfies ProbeRequest;
    }),
  );
}

function cycleFor(settings: Settings, state: Pick<CycleState, 'execution'>, index: number, of: number): Cycle {
  const at = cycleAt(state.execution.startedAt, index, settings.cadenceSeconds);
  return { index, of, at, nlu: isNluCycle(settings, at) };
}

/** Validates the execution input and plans the first cycle. Throws InvalidInputError on bad input. */
export function planFirstCycle(
  settings: Settings,
  input: unknown,
  execution: { id: string; startedAt: string },
): CycleState {
  const parsed = executionInputSchema(settings).safeParse(input ?? {});
  if (!parsed.success)
    throw new InvalidInputError(`invalid execution input: ${describeIssues(parsed.error.issues, input)}`);
  const drill = parsed.data.drill ?? null;
  const of = parsed.data.cycles ?? settings.cyclesPerExecution;
  const base = { connectRegion: settings.connectRegion, execution, drill };
  const cycle = cycleFor(settings, base, 0, of);
  return {
    ...base,
    cycle,
    targets: targetsFor(settings, cycle.nlu, drill?.failRegions ?? []),
    metricData: [],
    done: false,
  };
}

// ---------- the lexDR item ----------

export interface RegionHealth {
  /** Consecutive failed probes, saturating at failThreshold. */
  fails: number;
  /** Consecutive passed probes, saturating at recoverThreshold. */
  passes: number;
  /** Reason of the latest failure, or "ok". */
  reason: string;
}

export interface Pin {
  region: string;
  /** ISO expiry. */
  until: string;
  by: string;
  reason: string;
}

export interface RegionChange {
  from: string;
  to: string;
  reason: 'failover' | 'failback' | 'no-healthy-region' | 'recovered' | 'pinned' | 'pin-broken' | 'config';
  detail: string;
  at: string;
  execution: string;
  cycle: number;
  drill: boolean;
  version: number;
}

/**
 * A drill in progress, kept in the item so that every execution running meanwhile (the schedule's included)
 * counts the drilled regions as failed until `until`.
 */
export interface ActiveDrill {
  failRegions: string[];
  /** ISO end: the drill execution's last cycle plus one cadence. */
  until: string;
  execution: string;
  reason?: string;
}

/** The lexDR item as lexdr reads and writes it (partition key connectRegion, seed-compatible lexRegion). */
export interface DrItem {
  connectRegion: string;
  lexRegion: string;
  version: number;
  /** The version exactly as stored, when it is a number attribute (the write's condition compares it verbatim). */
  versionRaw?: string;
  regionHealth: Record<string, RegionHealth>;
  pin: Pin | null;
  drill: ActiveDrill | null;
  previousRegion?: string;
  lastChange?: RegionChange;
  updatedAt?: string;
  lastExecution?: string;
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

function readChange(m: AttrMap | undefined): RegionChange | undefined {
  const from = str(own(m, 'from'));
  const to = str(own(m, 'to'));
  if (!m || from === undefined || to === undefined) return undefined;
  return {
    from,
    to,
    reason: (str(own(m, 'reason')) ?? 'config') as RegionChange['reason'],
    detail: str(own(m, 'detail')) ?? '',
    at: str(own(m, 'at')) ?? '',
    execution: str(own(m, 'execution')) ?? '',
    cycle: count(own(m, 'cycle')),
    drill: own(m, 'drill')?.BOOL === true,
    version: count(own(m, 'version')),
  };
}

/**
 * Reads a lexDR item of any age (a seed item has only connectRegion and lexRegion) straight from its attribute
 * values: whatever else the table holds — wide numbers, wrong types, odd keys — reads as a safe default, never a throw.
 */
export function readItem(raw: Record<string, AttributeValue> | undefined, settings: Settings): DrItem | null {
  if (!raw) return null;
  const healthMap = mapOf(own(raw, 'regionHealth'));
  const health: Record<string, RegionHealth> = {};
  for (const r of settings.regions) {
    const h = mapOf(own(healthMap, r));
    health[r] = {
      fails: count(own(h, 'fails')),
      passes: count(own(h, 'passes')),
      reason: str(own(h, 'reason')) ?? 'ok',
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
  const failRegions = own(d, 'failRegions')?.L;
  const until = str(own(d, 'until'));
  const drill: ActiveDrill | null =
    Array.isArray(failRegions) && until !== undefined
      ? {
          failRegions: failRegions.map(str).filter((r): r is string => r !== undefined),
          until,
          execution: str(own(d, 'execution')) ?? '',
          ...(str(own(d, 'reason')) !== undefined ? { reason: str(own(d, 'reason'))! } : {}),
        }
      : null;
  const lastChange = readChange(mapOf(own(raw, 'lastChange')));
  const versionN = own(raw, 'version')?.N;
  return {
    connectRegion: str(own(raw, 'connectRegion')) ?? settings.connectRegion,
    lexRegion: str(own(raw, 'lexRegion')) ?? settings.regions[0]!,
    version: count(own(raw, 'version')),
    ...(typeof versionN === 'string' ? { versionRaw: versionN } : {}),
    regionHealth: health,
    pin,
    drill,
    ...(lastChange ? { lastChange } : {}),
  };
}

// ---------- deciding ----------

export interface RegionVerdict {
  region: string;
  ok: boolean;
  reason: string;
  detail: string;
}

/** A region passes a cycle when every bot passes there. */
export function verdicts(settings: Settings, probes: readonly ProbeResult[]): RegionVerdict[] {
  return settings.regions.map((region) => {
    const mine = probes.filter((p) => p.region === region);
    const failed = mine.find((p) => !p.ok);
    if (mine.length === 0) return { region, ok: false, reason: 'probe-error', detail: 'no probe result' };
    if (!failed) return { region, ok: true, reason: 'ok', detail: '' };
    return { region, ok: false, reason: failed.reason, detail: `${failed.bot}: ${failed.detail ?? failed.reason}` };
  });
}

function nextHealth(prev: RegionHealth, v: RegionVerdict, s: Settings): RegionHealth {
  return v.ok
    ? { fails: 0, passes: Math.min(prev.passes + 1, s.recoverThreshold), reason: 'ok' }
    : { fails: Math.min(prev.fails + 1, s.failThreshold), passes: 0, reason: v.reason };
}

export interface Decision {
  key: string;
  /** none: nothing changed; health: counters/pin only; switch: lexRegion changes. */
  write: 'none' | 'health' | 'switch';
  from: string;
  to: string;
  change: RegionChange | null;
  /** DynamoDB attribute values for the state machine's UpdateItem / PutItem. */
  values: {
    expected: AttributeValue;
    next: AttributeValue;
    to: AttributeValue;
    from: AttributeValue;
    health: AttributeValue;
    pin: AttributeValue;
    drill: AttributeValue;
    change: AttributeValue;
    now: AttributeValue;
    exec: AttributeValue;
  };
  /** The history record of a switch (marshalled), keyed so a repeated execution cannot add it twice. */
  history: Record<string, AttributeValue> | null;
  /** Accumulated metrics if the write is lost to a concurrent execution (no region change happened). */
  metricDataIfNotSaved: MetricDatum[];
}

export interface DecideResult {
  item: DrItem;
  write: Decision['write'];
  change: Omit<RegionChange, 'at' | 'execution' | 'cycle' | 'drill' | 'version'> | null;
  pinBroken: boolean;
}

/** The hysteresis: leave a region after failThreshold failures, return to a better one after recoverThreshold passes. */
export function evaluate(
  settings: Settings,
  stored: DrItem | null,
  probes: readonly ProbeResult[],
  now: Date,
  drill: ActiveDrill | null = null,
  /** The drill to keep in the item (null when this cycle ends it); default: the drill decided with. */
  keepDrill: ActiveDrill | null = drill,
): DecideResult {
  const regions = settings.regions;
  const primary = regions[0]!;
  const prev: DrItem = stored ?? {
    connectRegion: settings.connectRegion,
    lexRegion: primary,
    version: 0,
    regionHealth: Object.fromEntries(regions.map((r) => [r, { fails: 0, passes: 0, reason: 'ok' }])),
    pin: null,
    drill: null,
  };
  // While a drill is active, its regions count as failed in every execution, whatever their probes said.
  const effective = drill
    ? probes.map((p) =>
        drill.failRegions.includes(p.region) && p.ok
          ? { ...p, ok: false, reason: 'drill' as const, detail: `failed by the drill of ${drill.execution}` }
          : p,
      )
    : probes;
  const vs = verdicts(settings, effective);
  const health: Record<string, RegionHealth> = {};
  for (const v of vs) health[v.region] = nextHealth(prev.regionHealth[v.region]!, v, settings);
  const stillOk = (r: string) => health[r]!.fails < settings.failThreshold;
  const upNow = (r: string) => health[r]!.passes >= 1;
  const recovered = (r: string) => health[r]!.passes >= settings.recoverThreshold;
  const why = (r: string) => {
    const v = vs.find((x) => x.region === r)!;
    return `${r} failed ${health[r]!.fails} consecutive probe(s): ${v.reason}${v.detail ? ` (${v.detail})` : ''}`;
  };

  const current = prev.lexRegion === ERR || regions.includes(prev.lexRegion) ? prev.lexRegion : null;
  let pin =
    prev.pin && Date.parse(prev.pin.until) > now.getTime() && regions.includes(prev.pin.region) ? prev.pin : null;
  let pinBroken = false;
  let to = current ?? primary;
  let change: DecideResult['change'] = null;
  const firstUp = (except?: string) => regions.find((r) => r !== except && upNow(r));

  if (current === null) {
    to = firstUp() ?? ERR;
    change = { from: prev.lexRegion, to, reason: 'config', detail: `${prev.lexRegion} is not a configured region` };
  } else if (pin && stillOk(pin.region)) {
    to = pin.region;
    if (to !== current)
      change = { from: current, to, reason: 'pinned', detail: `pinned by ${pin.by} until ${pin.until}: ${pin.reason}` };
  } else {
    if (pin) {
      pinBroken = true;
      const broken = pin;
      pin = null;
      if (current === broken.region || !stillOk(current)) {
        to = firstUp(broken.region) ?? ERR;
        change = {
          from: current,
          to,
          reason: 'pin-broken',
          detail: `pinned region ${why(broken.region)}; pin by ${broken.by} removed`,
        };
      }
    }
    if (!change) {
      if (current === ERR) {
        const up = firstUp();
        if (up) change = { from: ERR, to: up, reason: 'recovered', detail: `${up} passed its probe` };
        to = up ?? ERR;
      } else if (!stillOk(current)) {
        const up = firstUp(current);
        to = up ?? ERR;
        change = up
          ? { from: current, to: up, reason: 'failover', detail: why(current) }
          : {
              from: current,
              to: ERR,
              reason: 'no-healthy-region',
              detail: vs.map((v) => `${v.region}: ${v.reason}`).join(', '),
            };
      } else {
        const better = regions.slice(0, regions.indexOf(current)).find(recovered);
        if (better) {
          to = better;
          change = {
            from: current,
            to: better,
            reason: 'failback',
            detail: `${better} passed ${health[better]!.passes} consecutive probes`,
          };
        }
      }
    }
  }
  if (change && change.from === change.to) change = null;

  const item: DrItem = { ...prev, lexRegion: to, regionHealth: health, pin, drill: keepDrill };
  const healthChanged =
    JSON.stringify(health) !== JSON.stringify(prev.regionHealth) ||
    pinBroken ||
    (prev.pin !== null) !== (pin !== null) ||
    JSON.stringify(keepDrill) !== JSON.stringify(prev.drill ?? null);
  const write = change ? 'switch' : healthChanged || stored === null ? 'health' : 'none';
  return { item, write, change, pinBroken };
}

// ---------- metrics ----------

function datum(name: string, dims: Record<string, string>, unit: MetricDatum['Unit'], value: number): MetricDatum {
  return {
    MetricName: name,
    Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
    Unit: unit,
    Values: [value],
    Counts: [1],
  };
}

/** Adds datapoints into an execution's accumulated metric data (one datum per metric and dimensions). */
export function mergeMetrics(into: readonly MetricDatum[], add: readonly MetricDatum[]): MetricDatum[] {
  const out = into.map((d) => ({ ...d, Values: [...d.Values], Counts: [...d.Counts] }));
  const keyOf = (d: MetricDatum) => `${d.MetricName}|${JSON.stringify(d.Dimensions)}`;
  for (const d of add) {
    const found = out.find((o) => keyOf(o) === keyOf(d));
    if (!found) {
      out.push({ ...d, Values: [...d.Values], Counts: [...d.Counts] });
      continue;
    }
    d.Values.forEach((v, i) => {
      const at = found.Values.indexOf(v);
      if (at >= 0) found.Counts[at] = found.Counts[at]! + d.Counts[i]!;
      else {
        found.Values.push(v);
        found.Counts.push(d.Counts[i]!);
      }
    });
  }
  return out;
}

export function probeMetrics(connectRegion: string, probes: readonly ProbeResult[]): MetricDatum[] {
  return probes.flatMap((p) => {
    const dims = { ConnectRegion: connectRegion, Bot: p.bot, Region: p.region };
    const out = [datum('ProbeSuccess', dims, 'None', p.ok ? 1 : 0)];
    if (p.latencyMs >= 0) out.push(datum('ProbeLatency', dims, 'Milliseconds', p.latencyMs));
    return out;
  });
}

export function decisionMetrics(settings: Settings, lexRegion: string, changed: boolean): MetricDatum[] {
  const dims = { ConnectRegion: settings.connectRegion };
  return [
    datum('ActiveRegionIndex', dims, 'None', lexRegion === ERR ? -1 : settings.regions.indexOf(lexRegion)),
    datum('NoHealthyRegion', dims, 'Count', lexRegion === ERR ? 1 : 0),
    datum('RegionChanges', dims, 'Count', changed ? 1 : 0),
  ];
}

// ---------- one cycle's decision, as the state machine uses it ----------

/**
 * The drill to decide with: this execution's own (held in the item as a lease of two cadences, renewed every
 * cycle, so executions running alongside — the schedule's — count its regions failed too), else the item's
 * unexpired lease. The drill execution's last cycle ends it (`keep: null`).
 */
export function activeDrill(
  settings: Settings,
  state: CycleState,
  stored: DrItem | null,
  now: Date,
): { decide: ActiveDrill | null; keep: ActiveDrill | null } {
  if (state.drill) {
    const drill: ActiveDrill = {
      failRegions: state.drill.failRegions,
      until: new Date(now.getTime() + 2 * settings.cadenceSeconds * 1000).toISOString(),
      execution: state.execution.id,
      ...(state.drill.reason ? { reason: state.drill.reason } : {}),
    };
    const last = state.cycle.index + 1 >= state.cycle.of;
    return { decide: drill, keep: last ? null : drill };
  }
  const d = stored?.drill;
  const live = d && Date.parse(d.until) > now.getTime() ? d : null;
  return { decide: live, keep: live };
}

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });

/** Turns a cycle's probe results into the next CycleState with the write to make. */
export function decideCycle(settings: Settings, state: CycleState, now: Date): CycleState {
  const probes = state.probes ?? [];
  const stored = readItem(state.stored?.Item, settings);
  const pMetrics = probeMetrics(settings.connectRegion, probes);
  const metricDataIfNotSaved = mergeMetrics(state.metricData, pMetrics);
  const at = now.toISOString();
  const drill = activeDrill(settings, state, stored, now);
  const r =
    state.readError !== undefined
      ? null // the item could not be read: decide nothing this cycle
      : evaluate(settings, stored, probes, now, drill.decide, drill.keep);
  const expectedVersion = stored?.version ?? 0;
  const nextVersion = expectedVersion + 1;
  const change: RegionChange | null =
    r?.change != null
      ? {
          ...r.change,
          at,
          execution: state.execution.id,
          cycle: state.cycle.index,
          drill: drill.decide !== null,
          version: nextVersion,
        }
      : null;
  const from = stored?.lexRegion ?? settings.regions[0]!;
  const to = r?.item.lexRegion ?? from;
  const decision: Decision = {
    key: settings.connectRegion,
    write: r?.write ?? 'none',
    from,
    to,
    change,
    values: {
      expected: stored?.versionRaw !== undefined ? { N: stored.versionRaw } : N(expectedVersion),
      next: N(nextVersion),
      to: S(to),
      from: S(from),
      health: { M: marshall(r?.item.regionHealth ?? {}) },
      pin: r?.item.pin ? { M: marshall(r.item.pin) } : { NULL: true },
      drill: r?.item.drill ? { M: marshall(r.item.drill) } : { NULL: true },
      change: change ? { M: marshall(change) } : { NULL: true },
      now: S(at),
      exec: S(state.execution.id),
    },
    history: change
      ? marshall({
          connectRegion: settings.connectRegion,
          changeId: `${at}#${state.execution.id.split(':').pop()}#${state.cycle.index}`,
          ...change,
        })
      : null,
    metricDataIfNotSaved,
  };
  const metricData = r
    ? mergeMetrics(metricDataIfNotSaved, decisionMetrics(settings, to, change !== null))
    : metricDataIfNotSaved;
  const nextIndex = state.cycle.index + 1;
  const done = nextIndex >= state.cycle.of;
  const cycle = done ? state.cycle : cycleFor(settings, state, nextIndex, state.cycle.of);
  const { probes: _p, stored: _s, readError: _e, ...rest } = state;
  return {
    ...rest,
    decision,
    metricData,
    done,
    cycle,
    targets: done ? [] : targetsFor(settings, cycle.nlu, state.drill?.failRegions ?? []),
  };
}
