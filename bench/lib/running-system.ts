/**
 * A local system run as `npm start` runs it for the benchmark: real Wait states and retries, an execution started
 * every 60 s (the schedule), the phase of the cycles and the executions that did not succeed counted.
 */
import type { LexdrConfigInput } from '../../infra/config';
import { startLocalSystem } from '../../local/system';
import type { LocalSystem } from '../../local/system';

const SCHEDULE_MS = 60_000;

export interface ScheduledSystem {
  sys: LocalSystem;
  /** When the latest cycle started (Date.now()). */
  lastCycleAt(): number;
  /** Executions that ended other than SUCCEEDED (the schedule's and the report-started checks). */
  failedExecutions(): number;
  close(): Promise<void>;
}

export async function startScheduledSystem(config: LexdrConfigInput): Promise<ScheduledSystem> {
  const sys = await startLocalSystem({ config });
  let lastCycleAt = Date.now();
  let failed = 0;
  const abort = new AbortController();
  sys.onEvent((e) => {
    if (e.type === 'cycle') {
      if (e.decided.attempt === 0) lastCycleAt = Date.now() - Math.max(0, e.probes[0]?.latencyMs ?? 0);
    } else if (e.type === 'execution' && e.record.status !== 'SUCCEEDED' && !abort.signal.aborted) failed += 1;
  });
  const running = new Set<Promise<unknown>>();
  const tick = () => {
    const p = sys.runExecution({}, { signal: abort.signal }).finally(() => running.delete(p));
    running.add(p);
  };
  tick();
  const timer = setInterval(tick, SCHEDULE_MS);
  return {
    sys,
    lastCycleAt: () => lastCycleAt,
    failedExecutions: () => failed,
    async close() {
      clearInterval(timer);
      abort.abort();
      await Promise.allSettled([...running]);
      await sys.close();
    },
  };
}
