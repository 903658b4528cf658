/**
 * The cycle plan: what an execution may be asked to do (its input), when each of its cycles runs, and which probes a
 * cycle (or a confirmation round inside it) sends — every bot in every region, primary first, NLU where it is due.
 */
import { z } from 'zod';
import { WORKFLOW_TIMEOUT_SECONDS } from './aws-limits';
import { reportedBurstSchema } from './caller-reports';
import { InvalidInputError, describeIssues } from './errors';
import type { ProbeSpec, ProbeTarget } from './probe-schema';
import type { Settings } from './settings';

// The state machine's `TimeoutSeconds` lives with the AWS limits it is checked against; health-core re-exports it
// from here.

/**
 * Worst case from a region failing to the decision naming another one: the wait for the next probe, then each
 * failure's probe (and each confirmation's wait) until failThreshold, and the write.
 */
export function worstDetectionSeconds(s: ConfirmationSettings, writeSeconds: number): number {
  const probe = s.probe.timeoutMs / 1000;
  const confirmations = confirmationsPerCycle(s);
  if (confirmations >= s.failThreshold - 1)
    return s.cadenceSeconds + probe + (s.failThreshold - 1) * (confirmDelaySeconds(s) + probe) + writeSeconds;
  return s.failThreshold * s.cadenceSeconds + probe + writeSeconds;
}

/** Time after the last cycle's start for its probes, confirmations, writes and the metrics. */
export function lastCycleBudgetSeconds(settings: Settings): number {
  const probeS = Math.ceil(settings.probe.timeoutMs / 1000);
  const confirmations = confirmationsPerCycle(settings);
  return (1 + confirmations) * (probeS + 3) + confirmations * confirmDelaySeconds(settings) + 15;
}

/** The most cycles one execution can run and still finish inside the state machine's timeout. */
export function maxCycles(settings: Settings): number {
  return Math.max(
    1,
    Math.floor((WORKFLOW_TIMEOUT_SECONDS - lastCycleBudgetSeconds(settings)) / settings.cadenceSeconds) + 1,
  );
}

/** Time a confirmation round needs beyond its wait and its probe: the decision and the write. */
export const CONFIRM_SLACK_MS = 500;

/** Seconds between a failed probe and its confirmation in the same cycle. */
/** What the confirmation rules read of the settings (the config reader and the cost model pass the config). */
export type ConfirmationSettings = Pick<
  Settings,
  'cadenceSeconds' | 'failThreshold' | 'confirmFailures' | 'confirmDelaySeconds'
> & {
  probe: Pick<Settings['probe'], 'timeoutMs'>;
};

export const confirmDelaySeconds = (s: Pick<Settings, 'confirmDelaySeconds'>): number => s.confirmDelaySeconds ?? 1;

/**
 * Confirmation rounds a cycle may add: a region that fails is probed again after `confirmDelaySeconds`, so the
 * failThreshold failures that move callers take seconds, not failThreshold cadences — as long as the rounds fit
 * inside the cycle. A pass still needs a full cadence.
 */
export function confirmationsPerCycle(s: ConfirmationSettings): number {
  if (s.confirmFailures === false) return 0;
  // A round: the wait, then a probe of at most timeoutMs (and half a second for the decision and its write).
  const round = confirmDelaySeconds(s) * 1000 + s.probe.timeoutMs + CONFIRM_SLACK_MS;
  const fit = Math.floor((s.cadenceSeconds * 1000 - s.probe.timeoutMs - CONFIRM_SLACK_MS) / round);
  return Math.max(0, Math.min(s.failThreshold - 1, fit));
}

/** What a scheduled start, a console start or `lexdr drill` may pass to an execution. */
export function executionInputSchema(settings: Settings) {
  const region = z.string().refine((r) => settings.regions.includes(r), {
    message: `must be one of the configured regions: ${settings.regions.join(', ')}`,
  });
  const most = maxCycles(settings);
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
      cycles: z
        .number()
        .int()
        .min(1)
        .max(
          most,
          `at most ${most} cycles fit one execution: ${most} × ${settings.cadenceSeconds} s cadence plus the last cycle's ${lastCycleBudgetSeconds(settings)} s must end within the state machine's ${WORKFLOW_TIMEOUT_SECONDS} s timeout`,
        )
        .optional(),
      /**
       * Started by a burst of callers' reports (the report function): check now; only a failing probe of `region`
       * can move callers (core/caller-reports.ts).
       */
      reported: reportedBurstSchema
        .refine((b) => settings.regions.includes(b.region), {
          message: `region must be one of the configured regions: ${settings.regions.join(', ')}`,
        })
        .optional(),
      /** The Step Functions console's placeholder input. */
      Comment: z.string().optional(),
    })
    .strict()
    .refine((i) => !(i.drill && i.reported), { message: 'a drill cannot also be a report-started check' });
}
export type ExecutionInput = z.infer<ReturnType<typeof executionInputSchema>>;

