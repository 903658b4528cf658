/**
 * `lexdr simulate` and `lexdr flow` against a real local system: callers walk the rendered contact flow (real
 * lookup over HTTP, real spoken Lex turns) while a fault is injected and the real workflow detects it; the flow's
 * reports of the callers' bot failures reach the report endpoint as Connect's ContactFlowEvent.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseReport } from '../../core/caller-reports';
import type { LocalSystem } from '../../local/system';
import { validateFlow } from '../../flows/validate';
import type { CliSystem } from './cli-harness';
import { runLexdr, startCliSystem } from './cli-harness';
import { FAST } from './system-fixture';

let sys: LocalSystem;
let dir: string;
let file: string;

const lexdr = (argv: string[]) => runLexdr(argv, { LEXDR_LOCAL_FILE: file, LEXDR_POLL_MS: '20' }, dir);

/** A report endpoint that keeps what it is sent and answers 202 at once, as the local report function does. */
const received: unknown[] = [];
const reportServer = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    res.writeHead(202).end();
  });
});
/** The endpoints file with `report` pointing at reportServer (or without `report`). */
let withReport: string;
let withoutReport: string;

let cli: CliSystem;
beforeAll(async () => {
  cli = await startCliSystem('lexdr-sim-', { ...FAST, lookupCacheSeconds: 0 });
  ({ sys, dir, file } = cli);
  await new Promise<void>((r) => reportServer.listen(0, '127.0.0.1', r));
  const endpoints = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  withReport = join(dir, 'with-report.json');
  withoutReport = join(dir, 'without-report.json');
  const url = `http://127.0.0.1:${(reportServer.address() as AddressInfo).port}/report`;
  writeFileSync(withReport, JSON.stringify({ ...endpoints, report: url }));
  writeFileSync(withoutReport, JSON.stringify({ ...endpoints, report: undefined }));
});
afterAll(async () => {
  await cli?.close();
  await new Promise((r) => reportServer.close(r));
});

/** The reports received, read as the report function reads them. */
const reports = () =>
  received.splice(0).map((event) => ({
    ...parseReport(event, { regions: ['us-east-1', 'us-west-2'], bots: ['OrderFlowers'] }, 0),
    instanceArn: (event as { Details: { ContactData: { InstanceARN?: string } } }).Details.ContactData.InstanceARN,
  }));

