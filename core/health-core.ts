/**
 * One health-check cycle, as the state machine runs it: `planFirstCycle` validates the execution input and lists the
 * first round of probes; `decideCycle` turns a round's probe results and the stored lexDR item into the write to
 * make, the metrics, and the next round — a confirmation round when a region just failed, else the next cycle. The
 * state machine carries the `CycleState` between them and does every write itself (direct DynamoDB and CloudWatch
 * integrations) with the values decided here.
 *
 * The parts: the lexDR item (`dr-item`), the cycle plan (`cycle-plan`), the hysteresis (`hysteresis`) and the
 * metrics (`cycle-metrics`).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import type { Cycle } from './cycle-plan';
import {
  CONFIRM_SLACK_MS,
  confirmDelaySeconds,
  confirmationsPerCycle,
  cycleFor,
  cycleSchema,
  observationId,
  parseExecutionInput,
  probeSpecFor,
  targetsFor,
} from './cycle-plan';
import type { ReportedBurst } from './caller-reports';
import { DEFAULT_REPORT_RULE, reportedBurstSchema } from './caller-reports';
import type { MetricTally } from './cycle-metrics';
import { emptyTally, metricTallySchema, tallyDecision, tallyProbes } from './cycle-metrics';
import type { ActiveDrill, DrItem, RegionChange } from './dr-item';
import { N, S, mapOrNull, readItem } from './dr-item';
import { InvalidInputError, describeIssues } from './errors';
import { evaluate, isNluProbe, observedLex } from './hysteresis';
import type { Evaluation } from './hysteresis';
import type { ProbeResult, ProbeSpec, ProbeTarget } from './probe-schema';
import { probeReasons, probeSpecSchema } from './probe-schema';
import type { Settings } from './settings';

export { ERR, readItem } from './dr-item';
export type { ActiveDrill, Blind, DrItem, Pin, RegionChange, RegionHealth } from './dr-item';
export { executionInputSchema, maxCycles, targetsFor } from './cycle-plan';
export type { Cycle, ExecutionInput } from './cycle-plan';
export { evaluate, verdicts } from './hysteresis';
export type { RegionVerdict } from './hysteresis';
export { METRIC, emptyTally, metricDataFor, tallyDecision, tallyProbes } from './cycle-metrics';
export type { MetricDatum, MetricTally } from './cycle-metrics';

/** One entry per cycle of the execution, and one past the last (done): where a skipped cycle goes next. */
export interface ScheduleEntry {
  index: number;
  at: string;
  done: boolean;
}

const probeResultSchema = z
  .object({
    bot: z.string(),
    region: z.string(),
    method: z.string(),
    ok: z.boolean(),
    reason: z.enum(probeReasons).catch('probe-error'),
    latencyMs: z.number(),
    detail: z.string().optional(),
  })
  .passthrough();

/** The state the execution carries between cycles, as the health-check function receives it. */
export const cycleStateSchema = z
  .object({
    connectRegion: z.string().min(1),
    execution: z.object({ id: z.string().min(1), startedAt: z.string().min(1), delivery: z.string().optional() }),
    drill: z.object({ failRegions: z.array(z.string()), reason: z.string().optional() }).nullable(),
    reported: reportedBurstSchema.nullable().optional(),
    cycle: cycleSchema,
    schedule: z.array(z.object({ index: z.number(), at: z.string(), done: z.boolean() })),
    probe: probeSpecSchema,
    targets: z.array(z.unknown()),
    metrics: metricTallySchema,
    done: z.boolean(),
    /** Cycles whose decision could not be made (the health-check function failed): the execution fails at its end. */
    decideFailures: z.number().int().min(0).optional(),
    probes: z.array(probeResultSchema).optional(),
    stored: z
      .object({ Item: z.record(z.string(), z.unknown()).optional() })
      .passthrough()
      .optional(),
    readError: z.unknown().optional(),
  })
  .passthrough();

/** The data an execution carries from cycle to cycle. */
export interface CycleState {
  connectRegion: string;
  /** `delivery`: this delivery's id (Express runs an execution at least once: each delivery gets its own). */
  execution: { id: string; startedAt: string; delivery?: string };
  drill: { failRegions: string[]; reason?: string } | null;
  /** The burst of callers' reports that started this execution (a check of one cycle), if any. */
  reported?: ReportedBurst | null;
  cycle: Cycle;
  schedule: ScheduleEntry[];
  /** What every probe shares, once (the Map hands it to each probe beside its target). */
  probe: ProbeSpec;
  /** The next round's probes: a bot in a region each. */
  targets: ProbeTarget[];
  /** What the execution observed and decided so far, compact; made into MetricData once, at the end. */
  metrics: MetricTally;
  done: boolean;
  decideFailures?: number;
  probes?: ProbeResult[];
  stored?: { Item?: Record<string, AttributeValue> };
  readError?: unknown;
  decision?: Decision;
}

