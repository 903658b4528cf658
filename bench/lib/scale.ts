/**
 * Health-check cycles for many bots × regions through the real ASL (Map state, MaxConcurrency 40) and the real
 * handlers, measuring the cycle time and the largest state the workflow carries (the local runner measures every
 * state and enforces Step Functions' 256 KiB as AWS does) beside the config reader's estimate and the cost model's
 * monthly cost.
 */
import { ConfigError, parseConfig } from '../../infra/config';
import type { LexdrConfig, LexdrConfigInput } from '../../infra/config';
import { estimateMonthlyCost } from '../../infra/cost';
import { STATE_PAYLOAD_LIMIT_BYTES } from '../../core/aws-limits';
import { estimatePeakStateBytes } from '../../infra/limits';
import { startLocalSystem } from '../../local/system';
import { median } from './stats';

export const SCALE_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-2'] as const;

export interface ScaleRun {
  method: 'liveness' | 'nlu';
  /** Wall time of one single-cycle execution, per repeat. */
  cycleMs: number[];
  /**
   * Largest payload that crossed a state of the workflow (any state's output, any task's input or result), in
   * bytes, over the timed single-cycle executions and one full-minute execution (every cycle of it).
   */
  peakStateBytes: number;
  /** The same, for a full-minute execution while every region is down (every probe fails, with its detail). */
  peakFailingStateBytes: number;
  /** Every execution succeeded, every probe passed while healthy, no payload over 256 KiB. */
  allPassed: boolean;
}

export interface ScaleFigures {
  bots: number;
  regions: number;
  probes: number;
  /** The config reader's upper bound of the peak state. */
  estimatedStateBytes: number;
  monthlyUsd: number;
  monthlyAfterFreeTierUsd: number;
  /** Beyond what the config reader lets one stack deploy: the workflow measured alone. */
  workflowOnly: boolean;
  runs: ScaleRun[];
}

/** A 10-character Lex-style ID, unique per bot and region. */
const id = (prefix: string, bot: number, region: number) =>
  `${prefix}${String(bot).padStart(3, '0')}R${region}`.padEnd(10, 'X').slice(0, 10).toUpperCase();

export function scaleConfig(
  bots: number,
  method: 'liveness' | 'nlu' = 'liveness',
  regions: readonly string[] = SCALE_REGIONS,
): LexdrConfigInput {
  return {
    connectRegion: 'us-east-1',
    regions: [...regions],
    bots: Array.from({ length: bots }, (_, i) => ({
      name: `Bot${i}`,
      source: 'existing' as const,
      ids: Object.fromEntries(regions.map((r, ri) => [r, { botId: id('BOT', i, ri), botAliasId: id('ALS', i, ri) }])),
    })),
    probe: { method, nluEveryMinutes: 0 },
  };
}

/**
 * `bots` × `regions` for the workflow alone: the config reader refuses sizes whose stack CloudFormation would not
 * take (its template, its resources); the workflow's state, which this measures, is enforced by the local runner.
 */
export function workflowScaleConfig(
  bots: number,
  regions: readonly string[],
  probe: { timeoutMs?: number; latencyBudgetMs?: number } = {},
): LexdrConfig {
  const input = scaleConfig(bots, 'liveness', regions);
  return parseConfig({ ...input, probe: { ...input.probe, ...probe } }, 'scale config', { deployLimits: false });
}

