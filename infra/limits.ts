/**
 * lexdr's own estimates of what a deployment needs — the workflow's peak state, the settings document, the stacks'
 * resources and template, the metric datums, the probes in flight and an execution's worst duration — which the
 * config reader (`infra/config.ts`, its limits check in `infra/config/limits-check.ts`) compares at parse time with
 * the AWS limits of `core/aws-limits.ts`: so a configuration that AWS would refuse (or that would fail at run time
 * with an uncatchable `States.DataLimitExceeded`) is refused with the key, the value and the limit, never by a throw
 * from deep inside a construct or by a failed deployment.
 */
import { INLINE_MAP_MAX_CONCURRENCY, VALUES_PER_DATUM } from '../core/aws-limits';
import { emptyTally, metricDataFor, roundLatency } from '../core/cycle-metrics';
import type { MetricTally } from '../core/cycle-metrics';
import { PROBE_DETAIL_MAX_CHARS } from '../core/probe-schema';

/**
 * The share of Step Functions' state payload limit (`STATE_PAYLOAD_LIMIT_BYTES`) the estimated peak state may use.
 * The estimate is already a worst case (every probe failed with a long detail, every latency distinct), so the margin
 * is small.
 */
export const STATE_SIZE_SAFETY = 0.95;

/**
 * Executions of the health-check state machine that can run at once: the schedule starts one a minute and each runs
 * about a minute (two overlap at the boundary; Express is at-least-once, so a start can be delivered twice), plus a
 * drill started by hand.
 */
export const OVERLAPPING_EXECUTIONS = 3;

/**
 * Bytes of the settings writer's update request per byte of settings, to compare with Lambda's asynchronous payload
 * (CloudFormation invokes a custom resource's function asynchronously, and an update request carries the new and the
 * old properties; the settings writer's properties hold the settings twice, its create and update calls, as a JSON
 * string inside a JSON string): 2 calls × (new + old) × 1.5 for escaping.
 */
export const SETTINGS_REQUEST_FACTOR = 6;

/**
 * The share of IAM's role policy size the probe role's list of bot alias ARNs may take: it lists each ARN while they
 * fit; beyond, it allows the bot aliases of each configured region.
 */
export const PROBE_POLICY_ARN_BUDGET_CHARS = 6_000;

/** Resources of the health-check stack besides those per bot and region, with margin (test/infra/scale.test.ts counts them). */
export const HEALTH_CHECK_STACK_BASE_RESOURCES = 60;
/** Resources of the health-check stack: its base and one probe alarm per bot and region. */
export function healthCheckStackResources(probes: number): number {
  return HEALTH_CHECK_STACK_BASE_RESOURCES + probes;
}
/** Resources of a Connect stack besides its bot associations: the lookup's permission and association, two flows. */
export const CONNECT_STACK_BASE_RESOURCES = 4;
/** Resources of a Connect stack: its base and one Lex bot association per bot and region. */
export function connectStackResources(probes: number): number {
  return CONNECT_STACK_BASE_RESOURCES + probes;
}

/**
 * Template bytes of the health-check stack (synthesized without indentation): a base plus, per bot and region, its
 * dashboard lines, alarm and settings entry, rounded up from a synthesized stack (test/infra/scale.test.ts compares
 * it with one of 50 bots × 3 regions). The Connect wiring is a stack of its own.
 */
export function estimateTemplateBytes(probes: number): number {
  return 54_000 + probes * 4_550;
}

/** What the estimates need of the config. */
export interface SizingInput {
  readonly bots: readonly { readonly name: string; readonly localeId: string }[];
  readonly regions: readonly string[];
  readonly connectRegions: readonly string[];
  readonly cadenceSeconds: number;
  readonly probe: {
    readonly method: string;
    readonly utterance: string;
    readonly expectedIntent: string;
    readonly expectedSlot?: string | undefined;
    readonly timeoutMs: number;
    readonly latencyBudgetMs: number;
  };
}

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v), 'utf8');
const longest = <T>(xs: readonly T[], len: (x: T) => number): T => xs.reduce((a, b) => (len(b) > len(a) ? b : a));

