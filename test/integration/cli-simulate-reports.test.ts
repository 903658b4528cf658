/**
 * `lexdr simulate` across a `down` fault, side by side: the same callers, the same schedule, once with callers'
 * reports starting checks (the default) and once with reports recorded but starting nothing (today's probe-only
 * path). The callers walk the real flow against the real local system and its report endpoint; with reports, the
 * share of callers who needed the flow's retry falls.
 */
import type { LexdrConfigInput } from '../../infra/config';
import type { CliSystem } from './cli-harness';
import { runLexdr, startCliSystem } from './cli-harness';
import { FAST } from './system-fixture';

/** The schedule, slower than the callers: a single-cycle execution every 5 s, the first as the callers start. */
function schedule(cli: CliSystem): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      await cli.sys.runExecution({ cycles: 1 });
      await new Promise((r) => setTimeout(r, 5000));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

async function simulate(callerReports: LexdrConfigInput['callerReports']) {
  const cli = await startCliSystem('lexdr-sim-reports-', {
    ...FAST,
    lookupCacheSeconds: 0,
    // A generous latency budget: a busy test machine must not make a healthy region look slow.
    probe: { ...FAST.probe, timeoutMs: 2000, latencyBudgetMs: 1500 },
    callerReports,
  });
  const stop = schedule(cli);
  try {
    const argv = ['simulate', '--calls', '50', '--rate', '10', '--fault-at', '1', '--json'];
    const r = await runLexdr(argv, cli.env, cli.dir);
    expect(r.code).toBe(0);
    await cli.sys.drainReports();
    return JSON.parse(r.out) as { calls: number; dropped: number; servedByFallback: number; reportsSent: number };
  } finally {
    await stop();
    await cli.close();
  }
}

it('the share of callers who needed the retry falls when their reports start checks', async () => {
  const withReports = await simulate({ enabled: true, contacts: 1, confirmWith: 'speech' });
  const probeOnly = await simulate({ enabled: false });
  for (const s of [withReports, probeOnly]) expect(s).toMatchObject({ calls: 50, dropped: 0 });
  // Every caller saved by the retry reported the failure, in both runs.
  expect(withReports.reportsSent).toBe(withReports.servedByFallback);
  expect(probeOnly.reportsSent).toBe(probeOnly.servedByFallback);
  // The first reporter's check moves everyone after it: a few callers (how few depends on the machine's load),
  // against every caller from the fault (at 1 s) until the schedule's next execution (at 5 s): some 40 at 10 a second.
  expect(withReports.servedByFallback).toBeGreaterThanOrEqual(1);
  expect(probeOnly.servedByFallback).toBeGreaterThan(2 * withReports.servedByFallback);
}, 60_000);
