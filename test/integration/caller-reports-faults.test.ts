/**
 * Callers' reports when text and speech disagree, and when the report function itself fails — through the local
 * system: the real report function, the real ASL, real SDK clients over HTTP.
 * - `nospeech` (the text API answers, speech recognition fails): a report confirmed by a speech probe moves callers;
 *   with `confirmWith: 'probe'` and a text probe, reports never do while that probe passes.
 * - The report function throttled, failing or timing out changes nothing for callers: the lookup answers, the table
 *   stays, and the schedule's probes still fail over on a real fault.
 */
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import type { LambdaFaultMode } from '../../local/lambda-faults';
import type { LocalSystem } from '../../local/system';
import { REPORT_FUNCTION } from '../../infra/stacks/sizing';
import { metricValues, sum } from '../reliability/helpers';
import { E, W, connectReport, healthySlate, readWindow, reportChecks, reportConfig } from './report-fixture';
import { cycles, startFast } from './system-fixture';

describe('a speech-only fault (nospeech): text probes pass, callers fail', () => {
  it("confirmWith 'speech': one caller's report → a speech probe of the region fails → callers move", async () => {
    const sys = await startFast(reportConfig({ confirmWith: 'speech' }));
    try {
      await healthySlate(sys);
      sys.lex[E]!.setFault({ mode: 'nospeech' });
      await cycles(sys, 3); // the schedule's text probes pass: nothing moves
      expect((await sys.readItem())!.lexRegion).toBe(E);

      const r = await sys.report(connectReport(E));
      expect(r.outcome).toBe('triggered');
      await sys.stepfunctions.drain();
      expect((await sys.readItem())!.lexRegion).toBe(W);
      const [change] = await sys.history();
      expect(change).toMatchObject({ from: E, to: W, reason: 'failover', execution: r.executionArn });
      expect(change!.reported).toMatchObject({ contacts: 1 });
      // The probe that confirmed it spoke: the speech probe of the reported region.
      const speech = sys.lastProbes().find((p) => p.region === E);
      expect(speech).toMatchObject({ method: 'speech', ok: false });
      expect(metricValues(sys, 'CallerReportChecks', { Region: E })).toEqual([1]);
    } finally {
      await sys.close();
    }
  }, 30_000);

  it("confirmWith 'probe' with a text probe: reports start checks, and never a switch while the probe passes", async () => {
    const sys = await startFast(reportConfig({ confirmWith: 'probe' }));
    try {
      await healthySlate(sys);
      sys.lex[E]!.setFault({ mode: 'nospeech' });
      const before = reportChecks(sys).length;
      for (let i = 0; i < 3; i += 1) {
        // Callers keep failing (their speech is not recognised) and keep reporting, past each rate limit.
        const r = await sys.report(connectReport(E));
        expect(r.outcome).toBe('triggered');
        await sys.stepfunctions.drain();
        sys.advance(16_000);
        await cycles(sys, 1);
      }
      const checks = reportChecks(sys).slice(before);
      expect(checks).toHaveLength(3);
      expect(checks.every((c) => c.status === 'SUCCEEDED')).toBe(true);
      const item = (await sys.readItem())!;
      expect(item.lexRegion).toBe(E);
      expect(item.regionHealth[E]).toMatchObject({ fails: 0 });
      expect(await sys.history()).toEqual([]);
      expect(sum(metricValues(sys, 'CallerReportedFailures', { Region: E }))).toBe(3);
      expect(sum(metricValues(sys, 'RegionChanges'))).toBe(0);
    } finally {
      await sys.close();
    }
  }, 30_000);
});