/** Bound on a probe result's `detail` (an error's name and message) assumed by the estimate. */
export const PROBE_DETAIL_BYTES = 120;

/** Longest values a bot's IDs take: 10-character bot and alias IDs, a GovCloud-length region. */
function sample(c: SizingInput) {
  const bot = longest(c.bots, (b) => b.name.length + b.localeId.length);
  const region = longest(c.regions, (r) => r.length);
  const connectRegion = longest(c.connectRegions, (r) => r.length);
  return { bot, region, connectRegion };
}

/** JSON size of one Map item (a target), the longest bot and region, marked by a drill. */
export function probeTargetBytes(c: SizingInput): number {
  const { bot, region } = sample(c);
  return bytes({
    bot: bot.name,
    region,
    botId: 'X'.repeat(10),
    botAliasId: 'X'.repeat(10),
    localeId: bot.localeId,
    method: c.probe.method,
    drillFail: true,
    ...(c.probe.method.startsWith('v1-') ? { v1: { botName: bot.name, botAlias: 'X'.repeat(20) } } : {}),
  });
}

/** JSON size of one probe result, failed with the longest detail a result carries. */
export function probeResultBytes(c: SizingInput): number {
  const { bot, region } = sample(c);
  return bytes({
    bot: bot.name,
    region,
    method: c.probe.method,
    ok: false,
    reason: 'server-error',
    latencyMs: c.probe.timeoutMs,
    detail: `${'x'.repeat(PROBE_DETAIL_MAX_CHARS - 1)}…`,
  });
}

/** Distinct latencies a region's tally can hold: two significant digits from 0 ms to the probe timeout. */
function tallyLatencies(timeoutMs: number): number[] {
  return [...new Set(Array.from({ length: timeoutMs + 1 }, (_, ms) => roundLatency(ms)))];
}
export const distinctLatencies = (timeoutMs: number): number => tallyLatencies(timeoutMs).length;

/**
 * The tally of the longest bot in the longest region at its largest (every count three digits, every latency
 * distinct), as the workflow's own code keeps it: the sizes below are of what `metricDataFor` makes of it.
 */
function sampleTally(c: SizingInput): MetricTally {
  const { bot, region } = sample(c);
  return {
    success: { [region]: { [bot.name]: [999, 999] } },
    latency: { [region]: tallyLatencies(c.probe.timeoutMs).map((v) => [v, 999]) },
    errors: { [region]: 999 },
    decisions: {},
  };
}

/** A bot's entry in a region of the tally (`"name":[passed,failed]`). */
const tallyEntryBytes = (c: SizingInput) => bytes(Object.values(sampleTally(c).success)[0]);

/** A region of the tally: its latencies, its probe errors, its (empty) map of bots. */
function tallyRegionBytes(c: SizingInput): number {
  const t = sampleTally(c);
  return bytes(t.latency) + bytes(t.errors) + bytes(Object.fromEntries(Object.keys(t.success).map((r) => [r, {}])));
}

/** The MetricData one bot region adds: its ProbeSuccess datum (values 1 and 0). */
function successDatumBytes(c: SizingInput): number {
  const { connectRegion } = sample(c);
  return bytes(metricDataFor(connectRegion, { ...emptyTally(), success: sampleTally(c).success })[0]);
}

/** The MetricData of one region: its latency datums (every distinct value) and its ProbeErrors datum. */
function regionDataBytes(c: SizingInput): number {
  const { connectRegion } = sample(c);
  const { latency, errors } = sampleTally(c);
  return bytes(metricDataFor(connectRegion, { ...emptyTally(), latency, errors }));
}

/**
 * MetricData entries of one execution at most: a ProbeSuccess per bot and region, each region's, the decisions'. The
 * workflow publishes an execution's metrics in one PutMetricData request.
 */
export function metricDatumsPerExecution(c: SizingInput): number {
  const latencyDatums = Math.ceil(distinctLatencies(c.probe.timeoutMs) / VALUES_PER_DATUM);
  return c.bots.length * c.regions.length + c.regions.length * (latencyDatums + 1) + 3;
}

