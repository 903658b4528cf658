/**
 * Fault → lexDR changed → first lookup answering the new region, in real time, at the project's config
 * (cdk.json), with real Wait states and an execution started every 60 s as `npm start` does. Each trial injects
 * the fault at a random moment of the cycle; between trials the fault is cleared and the lexDR item deleted
 * (the next cycle starts from a clean, healthy primary) instead of waiting for the failback.
 *
 * Beside the detection time, each trial counts the callers that needed the flow's retry: the lookup is asked every
 * 10 ms from the fault on, as steady call traffic, and every answer that still names the failed region in the
 * `RETRY_WINDOW_MS` after the fault is a caller who met the failed bot first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { LexdrConfigInput } from '../../infra/config';
import type { FaultMode } from '../../local/lex';
import type { LocalSystem } from '../../local/system';
import { startScheduledSystem } from './running-system';
import { startCallers } from './callers';
import type { CallerRecord } from './callers';

/** Callers arriving in this window after the fault are counted for the retry share. */
export const RETRY_WINDOW_MS = 15_000;

const EVENT = { Name: 'ContactFlowEvent', Details: { ContactData: {}, Parameters: {} } };

export interface DetectionTrial {
  mode: FaultMode;
  /** Delay from the previous cycle's start to the fault (the phase of the cycle it hit), ms. */
  phaseMs: number;
  /** Fault → lexDR names another region, ms. */
  tableMs: number;
  /** Fault → the lookup answers the new region, ms. */
  lookupMs: number;
  to: string;
  reason: string;
  /**
   * Share of the callers in the RETRY_WINDOW_MS after the fault who needed the flow's retry: with simulated callers,
   * those who met the failed bot first; without, the lookup answers (asked every 10 ms) that still named it.
   */
  retryShare: number;
  /** Simulated callers who arrived in the window (0 without callers). */
  callers: number;
  /** Reports their flow sent in the window. */
  reports: number;
}

export interface DetectionConfig {
  cadenceSeconds: number;
  failThreshold: number;
  timeoutMs: number;
  lookupCacheSeconds: number;
  confirmFailures: boolean;
  method: string;
  /** Callers' reports: off, or the rule (N contacts in W seconds, confirmed by speech or the probe). */
  callerReports: string;
  /** Simulated callers per second, 0 for none (the lookup alone, asked every 10 ms). */
  callersPerSecond: number;
}

export interface DetectionRun {
  /** What this run measures (e.g. "default config", "NLU as the probe", "the previous default"). */
  label: string;
  goals: Partial<Record<FaultMode, number>>;
  retriedGoalPercent?: number;
  config: DetectionConfig;
  trials: DetectionTrial[];
  failedExecutions: number;
}