describe('the report function failing changes nothing for callers', () => {
  let sys: LocalSystem;
  let control: ControlServer;
  beforeAll(async () => {
    sys = await startFast(reportConfig(), { functionTimeoutMs: 30, reports: { retryDelayMs: 10 } });
    control = await startControlServer(sys);
  });
  afterAll(async () => {
    await control?.close();
    await sys?.close();
  });
  const lookup = async () => {
    const res = await fetch(`${control.url}/lookup`, { method: 'POST', body: JSON.stringify(connectReport(E)) });
    return [res.status, ((await res.json()) as { lexRegion: string }).lexRegion];
  };
  /** The lookup caches lexDR for a second (lookupCacheSeconds): it answers a new region within that. */
  async function lookupAnswers(region: string) {
    const deadline = Date.now() + 3000;
    let answer = await lookup();
    while (answer[1] !== region && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await lookup();
    }
    return answer;
  }
  beforeEach(async () => {
    await healthySlate(sys);
    expect(await lookupAnswers(E)).toEqual([200, E]);
  });

  const ERROR_NAMES: Record<Exclude<LambdaFaultMode, 'none' | 'slow'>, string> = {
    throttled: 'Lambda.TooManyRequestsException',
    error: 'Lambda.ServiceException',
    timeout: 'Sandbox.Timedout',
  };

  it.each(Object.entries(ERROR_NAMES))(
    'report function %s: 202 at once, the lookup answers, the table stays, the schedule still fails over',
    async (mode, errorName) => {
      const item = (await sys.readItem())!;
      sys.functions['report-function'].setFault({ mode: mode as LambdaFaultMode });
      // Callers report a failure, and meanwhile keep calling: the flow's report action never waits.
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          fetch(`${control.url}/report`, { method: 'POST', body: JSON.stringify(connectReport(E)) }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await lookup()).toEqual([200, E]);
      await sys.drainReports();

      // Each report failed in both attempts (Lambda's retry) with the fault's error, and left no trace.
      const failed = sys.reports().slice(-10);
      expect(failed.map((r) => r.error?.name)).toEqual(Array(10).fill(errorName));
      expect(failed.filter((r) => r.retrying)).toHaveLength(5);
      expect(await readWindow(sys, E)).toBeUndefined();
      expect(metricValues(sys, 'CallerReportedFailures')).toEqual([]);
      expect(await sys.readItem()).toEqual(item);
      expect(await lookup()).toEqual([200, E]);

      // A real fault: the schedule's probes detect it and move callers, the report function still failing.
      sys.lex[E]!.setFault({ mode: 'down' });
      await cycles(sys, 1);
      expect((await sys.readItem())!.lexRegion).toBe(W);
      expect(await lookupAnswers(W)).toEqual([200, W]);
      const [change] = await sys.history();
      expect(change).toMatchObject({ from: E, to: W, reason: 'failover' });
      expect(change!.reported).toBeUndefined();
    },
    30_000,
  );
});

describe('the DR table hanging while callers report', () => {
  it('the report function gives up within its bounds (no window, no check), and works again once the table answers', async () => {
    const sys = await startFast(reportConfig());
    try {
      await healthySlate(sys);
      sys.lex[E]!.setFault({ mode: 'down' });
      sys.dynamo.setFault({ mode: 'hang' });
      const started = Date.now();
      // The `report` preset: three attempts of at most a second each, well inside the function's 10 s.
      const err = await sys.report(connectReport(E)).then(
        () => undefined,
        (e: Error) => e,
      );
      const elapsed = Date.now() - started;
      sys.dynamo.setFault({ mode: 'none' });
      expect(err?.name).toMatch(/Timeout/);
      expect(elapsed).toBeLessThan(REPORT_FUNCTION.timeoutSeconds * 1000);
      expect(reportChecks(sys)).toHaveLength(0);
      expect(await readWindow(sys, E)).toBeUndefined();
      expect((await sys.readItem())!.lexRegion).toBe(E);

      // The table back: the next caller's report is taken, and its check moves callers.
      const r = await sys.report(connectReport(E));
      expect(r.outcome).toBe('triggered');
      await sys.stepfunctions.drain();
      expect((await sys.readItem())!.lexRegion).toBe(W);
    } finally {
      await sys.close();
    }
  }, 30_000);
});

describe("the window write's response lost (applied, then the connection reset)", () => {
  it('the retried write recognises its own landed write: the report still starts its check', async () => {
    const sys = await startFast(reportConfig());
    try {
      await healthySlate(sys);
      sys.lex[E]!.setFault({ mode: 'down' });
      // The report function's first PutItem lands and its answer is lost: the SDK sends it again, and the condition
      // on the version it read fails against its own write.
      sys.dynamo.setFault({ mode: 'lost', operations: ['PutItem'], first: 1, roles: ['lookup'] });
      const r = await sys.report(connectReport(E));
      sys.dynamo.setFault({ mode: 'none' });
      expect(r.outcome).toBe('triggered');
      await sys.stepfunctions.drain();
      expect((await sys.readItem())!.lexRegion).toBe(W);
      expect((await readWindow(sys, E))!.reports).toBe(1);
      expect(sum(metricValues(sys, 'CallerReportedFailures', { Region: E }))).toBe(1);
    } finally {
      await sys.close();
    }
  }, 30_000);
});