/** Validates the state the workflow hands the health-check function; throws InvalidInputError. */
export function parseCycleState(input: unknown): CycleState {
  const r = cycleStateSchema.safeParse(input);
  if (!r.success) throw new InvalidInputError(`invalid cycle state: ${describeIssues(r.error.issues, input)}`);
  return r.data as unknown as CycleState;
}

function scheduleFor(settings: Settings, startedAt: string, of: number): ScheduleEntry[] {
  return Array.from({ length: of + 1 }, (_, index) => ({
    index,
    at: cycleFor(settings, startedAt, Math.min(index, of - 1), of).at,
    done: index >= of,
  }));
}

/** Validates the execution input and plans the first cycle. Throws InvalidInputError on bad input. */
export function planFirstCycle(
  settings: Settings,
  input: unknown,
  execution: { id: string; startedAt: string; delivery?: string },
): CycleState {
  const parsed = parseExecutionInput(settings, input);
  const drill = parsed.drill ?? null;
  const reported = parsed.reported ?? null;
  // A report-started check is one cycle, now: the schedule's executions go on as before.
  const of = parsed.cycles ?? (reported ? 1 : settings.cyclesPerExecution);
  const planned = cycleFor(settings, execution.startedAt, 0, of);
  const cycle = reported ? { ...planned, reported: true } : planned;
  return {
    connectRegion: settings.connectRegion,
    execution,
    drill,
    reported,
    cycle,
    schedule: scheduleFor(settings, execution.startedAt, of),
    probe: probeSpecFor(settings),
    targets: spokenTargets(settings, cycle, reported, targetsFor(settings, cycle.nlu, drill?.failRegions ?? [])),
    metrics: emptyTally(),
    done: false,
    decideFailures: 0,
  };
}

/**
 * Which of a round's probes speak, as callers do: every one in a speech cycle (`probe.speechEveryMinutes`), and the
 * reported region's in a report-started check — unless the rule confirms with the configured `probe`. A bot probed
 * through Lex V1 keeps its method (there is no V1 speech probe here).
 */
export function spokenTargets(
  settings: Settings,
  cycle: Pick<Cycle, 'speech'>,
  reported: ReportedBurst | null | undefined,
  targets: ProbeTarget[],
): ProbeTarget[] {
  const rule = settings.callerReports ?? DEFAULT_REPORT_RULE;
  const speaks = (region: string) =>
    cycle.speech === true || (reported?.region === region && rule.confirmWith === 'speech');
  return targets.map((t) => (speaks(t.region) && !t.v1 && !t.drillFail ? { ...t, method: 'speech' as const } : t));
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
    blind: AttributeValue;
    change: AttributeValue;
    now: AttributeValue;
    exec: AttributeValue;
    /** This write's token: a retried write whose first attempt landed recognises its own version by it. */
    token: AttributeValue;
  };
  /** The history record of a switch (marshalled), keyed by execution and round so a repeat cannot add it twice. */
  history: Record<string, AttributeValue> | null;
  /**
   * The decisions' metrics without this one, for when its write does not land (lost to a concurrent execution,
   * DynamoDB failing) or another delivery of the execution records it: the workflow puts them back in the tally.
   */
  decisionsIfNotSaved: MetricTally['decisions'];
}

/**
 * The drill to decide with: this execution's own (held in the item as a lease of two cadences, renewed every
 * cycle, so executions running alongside — the schedule's — count its regions failed too), else the item's
 * unexpired lease. The drill execution's last cycle ends it (`keep: null`).
 */
