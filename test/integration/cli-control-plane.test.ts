/**
 * `lexdr fault` on lexdr's own parts and what `lexdr status` says meanwhile, against a real local system: the
 * probe function throttled for a minute of cycles keeps callers on the primary and shows the check blind; the
 * table hanging leaves the lookup answering.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlServer } from '../../local/control-server';
import type { LocalSystem } from '../../local/system';
import type { CliSystem, Recorded } from './cli-harness';
import { runLexdr, startCliSystem } from './cli-harness';
import { FAST, cycles } from './system-fixture';

let sys: LocalSystem;
let control: ControlServer;
let dir: string;
let file: string;

const lexdr = (argv: string[]): Promise<Recorded> =>
  runLexdr(argv, { LEXDR_LOCAL_FILE: file, LEXDR_POLL_MS: '20' }, dir);

let cli: CliSystem;
beforeAll(async () => {
  cli = await startCliSystem('lexdr-cli-cp-', { ...FAST, lookupCacheSeconds: 1 }, { functionTimeoutMs: 20 });
  ({ sys, control, dir, file } = cli);
});
afterAll(async () => {
  await cli?.close();
});

describe('lexdr fault on lexdr’s own parts', () => {
  it('probe-function throttled for a minute of cycles: lexDR stays on the primary and status says the check is blind', async () => {
    const f = await lexdr(['fault', 'probe-function', 'throttled']);
    expect(f).toMatchObject({ code: 0 });
    expect(f.out).toContain('probe-function: fault "throttled" injected');
    await cycles(sys, 6); // one scheduled minute at a 10 s cadence
    const s = JSON.parse((await lexdr(['status', '--json'])).out) as {
      activeRegion: string;
      healthCheck: { state: string; detail: string };
    };
    expect(s.activeRegion).toBe('us-east-1');
    expect(s.healthCheck.state).toBe('blind');
    expect(s.healthCheck.detail).toContain('Lambda.TooManyRequestsException');
    expect((await lexdr(['status'])).out).toContain('Health check BLIND');
    expect(await sys.history()).toEqual([]);
    expect((await lexdr(['fault', 'probe-function', 'none'])).code).toBe(0);
    await cycles(sys, 1);
    expect(JSON.parse((await lexdr(['status', '--json'])).out).healthCheck.state).toBe('ok');
  });

  it('dynamodb hang: the lookup keeps answering the last known region', async () => {
    await sys.lookup({ Name: 'ContactFlowEvent', Details: {} }); // warm
    expect((await lexdr(['fault', 'dynamodb', 'hang'])).code).toBe(0);
    try {
      await new Promise((r) => setTimeout(r, 1100)); // the lookup's cache period passes
      const res = await fetch(`${control.url}/lookup`, {
        method: 'POST',
        body: JSON.stringify({ Name: 'ContactFlowEvent', Details: {} }),
      });
      expect(await res.json()).toMatchObject({ lexRegion: 'us-east-1', status: 'stale' });
    } finally {
      expect((await lexdr(['fault', 'dynamodb', 'none'])).code).toBe(0);
    }
  });

  it('finds the running system from any folder of the checkout, and says when its process has stopped', async () => {
    const sub = join(dir, 'cli', 'commands');
    mkdirSync(join(dir, '.lexdr'), { recursive: true });
    const endpoints = { ...sys.endpoints({ control: control.url, lookup: `${control.url}/lookup` }), pid: process.pid };
    writeFileSync(join(dir, '.lexdr', 'local.json'), JSON.stringify(endpoints));
    mkdirSync(sub, { recursive: true });
    const r = await runLexdr(['status', '--json'], {}, sub);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ target: 'local', activeRegion: 'us-east-1' });
    writeFileSync(join(dir, '.lexdr', 'local.json'), JSON.stringify({ ...endpoints, pid: 2 ** 22 + 12345 }));
    const gone = await runLexdr(['status'], {}, sub);
    expect(gone.code).toBe(3);
    expect(gone.err).toContain('is no longer running: start it with `npm start`');
  });

  it('names the valid targets and modes (exit 2)', async () => {
    const t = await lexdr(['fault', 'probe-fn', 'throttled']);
    expect(t.code).toBe(2);
    expect(t.err).toContain('probe-function, health-check-function, report-function');
    const m = await lexdr(['fault', 'dynamodb', 'slow']);
    expect(m.code).toBe(2);
    expect(m.err).toContain('none, throttled, throughput, hang, down, lost');
  });
});