/**
 * The rest of the state: the execution, its cycle and schedule, the probe spec, the lexDR item as read, the
 * decision and its write values, the decisions' tally (upper bound).
 */
export const STATE_BASE_BYTES = 8 * 1024;
/** Per region: its counters in the lexDR item and the decision's write values, its verdict. */
export const STATE_PER_REGION_BYTES = 600;

/**
 * Upper bound of the largest state the workflow carries. Two moments are the largest: the Map's output in the middle
 * of an execution (every target of a full round, every result, the tally), and the end, when the tally has become
 * the MetricData of the single PutMetricData (the targets are gone by then). When the ASL's state changes shape,
 * change this; a test runs the real workflow with the limit enforced and compares its peak with this estimate.
 */
export function estimatePeakStateBytes(c: SizingInput): number {
  const probes = c.bots.length * c.regions.length;
  const base = STATE_BASE_BYTES + c.regions.length * (STATE_PER_REGION_BYTES + tallyRegionBytes(c));
  const tally = probes * tallyEntryBytes(c);
  const middle = base + tally + probes * (probeTargetBytes(c) + probeResultBytes(c));
  const end = base + tally + probes * successDatumBytes(c) + c.regions.length * regionDataBytes(c);
  return Math.max(middle, end);
}

/** Probe invocations one execution has in flight at once: every probe of a cycle, at most the Map's concurrency. */
export function probesInFlightPerCycle(c: Pick<SizingInput, 'bots' | 'regions'>): number {
  return Math.min(c.bots.length * c.regions.length, INLINE_MAP_MAX_CONCURRENCY);
}

/**
 * Reserved concurrency of the probe function: the probes in flight per cycle times the executions that can overlap,
 * so a surge of calls that takes the account's concurrency cannot throttle the health check into blindness.
 */
export function probeReservedConcurrency(c: Pick<SizingInput, 'bots' | 'regions'>): number {
  return probesInFlightPerCycle(c) * OVERLAPPING_EXECUTIONS;
}

/** Map waves in one cycle: the probes run {@link INLINE_MAP_MAX_CONCURRENCY} at a time. */
export function mapWaves(c: Pick<SizingInput, 'bots' | 'regions'>): number {
  return Math.ceil((c.bots.length * c.regions.length) / INLINE_MAP_MAX_CONCURRENCY);
}

/** Seconds a cycle needs for its planning, table read and write: bounded generously (the benchmark times cycles). */
export const CYCLE_OVERHEAD_SECONDS = 2;

/**
 * Worst-case duration of one execution: each of its cycles waits out its cadence, or, when a region hangs so that
 * every probe takes its full timeout, runs the Map's waves back to back, whichever is longer.
 */
export function worstExecutionSeconds(c: Pick<SizingInput, 'bots' | 'regions' | 'cadenceSeconds' | 'probe'>): number {
  const cycles = Math.max(1, Math.floor(60 / c.cadenceSeconds));
  const cycle = Math.max(c.cadenceSeconds, (mapWaves(c) * c.probe.timeoutMs) / 1000 + CYCLE_OVERHEAD_SECONDS);
  return Math.ceil(cycles * cycle);
}

/** JSON size of the settings document (one DR-table item) for a config, with the longest ID and ARN values. */
export function estimateSettingsBytes(c: SizingInput): number {
  const { bot, region } = sample(c);
  const perRegion = bytes({
    [region]: {
      botId: 'X'.repeat(10),
      botAliasId: 'X'.repeat(10),
      botAliasArn: `arn:aws-iso-b:lex:${region}:123456789012:bot-alias/${'X'.repeat(10)}/${'X'.repeat(10)}`,
    },
  });
  const perBot = bytes({ name: bot.name, localeId: bot.localeId, v1: { botName: bot.name, botAlias: 'X'.repeat(20) } });
  return 2048 + c.bots.length * (perBot + c.regions.length * perRegion);
}