export const cycleSchema = z.object({
  index: z.number().int().min(0),
  of: z.number().int().min(1),
  /** ISO time the cycle starts at: the execution start plus `index` cadences. */
  at: z.string(),
  /** 0 for the cycle's probe round; 1… for its confirmation rounds. */
  attempt: z.number().int().min(0).default(0),
  /** The cycle of a report-started check: its rounds are observations of their own (see `observationId`). */
  reported: z.boolean().optional(),
  /** A cycle that probes by speech (`probe.speechEveryMinutes`); its confirmation rounds too. */
  speech: z.boolean().optional(),
  /** Seconds to wait before a confirmation round (0 for a cycle's first round, which waits until `at`). */
  waitSeconds: z.number().int().min(0).default(0),
  nlu: z.boolean(),
});
export type Cycle = z.infer<typeof cycleSchema>;

function cycleAt(startedAt: string, index: number, cadenceSeconds: number): string {
  return new Date(Date.parse(startedAt) + index * cadenceSeconds * 1000).toISOString();
}

/**
 * The slot a cycle observes: at most one observation per region per slot and round counts (see dr-item `seen`).
 * A report-started check probes at a time of its own, not at a scheduled slot: its rounds take the upper half of
 * the slot's ids (32…63), so they count after the schedule's rounds of that slot (0…31) and a repeat still cannot
 * count twice. The report function starts at most one check per `minIntervalSeconds` (≥ 5 s). The price: a schedule's
 * round of the same slot that lands after a check is not counted (the next slot's is): a check never delays a
 * failover, since it has just observed the region itself.
 */
export function observationId(settings: Settings, cycle: Pick<Cycle, 'at' | 'attempt' | 'reported'>): number {
  const slot = Math.floor(Date.parse(cycle.at) / 1000 / settings.cadenceSeconds);
  return slot * 64 + (cycle.reported ? 32 : 0) + Math.min(31, cycle.attempt);
}

function isNluCycle(settings: Settings, at: string): boolean {
  if (settings.probe.method === 'nlu' || settings.probe.method === 'v1-posttext') return true;
  // Every cycle: StartConversation and RecognizeUtterance check the NLU.
  if (settings.probe.method === 'stream' || settings.probe.method === 'speech') return true;
  if (settings.nluEveryCycles === 0) return false;
  const global = Math.floor(Date.parse(at) / 1000 / settings.cadenceSeconds);
  return global % settings.nluEveryCycles === 0;
}

/** `stream` and `speech` probe the way callers talk on every probe; they have no cheaper liveness form. */
const nluMethod = (s: Settings) =>
  s.probe.method === 'stream' || s.probe.method === 'speech'
    ? s.probe.method
    : s.probe.method.startsWith('v1-')
      ? 'v1-posttext'
      : 'nlu';
const livenessMethod = (s: Settings) =>
  s.probe.method === 'stream' || s.probe.method === 'speech'
    ? s.probe.method
    : s.probe.method.startsWith('v1-')
      ? 'v1-putsession'
      : 'liveness';

/** What every probe of the execution shares (the Map hands it to each probe beside its target). */
export function probeSpecFor(settings: Settings): ProbeSpec {
  const { method: _method, ...spec } = settings.probe;
  return spec;
}

/**
 * The probes of one round, in priority order (primary first): every bot in each of `regions`, with NLU where `nlu`
 * says (a cycle's NLU turn, or a region whose last NLU probe failed and must be re-checked).
 */
export function targetsFor(
  settings: Settings,
  nlu: boolean | ((region: string) => boolean),
  failRegions: readonly string[],
  regions: readonly string[] = settings.regions,
): ProbeTarget[] {
  const nluIn = typeof nlu === 'function' ? nlu : () => nlu;
  return settings.regions
    .filter((r) => regions.includes(r))
    .flatMap((region) =>
      settings.bots.map((bot) => {
        const ids = bot.regions[region]!;
        return {
          bot: bot.name,
          region,
          botId: ids.botId,
          botAliasId: ids.botAliasId,
          localeId: bot.localeId,
          method: nluIn(region) ? nluMethod(settings) : livenessMethod(settings),
          ...(failRegions.includes(region) ? { drillFail: true } : {}),
          ...(bot.v1 ? { v1: bot.v1 } : {}),
        } satisfies ProbeTarget;
      }),
    );
}

function isSpeechCycle(settings: Settings, at: string): boolean {
  const every = settings.speechEveryCycles ?? 0;
  if (every === 0) return false;
  return Math.floor(Date.parse(at) / 1000 / settings.cadenceSeconds) % every === 0;
}

/** Cycle `index` of an execution started at `startedAt`. */
export function cycleFor(settings: Settings, startedAt: string, index: number, of: number): Cycle {
  const at = cycleAt(startedAt, index, settings.cadenceSeconds);
  const speech = isSpeechCycle(settings, at);
  return { index, of, at, attempt: 0, waitSeconds: 0, nlu: isNluCycle(settings, at), ...(speech ? { speech } : {}) };
}

/** Validates an execution's input; throws InvalidInputError naming what is wrong. */
export function parseExecutionInput(settings: Settings, input: unknown): ExecutionInput {
  const parsed = executionInputSchema(settings).safeParse(input ?? {});
  if (!parsed.success)
    throw new InvalidInputError(`invalid execution input: ${describeIssues(parsed.error.issues, input)}`);
  return parsed.data;
}