describe('lexdr simulate', () => {
  it('serves every caller across a fault that the running workflow detects: 0 dropped', async () => {
    // The schedule: single-cycle executions back to back while the callers arrive.
    let running = true;
    const schedule = (async () => {
      while (running) {
        await sys.runExecution({ cycles: 1 });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const argv = ['simulate', '--calls', '40', '--rate', '20', '--fault-at', '0.5', '--json'];
    const r = await runLexdr(argv, { LEXDR_LOCAL_FILE: withReport, LEXDR_POLL_MS: '20' }, dir);
    running = false;
    await schedule;
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ calls: 40, dropped: 0, faultRegion: 'us-east-1', faultMode: 'down' });
    // Each caller saved by the retry reported the failure once, as Connect would send it, before the retry.
    const got = reports();
    expect(s).toMatchObject({ reportsSent: s.servedByFallback, reportsFailed: 0, reportsNotDelivered: 0 });
    expect(got).toHaveLength(s.reportsSent);
    expect(new Set(got.map((x) => `${x.lexRegion} ${x.kind} ${x.block} ${x.bot} ${x.source}`))).toEqual(
      new Set(['us-east-1 error talk-to-bot OrderFlowers connect']),
    );
    expect(new Set(got.map((x) => x.contactId)).size).toBe(got.length);
    expect(got[0]!.instanceArn).toMatch(/^arn:aws:connect:us-east-1:\d{12}:instance\//);
    expect(s.served + s.queuedToAgents).toBe(40);
    expect(s.queuedToAgents).toBe(0);
    // Callers between the fault and its detection were saved by the flow's retry; later ones went straight to us-west-2.
    expect(s.servedByFallback).toBeGreaterThan(0);
    expect(s.servedByRegion['us-west-2']).toBeGreaterThan(s.servedByFallback);
    expect(s.lookupSwitchedAfterFaultSeconds).not.toBeNull();
    expect(r.err).toContain('fault "down" injected in us-east-1');
    expect(sys.lex['us-east-1']!.fault().mode).toBe('none');
  });

  it('callers speak: a fault that breaks only speech fails them, and they report it', async () => {
    // The fault goes to the region the lookup answers now (an earlier test may have moved callers).
    const argv = [
      'simulate',
      '--calls',
      '20',
      '--rate',
      '20',
      '--fault-at',
      '0.2',
      '--fault-mode',
      'nospeech',
      '--json',
    ];
    const r = await runLexdr(argv, { LEXDR_LOCAL_FILE: withReport, LEXDR_POLL_MS: '20' }, dir);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ calls: 20, dropped: 0, queuedToAgents: 0 });
    // No workflow runs here: every caller after the fault meets the speechless region first, then the retry.
    expect(s.servedByFallback).toBeGreaterThan(0);
    expect(s.servedByRegion[s.faultRegion] ?? 0).toBe(20 - s.servedByFallback);
    expect(reports().map((x) => x.lexRegion)).toEqual(Array(s.servedByFallback).fill(s.faultRegion));
  });

  it('without a report endpoint: one line says so, the reports are counted as not sent, callers are served', async () => {
    const argv = ['simulate', '--calls', '10', '--rate', '20', '--fault-at', '0.1', '--json'];
    const r = await runLexdr(argv, { LEXDR_LOCAL_FILE: withoutReport, LEXDR_POLL_MS: '20' }, dir);
    expect(r.code).toBe(0);
    expect(r.err).toContain('the local system has no report endpoint (restart npm start): reports are not sent');
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ calls: 10, dropped: 0, reportsSent: 0, reportsNotDelivered: s.servedByFallback });
    expect(s.servedByFallback).toBeGreaterThan(0);
    expect(received).toEqual([]);
  });

  it('serves every caller with the lookup failing and the primary down: the flow falls back by deployed aliases', async () => {
    const r = await lexdr([
      'simulate',
      '--calls',
      '20',
      '--rate',
      '20',
      '--fault-at',
      '0.2',
      '--fault-region',
      'us-east-1',
      '--lookup-fault',
      'error',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ calls: 20, dropped: 0, queuedToAgents: 0 });
    expect(s.servedByRegion['us-west-2']).toBeGreaterThan(0); // after the fault: the secondary's deployed alias
    expect(s.servedByRegion['us-west-2'] + (s.servedByRegion['us-east-1'] ?? 0)).toBe(20);
    expect((await lexdr(['simulate', '--lookup-fault', 'sometimes'])).code).toBe(2);
  });

  it('shows progress while it runs: a line every LEXDR_PROGRESS_MS without a terminal, one redrawn line on a terminal', async () => {
    const env = { LEXDR_LOCAL_FILE: withReport, LEXDR_POLL_MS: '20', LEXDR_PROGRESS_MS: '400' };
    const argv = ['simulate', '--calls', '30', '--rate', '15', '--fault-at', '0.5', '--fault-region', 'us-east-1'];
    const log = await runLexdr(argv, env, dir);
    expect(log.code).toBe(0);
    const lines = log.err.split('\n');
    expect(lines[0]).toBe('30 caller(s) at 15/s (about 2 s); fault "down" in us-east-1 at t+0.5 s');
    const progress = lines.filter((l) => / calls: /.test(l));
    // About 2 s of callers: the first, one every 400 ms, and the last — not one per caller.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThan(15);
    expect(progress.at(-1)).toMatch(/^t\+ {2}\d s {2}30\/30 calls: 30 served/);
    expect(lines).toContainEqual(expect.stringMatching(/^t\+ {2}\d s {2}fault "down" injected in us-east-1$/));

    const drawn: string[] = [];
    const tty = await runLexdr(argv, env, dir, { isTTY: true, progress: (t) => void drawn.push(t) });
    expect(tty.code).toBe(0);
    expect(drawn).toHaveLength(30);
    expect(drawn.at(-1)).toContain('30/30 calls');
    expect(drawn.at(-1)).toMatch(/ dropped, \d+ report\(s\)$/);
    expect(tty.err).not.toContain(' calls: ');
    received.splice(0);
  });

  it('rejects bad numbers with exit 2', async () => {
    const r = await lexdr(['simulate', '--calls', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--calls "0"');
  });
});