export function activeDrill(
  settings: Settings,
  state: Pick<CycleState, 'drill' | 'cycle' | 'execution'>,
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

/**
 * After a round: a confirmation round of the regions that just failed (while one of them is still under
 * failThreshold and the round fits before the next cycle), else the next cycle.
 */
function nextRound(
  settings: Settings,
  state: CycleState,
  r: Evaluation | null,
  now: Date,
): { cycle: Cycle; done: boolean; regions: readonly string[]; nluIn: (region: string) => boolean } {
  const nluAfter = (region: string) => r?.item.regionHealth[region]?.nluFailed === true;
  const failed = r ? r.verdicts.filter((v) => v.observed && !v.ok).map((v) => v.region) : [];
  const confirming =
    failed.some((region) => r!.item.regionHealth[region]!.fails < settings.failThreshold) &&
    state.cycle.attempt < confirmationsPerCycle(settings);
  if (confirming) {
    const wait = confirmDelaySeconds(settings);
    const nextAt = state.schedule[state.cycle.index + 1];
    const roundEnds = now.getTime() + wait * 1000 + settings.probe.timeoutMs + CONFIRM_SLACK_MS;
    if (!nextAt || nextAt.done || roundEnds < Date.parse(nextAt.at)) {
      const regionNlu = new Set((state.probes ?? []).filter(isNluProbe).map((p) => p.region));
      return {
        cycle: { ...state.cycle, attempt: state.cycle.attempt + 1, waitSeconds: wait },
        done: false,
        regions: failed,
        // Re-check the way it failed: NLU where this round ran NLU, or where a wrong intent is in force.
        nluIn: (region) => regionNlu.has(region) || nluAfter(region),
      };
    }
  }
  // A late execution (started late, or slowed by retries) skips the cycles whose time has passed rather than racing
  // through them: it never observes faster than the cadence.
  const current = Math.floor(
    (now.getTime() - Date.parse(state.execution.startedAt)) / (settings.cadenceSeconds * 1000),
  );
  const nextIndex = Math.max(state.cycle.index + 1, Number.isFinite(current) ? current : 0);
  const done = nextIndex >= state.cycle.of;
  const cycle = done ? state.cycle : cycleFor(settings, state.execution.startedAt, nextIndex, state.cycle.of);
  return { cycle, done, regions: settings.regions, nluIn: (region) => cycle.nlu || nluAfter(region) };
}

/** A change away from the region callers reported: the burst, and the probe that confirmed it. */
function reportedChange(state: CycleState, r: Evaluation): Pick<RegionChange, 'reported' | 'detail'> | object {
  const burst = state.cycle.reported ? state.reported : null;
  if (!burst || r.change?.from !== burst.region) return {};
  const v = r.verdicts.find((x) => x.region === burst.region);
  if (!v || v.ok || !v.observed) return {};
  const { region: _region, ...when } = burst;
  const reported = { ...when, confirmedBy: v.detail };
  if (r.change.reason !== 'failover') return { reported };
  return {
    detail: `${burst.contacts} caller(s) reported ${burst.region} failing (${burst.firstAt} – ${burst.lastAt}); confirmed by a probe: ${v.detail}`,
    reported,
  };
}

/** Turns a round's probe results into the next CycleState with the write to make. */
export function decideCycle(settings: Settings, state: CycleState, now: Date): CycleState {
  const probes = state.probes ?? [];
  const stored = readItem(state.stored?.Item, settings);
  const observed = tallyProbes(state.metrics, probes, observedLex);
  const at = now.toISOString();
  const drill = activeDrill(settings, state, stored, now);
  const r =
    state.readError !== undefined
      ? null // the item could not be read: decide nothing this round
      : evaluate(settings, stored, probes, now, {
          drill: drill.decide,
          keepDrill: drill.keep,
          observation: observationId(settings, state.cycle),
          fullRound: state.cycle.attempt === 0,
          ...(state.cycle.reported && state.reported ? { reportedRegion: state.reported.region } : {}),
        });
  const expectedVersion = stored?.version ?? 0;
  const nextVersion = expectedVersion + 1;
  const round = `${state.cycle.index}.${state.cycle.attempt}`;
  const execName = state.execution.id.split(':').pop();
  const change: RegionChange | null =
    r?.change != null
      ? {
          ...r.change,
          at,
          execution: state.execution.id,
          cycle: state.cycle.index,
          drill: drill.decide !== null,
          version: nextVersion,
          ...reportedChange(state, r),
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
      pin: mapOrNull(r?.item.pin),
      drill: mapOrNull(r?.item.drill),
      blind: mapOrNull(r?.item.blind),
      change: mapOrNull(change),
      now: S(at),
      exec: S(state.execution.id),
      token: S(`${state.execution.id}#${round}`),
    },
    // Keyed by the cycle's planned time (not the decision's), the execution and the round: a repeated decision
    // or a retried write of the same round lands on the same record.
    history: change
      ? marshall({
          connectRegion: settings.connectRegion,
          changeId: `${state.cycle.at}#${execName}#${round}`,
          deliveredBy: state.execution.delivery ?? state.execution.id,
          ...change,
        })
      : null,
    decisionsIfNotSaved: observed.decisions,
  };
  const metrics = r
    ? { ...observed, decisions: tallyDecision(observed.decisions, settings.regions, to, change !== null) }
    : observed;
  const next = nextRound(settings, state, r, now);
  const { probes: _p, stored: _s, readError: _e, decision: _d, ...rest } = state;
  return {
    ...rest,
    decision,
    metrics,
    done: next.done,
    cycle: next.cycle,
    targets: next.done
      ? []
      : spokenTargets(
          settings,
          next.cycle,
          next.cycle.reported ? state.reported : null,
          targetsFor(settings, next.nluIn, state.drill?.failRegions ?? [], next.regions),
        ),
  };
}
