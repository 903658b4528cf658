/**
 * Callers' reports through the local system: the real report function (core/report-handler.ts) with real SDK clients
 * over HTTP — the DR table in dynalite, StartExecution on the local Step Functions endpoint, PutMetricData on the
 * local CloudWatch — starting the real ASL (aws-local-stepfunctions) whose probe alone may move callers.
 */
import { randomUUID } from 'node:crypto';
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import type { LocalSystem, ReportRecord } from '../../local/system';
import { metricValues, sum } from '../reliability/helpers';
import { BOT, E, W, connectReport, healthySlate, readWindow, reportChecks, reportConfig } from './report-fixture';
import { startFast } from './system-fixture';

let sys: LocalSystem;
let control: ControlServer;
beforeAll(async () => {
  sys = await startFast(reportConfig(), { reports: { retryDelayMs: 10 } });
  control = await startControlServer(sys);
});
afterAll(async () => {
  await control?.close();
  await sys?.close();
});
beforeEach(async () => {
  await healthySlate(sys);
});

const post = (path: string, body: unknown) =>
  fetch(`${control.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe("a caller's report for a failed active region", () => {
  it('starts a check at once whose failing probe moves callers, recorded as reported and counted', async () => {
    const before = reportChecks(sys).length;
    sys.lex[E]!.setFault({ mode: 'down' });

    const r = await sys.report(connectReport(E));
    expect(r).toMatchObject({ outcome: 'triggered', lexRegion: E, fresh: 1 });
    expect(r.executionArn).toMatch(/:express:[^:]+:reports-us-east-1-\d+:/);
    await sys.stepfunctions.drain();

    // The check ran the real workflow with the burst in its input, one cycle, and it moved callers.
    const checks = reportChecks(sys).slice(before);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ executionArn: r.executionArn, status: 'SUCCEEDED' });
    expect((checks[0]!.input as { reported: unknown }).reported).toMatchObject({ region: E, contacts: 1 });
    const item = (await sys.readItem())!;
    expect(item.lexRegion).toBe(W);
    expect(item.regionHealth[E]).toMatchObject({ fails: 2, reason: 'server-error' });
    const history = await sys.history();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      from: E,
      to: W,
      reason: 'failover',
      execution: r.executionArn,
      reported: { contacts: 1, confirmedBy: expect.stringContaining(BOT) },
    });
    expect(history[0]!.reported!.confirmedBy).toMatch(/server-error|unavailable/i);
    expect(await sys.lookup(connectReport(E))).toMatchObject({ lexRegion: W });

    // The metrics: one caller's report (ConnectRegion, Bot, Region) and one report-started check (ConnectRegion, Region).
    expect(metricValues(sys, 'CallerReportedFailures', { ConnectRegion: E, Bot: BOT, Region: E })).toEqual([1]);
    expect(metricValues(sys, 'CallerReportChecks', { ConnectRegion: E, Region: E })).toEqual([1]);
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(1);
    // The window item: the contact, and the check it started.
    const w = (await readWindow(sys, E))!;
    expect(w).toMatchObject({ reports: 1, triggers: 1, version: 1 });
    expect(w.lastTriggerAt).toBe(w.lastReportAt);
  });

  it('a report for a region callers are not on is counted, and starts nothing', async () => {
    const before = reportChecks(sys).length;
    const r = await sys.report(connectReport(W));
    expect(r).toMatchObject({ outcome: 'not-active', lexRegion: W });
    expect(r.executionArn).toBeUndefined();
    expect(reportChecks(sys)).toHaveLength(before);
    expect(metricValues(sys, 'CallerReportedFailures', { Region: W })).toEqual([1]);
    expect(metricValues(sys, 'CallerReportChecks')).toEqual([]);
  });
});

describe('a flood of forged reports for a healthy active region', () => {
  it('200 distinct contacts over HTTP: every one answered 202 at once, a few rate-limited checks, no switch', async () => {
    const item = (await sys.readItem())!;
    const before = reportChecks(sys).length;
    const t0 = sys.clock().getTime();
    const attempts: ReportRecord[] = [];
    const off = sys.onEvent((e) => e.type === 'report' && attempts.push(e.record));

    const answers = await Promise.all(
      Array.from({ length: 200 }, () => post('/report', connectReport(E, randomUUID()))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(200).fill(202));
    await sys.drainReports();
    await sys.stepfunctions.drain();
    const seconds = (sys.clock().getTime() - t0) / 1000;
    off();

    // Every report is recorded and counted: concurrent writers of the window retry with jittered waits, none lost.
    // None moved callers. (One summary, so that a failure shows the whole run.)
    const recorded = attempts.filter((r) => r.result && r.result.outcome !== 'duplicate').length;
    const lost = attempts.filter((r) => r.error && !r.retrying);
    const checks = reportChecks(sys).slice(before);
    const after = (await sys.readItem())!;
    const run = {
      accounted: recorded + lost.length,
      lostTo: [...new Set(lost.map((r) => r.error!.name))],
      recorded,
      counted: sum(metricValues(sys, 'CallerReportedFailures', { ConnectRegion: E, Bot: BOT, Region: E })),
      windowReports: (await readWindow(sys, E))!.reports,
      someChecks: checks.length >= 1,
      withinRateLimit: checks.length <= Math.ceil(seconds / 15) + 1,
      checksSucceeded: checks.every((c) => c.status === 'SUCCEEDED'),
      checksCounted: sum(metricValues(sys, 'CallerReportChecks', { Region: E })),
      lexRegion: after.lexRegion,
      failsE: after.regionHealth[E]!.fails,
      version: after.version,
      history: (await sys.history()).length,
      regionChanges: sum(metricValues(sys, 'RegionChanges')),
    };
    expect(run).toEqual({
      accounted: 200,
      lostTo: [],
      recorded: 200,
      counted: 200,
      windowReports: 200,
      someChecks: true,
      withinRateLimit: true,
      checksSucceeded: true,
      checksCounted: checks.length,
      lexRegion: E,
      failsE: 0,
      version: item.version,
      history: 0,
      regionChanges: 0,
    });
    expect(metricValues(sys, 'ProbeSuccess', { Region: E }).every((v) => v === 1)).toBe(true);
  }, 60_000);

  it('a body that is not JSON is refused as Lambda refuses it; an invalid report is taken, then fails in the background', async () => {
    const bad = await fetch(`${control.url}/report`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    const forged = await post('/report', { ...connectReport(E), Name: 'SomethingElse' });
    expect(forged.status).toBe(202);
    await sys.drainReports();
    const attempts = sys.reports().slice(-2);
    expect(attempts.map((a) => [a.attempt, a.error?.name, a.retrying ?? false])).toEqual([
      [1, 'InvalidInputError', true],
      [2, 'InvalidInputError', false],
    ]);
    expect(await readWindow(sys, E)).toBeUndefined();
    expect(metricValues(sys, 'CallerReportedFailures')).toEqual([]);
  });
});

describe('a repeated report of one contact (Connect or Lambda retrying)', () => {
  it('counts once and starts nothing more', async () => {
    sys.lex[E]!.setFault({ mode: 'down' });
    const before = reportChecks(sys).length;
    const event = connectReport(E);
    const first = await sys.report(event);
    const again = await sys.report(event);
    await sys.stepfunctions.drain();
    expect(first.outcome).toBe('triggered');
    expect(again).toMatchObject({ outcome: 'duplicate', fresh: 0 });
    expect(again.executionArn).toBeUndefined();
    expect(reportChecks(sys)).toHaveLength(before + 1);
    expect(metricValues(sys, 'CallerReportedFailures')).toEqual([1]);
    expect((await readWindow(sys, E))!.reports).toBe(1);
    expect(await sys.history()).toHaveLength(1);
  });

  it("an asynchronous invoke that failed is retried by Lambda and recorded once; the retry's repeat changes nothing", async () => {
    sys.functions['report-function'].setFault({ mode: 'error', first: 1 });
    const event = connectReport(E);
    expect((await post('/report', event)).status).toBe(202);
    await sys.drainReports();
    const [failed, retried] = sys.reports().slice(-2);
    expect(failed).toMatchObject({ invocation: 'async', attempt: 1, retrying: true, lexRegion: E });
    expect(failed!.error?.name).toBe('Lambda.ServiceException');
    expect(retried).toMatchObject({ invocation: 'async', attempt: 2, result: { outcome: 'triggered' } });

    expect((await post('/report', event)).status).toBe(202);
    await sys.drainReports();
    await sys.stepfunctions.drain();
    expect(sys.reports().at(-1)).toMatchObject({ attempt: 1, result: { outcome: 'duplicate' } });
    expect(metricValues(sys, 'CallerReportedFailures')).toEqual([1]);
    expect(metricValues(sys, 'CallerReportChecks')).toEqual([1]);
  });
});