describe('lexdr flow', () => {
  const lookupArn = 'arn:aws:lambda:us-east-1:123456789012:function:lexdr-lookup';
  const reportArn = 'arn:aws:lambda:us-east-1:123456789012:function:lexdr-report';

  it('validates the shipped templates and rejects a broken flow with exit 1', async () => {
    const ok = await lexdr(['flow', 'validate', join(__dirname, '..', '..', 'flows', 'lexdr-flow.json')]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('valid (template)');
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        Version: '2019-10-30',
        StartAction: 'a',
        Actions: [
          {
            Identifier: 'a',
            Type: 'MessageParticipant',
            Parameters: { Text: 'hi' },
            Transitions: { NextAction: 'gone' },
          },
        ],
      }),
    );
    const r = await lexdr(['flow', 'validate', bad]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error .*gone/);
  });

  it('render writes the shipped flow with the deployment values, checked, ready for a manual import', async () => {
    const queueArn =
      'arn:aws:connect:us-east-1:123456789012:instance/11111111-1111-1111-1111-111111111111/queue/22222222-2222-2222-2222-222222222222';
    const out = join(dir, 'rendered.json');
    const args = [
      '--lookup-function-arn',
      lookupArn,
      '--report-function-arn',
      reportArn,
      '--agent-queue-arn',
      queueArn,
    ];
    args.push('--apology-text', 'One moment, "please".');
    const r = await lexdr(['flow', 'render', ...args, '-o', out]);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toContain(`Wrote ${out}: lexdr-flow.json for Connect us-east-1, valid`);
    const content = readFileSync(out, 'utf8');
    expect(content).not.toMatch(/%[A-Za-z]+%/);
    expect(validateFlow(content)).toMatchObject({ ok: true, errors: [] });
    const actions = (JSON.parse(content) as { Actions: { Parameters: Record<string, unknown> }[] }).Actions;
    const params = JSON.stringify(actions.map((a) => a.Parameters));
    expect(params).toContain(lookupArn);
    expect(params).toContain(reportArn);
    expect(params).toContain(queueArn);
    expect(params).toContain('One moment, \\"please\\".');
    // The rendered file passes `flow validate` as a rendered flow (not a template).
    const v = await lexdr(['flow', 'validate', out]);
    expect(v.out).toContain(`${out}: valid — 0 error(s)`);
    // Without -o it prints the flow itself.
    expect(JSON.parse((await lexdr(['flow', 'render', ...args])).out)).toEqual(JSON.parse(content));
  });

  it('render refuses a value that is not an ARN, and a missing queue (exit 2)', async () => {
    const bad = await lexdr(['flow', 'render', '--lookup-function-arn', 'lexdr-lookup', '--agent-queue-arn', 'q']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/agentQueueArn: got "q"|--lookup-function-arn "lexdr-lookup"/);
    const noQueue = await lexdr([
      'flow',
      'render',
      '--lookup-function-arn',
      lookupArn,
      '--report-function-arn',
      reportArn,
    ]);
    expect(noQueue.code).toBe(2);
    expect(noQueue.err).toContain('--agent-queue-arn');
    const noReport = await lexdr(['flow', 'render', '--lookup-function-arn', lookupArn]);
    expect(noReport.code).toBe(2);
    expect(noReport.err).toContain('--report-function-arn');
    const badReport = await lexdr(['flow', 'render', '--lookup-function-arn', lookupArn, '--report-function-arn', 'r']);
    expect(badReport.err).toContain('--report-function-arn "r": must be a Lambda function ARN');
  });

  it('prints a Mermaid diagram', async () => {
    const r = await lexdr(['flow', 'diagram', join(__dirname, '..', '..', 'flows', 'legacy-flower-dr-flow.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^flowchart TD/);
  });
});
