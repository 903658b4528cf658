/**
 * The Lex fault matrix, driven by a caller's report: every Lex fault on the active region, one report of it, and the
 * check it starts (one cycle, the reported region probed by speech) — through the real report function, the real
 * ASL, real SDK clients over HTTP. A fault a speech probe meets as an error, a timeout or a wrong intent moves callers
 * at once, with the report and the confirming probe in the history; a healthy region never moves on a report, and a
 * merely slow one only after a second slow answer. Then the same with the configured text probe confirming (`confirmWith: 'probe'`): a speech-only fault is not
 * the probe's to see, so nothing moves.
 */
import type { FaultMode } from '../../local/lex';
import type { LocalSystem } from '../../local/system';
import { E, W, connectReport, healthySlate, reportConfig } from '../integration/report-fixture';
import { startFast } from '../integration/system-fixture';
import { metricValues } from './helpers';

/** Lex fault on the active region → what the check's speech probe finds (null: no switch). */
const BY_SPEECH: Record<'ok' | Exclude<FaultMode, 'none'>, string | null> = {
  ok: null,
  down: 'server-error',
  throttled: 'throttled',
  notfound: 'not-found',
  hang: 'timeout',
  // Over the latency budget: one failure, not a confirmation on its own (a busy moment must not move everyone) — the
  // check then confirms it a second later, as the schedule would, and only that second slow answer moves callers.
  slow: 'slow',
  wrongintent: 'wrong-intent',
  nospeech: 'server-error',
};

/** A `slow` region's answers: over the latency budget (1 s), under the timeout (2 s). */
const SLOW_MS = 1300;

/** The same faults when the check confirms with the configured text probe (liveness). */
const BY_TEXT_PROBE: Partial<Record<keyof typeof BY_SPEECH, string | null>> = {
  down: 'server-error',
  // Liveness does not look at the intent, nor speak: these two are not its to see.
  wrongintent: null,
  nospeech: null,
};

async function reportOnce(sys: LocalSystem, fault: keyof typeof BY_SPEECH) {
  await healthySlate(sys);
  const before = (await sys.readItem())!.version;
  if (fault !== 'ok') sys.lex[E]!.setFault({ mode: fault, ...(fault === 'slow' ? { latencyMs: SLOW_MS } : {}) });
  try {
    const r = await sys.report(connectReport(E));
    await sys.stepfunctions.drain();
    const item = (await sys.readItem())!;
    const [change] = (await sys.history()).filter((c) => c.execution === r.executionArn);
    return { r, item, before, change, probe: sys.lastProbes().find((p) => p.region === E) };
  } finally {
    sys.lex[E]!.setFault({ mode: 'none' });
  }
}

describe.each([
  ['speech', BY_SPEECH],
  ['probe', BY_TEXT_PROBE],
] as const)('a report, confirmed by %s', (confirmWith, cases) => {
  let sys: LocalSystem;
  beforeAll(async () => {
    // `slow` answers over the budget and well under the timeout; a healthy local probe takes milliseconds.
    const base = reportConfig({ confirmWith, minIntervalSeconds: 5 });
    sys = await startFast({ ...base, probe: { ...base.probe, timeoutMs: 2000, latencyBudgetMs: 1000 } });
  });
  afterAll(() => sys?.close());

  it.each(Object.entries(cases))(
    '%s on the active region → %s',
    async (fault, reason) => {
      const { r, item, before, change, probe } = await reportOnce(sys, fault as keyof typeof BY_SPEECH);
      expect(r.outcome).toBe('triggered');
      expect(probe?.method).toBe(confirmWith === 'speech' ? 'speech' : 'liveness');
      if (reason === null) {
        expect(item.lexRegion).toBe(E);
        expect(change).toBeUndefined();
        return;
      }
      expect(probe).toMatchObject({ ok: false, reason });
      // The slow case writes its first failure's counters, then the switch.
      expect(item).toMatchObject({ lexRegion: W, version: before + (reason === 'slow' ? 2 : 1) });
      expect(change).toMatchObject({ from: E, to: W, reason: 'failover' });
      // One round when the report and one failed probe make failThreshold; two when the probe was only slow.
      // (A history record is the change with its key, `changeId`: `<cycle time>#<execution>#<cycle>.<round>`.)
      expect((change as { changeId?: string }).changeId).toMatch(reason === 'slow' ? /#0\.1$/ : /#0\.0$/);
      expect(change!.reported).toMatchObject({ contacts: 1 });
      expect(change!.reported!.confirmedBy).toMatch(/^OrderFlowers: /);
      expect(metricValues(sys, 'RegionChanges').reduce((a, b) => a + b, 0)).toBe(1);
      expect(metricValues(sys, 'CallerReportedFailures', { Region: E })).toEqual([1]);
    },
    30_000,
  );
});
