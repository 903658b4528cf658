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
import { startLocalSystem } from '../../local/system';
import type { LocalSystem } from '../../local/system';

/** Callers arriving in this window after the fault are counted for the retry share. */
export const RETRY_WINDOW_MS = 15_000;

const SCHEDULE_MS = 60_000;
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
  /** Share of the lookup answers in the RETRY_WINDOW_MS after the fault that still named the failed region. */
  retryShare: number;
}

export interface DetectionConfig {
  cadenceSeconds: number;
  failThreshold: number;
  timeoutMs: number;
  lookupCacheSeconds: number;
  confirmFailures: boolean;
  method: string;
}

export interface DetectionRun {
  /** What this run measures (e.g. "default config", "NLU as the probe", "the previous default"). */
  label: string;
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

async function trial(sys: LocalSystem, mode: FaultMode, lastCycleAt: () => number): Promise<DetectionTrial> {
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
        reason = item.lastChange?.reason ?? '';
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
  sys.lex[primary]!.setFault({ mode: 'none' });
  return { mode, phaseMs, tableMs, lookupMs, to, reason, retryShare: asked === 0 ? 0 : toFailed / asked };
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
  const sys = await startLocalSystem({ config: plan.config }); // real Wait states and retries, as npm start
  let lastCycleAt = Date.now();
  let failedExecutions = 0;
  const abort = new AbortController();
  sys.onEvent((e) => {
    if (e.type === 'cycle') {
      if (e.decided.attempt === 0) lastCycleAt = Date.now() - Math.max(0, e.probes[0]?.latencyMs ?? 0);
    } else if (e.type === 'execution' && e.record.status !== 'SUCCEEDED' && !abort.signal.aborted)
      failedExecutions += 1;
  });
  const running = new Set<Promise<unknown>>();
  const tick = () => {
    const p = sys.runExecution({}, { signal: abort.signal }).finally(() => running.delete(p));
    running.add(p);
  };
  tick();
  const timer = setInterval(tick, SCHEDULE_MS);
  const out: DetectionTrial[] = [];
  try {
    for (const [i, mode] of plan.modes.entries()) {
      const t = await trial(sys, mode, () => lastCycleAt);
      out.push(t);
      log(
        `  ${plan.label} ${i + 1}/${plan.modes.length} (${mode}): lexDR ${(t.tableMs / 1000).toFixed(1)} s, lookup ${(t.lookupMs / 1000).toFixed(1)} s (${t.reason} → ${t.to}), ${(t.retryShare * 100).toFixed(0)} % of callers retried`,
      );
    }
  } finally {
    clearInterval(timer);
    abort.abort();
    await Promise.allSettled([...running]);
    await sys.close();
  }
  const c = sys.config;
  return {
    label: plan.label,
    config: {
      cadenceSeconds: c.cadenceSeconds,
      failThreshold: c.failThreshold,
      timeoutMs: c.probe.timeoutMs,
      lookupCacheSeconds: c.lookupCacheSeconds,
      confirmFailures: c.confirmFailures,
      method: c.probe.method,
    },
    trials: out,
    failedExecutions,
  };
}