export interface DetectionFigures {
  runs: DetectionRun[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  deadlineMs: number,
  f: () => Promise<T | undefined>,
  everyMs = 25,
  state: () => Promise<unknown> = async () => undefined,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}; state: ${JSON.stringify(await state())}`);
    await sleep(everyMs);
  }
}

async function trial(
  sys: LocalSystem,
  mode: FaultMode,
  lastCycleAt: () => number,
  callersPerSecond: number,
): Promise<DetectionTrial> {
  const [primary] = sys.config.regions as [string, ...string[]];
  sys.lex[primary]!.setFault({ mode: 'none' });
  await sys.dynamo.client.send(
    new DeleteItemCommand({ TableName: sys.config.tableName, Key: { connectRegion: { S: sys.config.connectRegion } } }),
  );
  // A clean start: the table and the lookup back on the primary, and one full cycle seen since.
  await until(
    'lexDR back on the primary',
    90_000,
    async () => {
      const item = await sys.readItem();
      return item?.lexRegion === primary && (item.regionHealth[primary]?.passes ?? 0) >= 1 ? true : undefined;
    },
    25,
    () => sys.readItem(),
  );
  await until('the lookup back on the primary', 30_000, async () =>
    (await sys.lookup(EVENT)).lexRegion === primary ? true : undefined,
  );
  const callers = callersPerSecond > 0 ? startCallers(sys, callersPerSecond) : undefined;
  await sleep(Math.random() * sys.config.cadenceSeconds * 1000);

  const t0 = performance.now();
  const phaseMs = Date.now() - lastCycleAt();
  sys.lex[primary]!.setFault({ mode });
  // Steady call traffic: the lookup is asked every 10 ms throughout, so its cache behaves as under real calls.
  let tableMs = NaN;
  let to = '';
  let reason = '';
  let asked = 0;
  let toFailed = 0;
  const lookupMs = await until(
    'lexDR to leave the primary and the lookup to answer the new region',
    120_000,
    async () => {
      const [item, answer] = await Promise.all([sys.readItem(), sys.lookup(EVENT)]);
      asked += 1;
      if (answer.lexRegion === primary) toFailed += 1;
      if (Number.isNaN(tableMs) && item && item.lexRegion !== primary) {
        tableMs = performance.now() - t0;
        to = item.lexRegion;
        reason = `${item.lastChange?.reason ?? ''}${item.lastChange?.reported ? ' (started by callers, confirmed by a probe)' : ''}`;
      }
      return to !== '' && answer.lexRegion === to ? performance.now() - t0 : undefined;
    },
    10,
  );
  // The rest of the window: callers now reach the new region first.
  while (performance.now() - t0 < RETRY_WINDOW_MS) {
    const answer = await sys.lookup(EVENT);
    asked += 1;
    if (answer.lexRegion === primary) toFailed += 1;
    await sleep(10);
  }
  const arrived = ((await callers?.stop()) ?? []).filter(
    (c: CallerRecord) => c.atMs >= t0 && c.atMs < t0 + RETRY_WINDOW_MS,
  );
  sys.lex[primary]!.setFault({ mode: 'none' });
  const retryShare = callers
    ? arrived.filter((c) => c.retried).length / Math.max(1, arrived.length)
    : asked === 0
      ? 0
      : toFailed / asked;
  const reports = arrived.reduce((n, c) => n + c.reports, 0);
  return { mode, phaseMs, tableMs, lookupMs, to, reason, retryShare, callers: arrived.length, reports };
}

/** The project's config (cdk.json's lexdr context) with `over` on top. */
export function projectConfig(over: Partial<LexdrConfigInput> = {}): LexdrConfigInput {
  const cdk = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: { lexdr: LexdrConfigInput };
  };
  const base = cdk.context.lexdr;
  return { ...base, ...over, probe: { ...base.probe, ...over.probe } } as LexdrConfigInput;
}

export interface DetectionPlan {
  label: string;
  config: LexdrConfigInput;
  modes: FaultMode[];
  /** Simulated callers walking the flow, per second. @default 0 (the lookup alone) */
  callersPerSecond?: number;
  /** Goals of this plan: fault → lookup worst of its trials, per mode (ms). @default none */
  goals?: Partial<Record<FaultMode, number>>;
  /** Goal of this plan: median share of callers retried per mode (%). @default none */
  retriedGoalPercent?: number;
}

/** Runs each plan's trials on a local system of its own config, one plan after the other. */
export async function benchDetection(
  plans: DetectionPlan[],
  log: (s: string) => void = console.log,
): Promise<DetectionFigures> {
  const runs: DetectionRun[] = [];
  for (const plan of plans) runs.push(await runPlan(plan, log));
  return { runs };
}

async function runPlan(plan: DetectionPlan, log: (s: string) => void): Promise<DetectionRun> {
  const running = await startScheduledSystem(plan.config);
  const { sys } = running;
  const out: DetectionTrial[] = [];
  try {
    for (const [i, mode] of plan.modes.entries()) {
      const t = await trial(sys, mode, running.lastCycleAt, plan.callersPerSecond ?? 0);
      out.push(t);
      log(
        `  ${plan.label} ${i + 1}/${plan.modes.length} (${mode}): lexDR ${(t.tableMs / 1000).toFixed(1)} s, lookup ${(t.lookupMs / 1000).toFixed(1)} s (${t.reason} → ${t.to}), ${(t.retryShare * 100).toFixed(0)} % of ${t.callers || 'the'} callers retried${t.callers ? `, ${t.reports} reports` : ''}`,
      );
    }
  } finally {
    await running.close();
  }
  const failedExecutions = running.failedExecutions();
  const c = sys.config;
  return {
    label: plan.label,
    goals: plan.goals ?? {},
    ...(plan.retriedGoalPercent !== undefined ? { retriedGoalPercent: plan.retriedGoalPercent } : {}),
    config: {
      cadenceSeconds: c.cadenceSeconds,
      failThreshold: c.failThreshold,
      timeoutMs: c.probe.timeoutMs,
      lookupCacheSeconds: c.lookupCacheSeconds,
      confirmFailures: c.confirmFailures,
      method: c.probe.method,
      callerReports: c.callerReports.enabled
        ? `${c.callerReports.contacts} contact(s) in ${c.callerReports.windowSeconds} s, confirmed by ${c.callerReports.confirmWith}`
        : 'off',
      callersPerSecond: plan.callersPerSecond ?? 0,
    },
    trials: out,
    failedExecutions,
  };
}