/** The most bots (× the three regions) the config reader accepts. */
export function largestDeployableBots(max = 100): number {
  let lo = 1;
  let hi = max;
  const ok = (n: number) => {
    try {
      parseConfig(scaleConfig(n));
      return true;
    } catch (e) {
      if (e instanceof ConfigError) return false;
      throw e;
    }
  };
  if (!ok(lo)) return 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Timed single-cycle executions, then the largest state of a full-minute execution healthy and with every region down. */
export async function measureScale(
  config: LexdrConfig,
  method: ScaleRun['method'],
  repeats: number,
  o: {
    /** Cycles of the healthy and the all-down executions (default: a full minute). */
    cycles?: number;
  } = {},
): Promise<ScaleRun> {
  const full = o.cycles === undefined ? {} : { cycles: o.cycles };
  const sys = await startLocalSystem({
    config: { ...config, probe: { ...config.probe, method } },
    deployLimits: false,
    waitMs: 0,
    retryMs: 0,
  });
  const run: ScaleRun = { method, cycleMs: [], peakStateBytes: 0, peakFailingStateBytes: 0, allPassed: true };
  let peak = 0;
  // The system's own workflow: its runner weighs every payload that crosses a state (largestStateBytes); its cycle
  // events carry each round's probe results.
  let probes = 0;
  let failedProbes = 0;
  const off = sys.onEvent((e) => {
    if (e.type !== 'cycle') return;
    probes += e.probes.length;
    failedProbes += e.probes.filter((p) => !p.ok).length;
  });
  try {
    const measured = async (input: unknown) => {
      const r = await sys.runExecution(input);
      peak = Math.max(peak, r.largestStateBytes);
      return r;
    };
    if (repeats > 0) await measured({ cycles: 1 }); // warm-up
    for (let i = 0; i < repeats; i += 1) {
      probes = 0;
      failedProbes = 0;
      const t = performance.now();
      const r = await measured({ cycles: 1 });
      run.cycleMs.push(performance.now() - t);
      const expected = config.bots.length * config.regions.length;
      if (r.status !== 'SUCCEEDED' || probes !== expected || failedProbes > 0) run.allPassed = false;
    }
    // A full minute: the tally grows with every cycle, and becomes the MetricData at the end.
    const healthy = await measured(full);
    if (healthy.status !== 'SUCCEEDED' || failedProbes > 0) run.allPassed = false;
    run.peakStateBytes = peak;
    // The largest state: every probe fails (and carries its error's detail).
    peak = 0;
    for (const l of Object.values(sys.lex)) l.setFault({ mode: 'down' });
    const failing = await measured(full);
    if (failing.status !== 'SUCCEEDED') run.allPassed = false;
    run.peakFailingStateBytes = peak;
    if (Math.max(run.peakStateBytes, run.peakFailingStateBytes) > STATE_PAYLOAD_LIMIT_BYTES) run.allPassed = false;
    return run;
  } finally {
    off();
    await sys.close();
  }
}

/**
 * One-cycle executions of `bots` × 3 regions, liveness and NLU; with `regions`, that many regions and liveness only,
 * for the workflow alone (beyond what one stack deploys: `workflowOnly` in the figures).
 */
export async function benchScale(
  bots = 50,
  repeats = 5,
  log: (s: string) => void = console.log,
  o: { regions?: readonly string[] } = {},
): Promise<ScaleFigures> {
  const config = o.regions ? workflowScaleConfig(bots, o.regions) : parseConfig(scaleConfig(bots));
  const cost = estimateMonthlyCost(config);
  const out: ScaleFigures = {
    bots,
    regions: config.regions.length,
    probes: bots * config.regions.length,
    estimatedStateBytes: estimatePeakStateBytes(config),
    monthlyUsd: cost.totalUsd,
    monthlyAfterFreeTierUsd: cost.totalAfterFreeTierUsd,
    workflowOnly: o.regions !== undefined,
    runs: [],
  };
  for (const method of o.regions ? (['liveness'] as const) : (['liveness', 'nlu'] as const)) {
    const r = await measureScale(config, method, repeats);
    out.runs.push(r);
    log(
      `  scale: ${bots} × ${out.regions} ${method}: median ${median(r.cycleMs).toFixed(0)} ms, ` +
        `peak state ${(r.peakStateBytes / 1024).toFixed(1)} KiB, ${(r.peakFailingStateBytes / 1024).toFixed(1)} KiB all down (estimate ${(out.estimatedStateBytes / 1024).toFixed(1)} KiB)`,
    );
  }
  return out;
}
