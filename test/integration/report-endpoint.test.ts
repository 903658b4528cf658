/**
 * The report function's endpoint on the control server, with the per-start token in force as `npm start` runs it:
 * `POST /report` is one of the two routes Amazon Connect calls, so it needs no token — but no web page (foreign
 * Origin) and no rebound name (foreign Host) may post to it; the fault of the report function is set only with the
 * token; `GET /status` and the event stream show the reports and the checks they started.
 */
import { request } from 'node:http';
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import { TOKEN_HEADER } from '../../local/http';
import type { RegionReportsView } from '../../local/report-view';
import type { LocalSystem, SystemEvent } from '../../local/system';
import { E, W, connectReport, healthySlate, readWindow, reportConfig } from './report-fixture';
import { startFast } from './system-fixture';

const TOKEN = 'report-endpoint-token-0123456789';
let sys: LocalSystem;
let control: ControlServer;
beforeAll(async () => {
  sys = await startFast(reportConfig(), { token: TOKEN });
  control = await startControlServer(sys);
});
afterAll(async () => {
  await control?.close();
  await sys?.close();
});
beforeEach(async () => {
  await healthySlate(sys);
});

function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const url = new URL(control.url);
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

describe('POST /report with the token in force', () => {
  it('needs no token, as Connect calls it: 202 and the report is recorded', async () => {
    const r = await send('POST', '/report', {}, connectReport(W));
    expect(r.status).toBe(202);
    await sys.drainReports();
    expect(await readWindow(sys, W)).toMatchObject({ reports: 1 });
  });

  it('refuses a foreign Origin and a rebound Host, and records nothing', async () => {
    const attempts = sys.reports().length;
    const foreign = await send('POST', '/report', { origin: 'http://evil.example' }, connectReport(E));
    const rebound = await send('POST', '/report', { host: 'rebind.evil.example' }, connectReport(E));
    expect([foreign.status, rebound.status]).toEqual([403, 403]);
    await sys.drainReports();
    expect(await readWindow(sys, E)).toBeUndefined();
    expect(sys.reports()).toHaveLength(attempts);
  });

  it('the report function fault is set only with the token', async () => {
    const without = await send('PUT', '/faults/report-function', {}, { mode: 'throttled' });
    expect(without.status).toBe(403);
    expect(sys.functions['report-function'].fault().mode).toBe('none');
    const withToken = await send('PUT', '/faults/report-function', { [TOKEN_HEADER]: TOKEN }, { mode: 'throttled' });
    expect(withToken.status).toBe(200);
    expect(sys.functions['report-function'].fault().mode).toBe('throttled');
    sys.functions['report-function'].setFault({ mode: 'none' });
  });
});

describe('what the status and the event stream show', () => {
  it('GET /status: per region the reports of the last minutes and the check they started, with its outcome', async () => {
    const events: SystemEvent[] = [];
    const off = sys.onEvent((e) => e.type === 'report' && events.push(e));
    try {
      sys.lex[E]!.setFault({ mode: 'down' });
      const contact = 'b5a1c0de-0000-4000-8000-000000000002';
      expect((await send('POST', '/report', {}, connectReport(E, contact))).status).toBe(202);
      expect((await send('POST', '/report', {}, connectReport(E, contact))).status).toBe(202);
      await sys.drainReports();
      await sys.stepfunctions.drain();
    } finally {
      off();
    }
    expect(events.map((e) => (e.type === 'report' ? e.record.result?.outcome : undefined))).toEqual([
      'triggered',
      'duplicate',
    ]);
    const status = JSON.parse((await send('GET', '/status')).text) as {
      reports: Record<string, RegionReportsView>;
    };
    const east = status.reports[E]!;
    expect(east).toMatchObject({ recent: 1, repeats: 1, failed: 0 });
    expect(east.checks).toHaveLength(1);
    expect(east.checks[0]).toMatchObject({
      contacts: 1,
      status: 'SUCCEEDED',
      outcome: 'confirmed',
      change: { from: E, to: W, reason: 'failover', confirmedBy: expect.stringMatching(/^OrderFlowers: /) },
    });
    expect(east.checks[0]!.name).toMatch(/^reports-us-east-1-\d+$/);
    expect(status.reports[W]!.checks).toEqual([]);
  });
});
