/**
 * `lexdr failback` and `lexdr failover` against a real local system (real ASL, real handlers, local DynamoDB and
 * Lex regions, the real lookup over HTTP): failback is the operator's decision — at once when the primary's latest
 * probes pass, refused with the reason when they do not, never racing the workflow — and `--wait` asks the lookup.
 * The `--aws` path is exercised once through an AWS double that forwards DynamoDB calls to the local table and
 * answers Lambda Invoke with the real lookup handler.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Io } from '../../cli/lib/io';
import type { ControlServer } from '../../local/control-server';
import type { LocalSystem } from '../../local/system';
import type { CliSystem, Recorded } from './cli-harness';
import { runLexdr, startCliSystem } from './cli-harness';
import { FAST, cycles } from './system-fixture';

let sys: LocalSystem;
let control: ControlServer;
let dir: string;
let file: string;

const env = () => ({ LEXDR_LOCAL_FILE: file, LEXDR_POLL_MS: '20' });
const lexdr = (argv: string[], o: Partial<Io> = {}): Promise<Recorded> => runLexdr(argv, env(), dir, o);
/**
 * The CLI's own history record. (The workflow's records are keyed on the simulated clock, which runs ahead of the
 * wall clock the CLI keys its record on, so "the latest" by key is not the CLI's.)
 */
const cliRecord = async () => (await sys.history()).filter((c) => c.execution.startsWith('lexdr-cli:')).at(-1);
const lookup = async () =>
  (
    (await (
      await fetch(`${control.url}/lookup`, {
        method: 'POST',
        body: JSON.stringify({ Name: 'ContactFlowEvent', Details: { Parameters: {} } }),
      })
    ).json()) as { lexRegion: string }
  ).lexRegion;

/** Fails the primary over to us-west-2, then lets it pass `passes` probes (fewer than recoverThreshold 3). */
async function onSecondaryWithPrimaryPassing(passes: number) {
  sys.lex['us-east-1']!.setFault({ mode: 'down' });
  await cycles(sys, 2);
  sys.lex['us-east-1']!.setFault({ mode: 'none' });
  if (passes > 0) await cycles(sys, passes);
  const item = (await sys.readItem())!;
  expect(item.lexRegion).toBe('us-west-2');
  if (passes > 0) expect(item.regionHealth['us-east-1']).toMatchObject({ fails: 0, passes });
  return item;
}

let cli: CliSystem;
beforeAll(async () => {
  cli = await startCliSystem('lexdr-failback-', { ...FAST, lookupCacheSeconds: 1 });
  ({ sys, control, dir, file } = cli);
});
afterAll(async () => {
  await cli?.close();
});

afterEach(async () => {
  // Back to the primary with a clean slate for the next test.
  sys.lex['us-east-1']!.setFault({ mode: 'none' });
  await cycles(sys, 3);
  expect((await sys.readItem())!.lexRegion).toBe('us-east-1');
});

describe('lexdr failback', () => {
  it('refuses with the reason while the primary fails its latest probe, and changes nothing', async () => {
    sys.lex['us-east-1']!.setFault({ mode: 'down' });
    await cycles(sys, 2);
    const before = (await sys.readItem())!;
    expect(before.lexRegion).toBe('us-west-2');
    const changes = (await sys.history()).length;

    const r = await lexdr(['failback', '--yes']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'not failing back: us-east-1 failed its latest probe (server-error; 2 consecutive failures)',
    );
    expect(r.err).toContain('Callers stay on us-west-2');
    expect(r.err).toContain('--when-recovered');
    const after = (await sys.readItem())!;
    expect(after).toMatchObject({ lexRegion: 'us-west-2', version: before.version });
    expect((await sys.history()).length).toBe(changes);
  });

  it('returns callers to the primary at once after one passing probe, records it, and --wait sees the lookup answer it', async () => {
    const before = await onSecondaryWithPrimaryPassing(1);
    expect(await lookup()).toBe('us-west-2'); // the lookup now caches us-west-2 for 1 s

    const started = Date.now();
    const r = await lexdr(['failback', '--yes', '--wait', '--by', 'ops']);
    const tookMs = Date.now() - started;
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toContain('Callers are on us-west-2. us-east-1 passed its latest 1 probe(s).');
    expect(r.out).toContain('Failed back: Connect us-east-1 → Lex us-east-1 now (was us-west-2)');
    expect(r.out).toContain('Waiting: the lookup still answers us-west-2 (ok)');
    expect(r.out).toMatch(/The lookup answers us-east-1 \(\d+\.\d s after the write\)/);
    // The cached answer expires within lookupCacheSeconds; a full recoverThreshold would take 2 more cycles.
    expect(tookMs).toBeLessThan(1000 + 3000);

    const item = (await sys.readItem())!;
    expect(item).toMatchObject({ lexRegion: 'us-east-1', pin: null, version: before.version + 1 });
    const last = (await cliRecord())!;
    expect(last).toMatchObject({
      from: 'us-west-2',
      to: 'us-east-1',
      reason: 'failback',
      execution: 'lexdr-cli:ops',
      drill: false,
      version: before.version + 1,
    });
    expect(last.detail).toContain('by ops (lexdr failback): us-east-1 passed its latest 1 probe(s)');

    // The workflow keeps it: its next cycle sees the primary healthy and records no change.
    const n = (await sys.history()).length;
    await cycles(sys, 1);
    expect((await sys.readItem())!.lexRegion).toBe('us-east-1');
    expect((await sys.history()).length).toBe(n);
  });

  it('writes on the version it read: a workflow cycle in between makes it read again, and one change is recorded', async () => {
    await onSecondaryWithPrimaryPassing(1);
    const known = new Set((await sys.history()).map((c) => `${c.execution}|${c.version}`));
    let versionAfterCycle = -1;
    const r = await lexdr(['failback'], {
      interactive: true,
      // A health-check cycle writes the item while the operator is asked to confirm.
      confirm: async () => {
        await cycles(sys, 1);
        versionAfterCycle = (await sys.readItem())!.version;
        return true;
      },
    });
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toContain('The item changed while writing');
    expect(r.out).toContain('us-east-1 passed its latest 2 probe(s)');
    const item = (await sys.readItem())!;
    expect(item).toMatchObject({ lexRegion: 'us-east-1', version: versionAfterCycle + 1 });
    const added = (await sys.history()).filter((c) => !known.has(`${c.execution}|${c.version}`));
    expect(added.map((c) => `${c.from}>${c.to}:${c.reason}:${c.execution}`)).toEqual([
      expect.stringMatching(/^us-west-2>us-east-1:failback:lexdr-cli:/),
    ]);
  });

  it('removes a pin on a healthy primary at once; --when-recovered leaves the return to the workflow', async () => {
    const pinned = await lexdr(['failover', '--to', 'us-west-2', '--yes', '--by', 'ops']);
    expect(pinned.code).toBe(0);
    await cycles(sys, 1);
    expect((await sys.readItem())!).toMatchObject({ lexRegion: 'us-west-2', pin: { region: 'us-west-2' } });

    const r = await lexdr(['failback', '--when-recovered', '--yes']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toContain('Pin removed.');
    expect(r.out).toContain(
      'Callers stay on us-west-2. The workflow returns them to us-east-1 once us-east-1 has passed recoverThreshold consecutive probes',
    );
    expect((await sys.readItem())!).toMatchObject({ lexRegion: 'us-west-2', pin: null });
    // recoverThreshold is 3 here, and us-east-1 has passed 3 probes already: the next cycle fails back.
    await cycles(sys, 1);
    const workflow = (await sys.history()).filter((c) => !c.execution.startsWith('lexdr-cli:')).at(-1);
    expect(workflow).toMatchObject({ to: 'us-east-1', reason: 'failback' });
  });

  it('says so when callers already are on the primary', async () => {
    const r = await lexdr(['failback', '--yes']);
    expect(r).toMatchObject({ code: 0, out: 'Callers are already on the primary us-east-1; nothing to do.' });
  });
});

describe('lexdr failover messages', () => {
  it('says where callers are and when they move; --wait returns once the lookup answers the pinned region', async () => {
    await onSecondaryWithPrimaryPassing(0);
    const r = await lexdr(['failover', '--to', 'us-east-1', '--yes', '--by', 'ops', '--reason', 'back home']);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('us-east-1 → us-east-1');
    expect(r.out).toContain('Callers are on us-west-2 now.');
    expect(r.out).toContain('Pinned Connect us-east-1 to Lex us-east-1 until');
    expect(r.out).toContain(
      'Callers stay on us-west-2 until the next health-check cycle applies it and moves them to us-east-1',
    );
    await cycles(sys, 1);
    expect((await sys.readItem())!.lexRegion).toBe('us-east-1');

    // Pinning the region callers are on says it keeps them there.
    const same = await lexdr(['failover', '--to', 'us-east-1', '--yes', '--by', 'ops']);
    expect(same.out).toContain('Callers are already on us-east-1; the pin keeps them there');

    // --wait: each poll's pause runs one scheduled cycle, as the schedule would meanwhile.
    const w = await lexdr(['failover', '--to', 'us-west-2', '--yes', '--wait', '--timeout', '30s'], {
      sleep: async (ms) => {
        await cycles(sys, 1);
        await new Promise((res) => setTimeout(res, ms));
      },
    });
    expect({ code: w.code, err: w.err }).toEqual({ code: 0, err: '' });
    expect(w.out).toContain('The lookup answers us-west-2');
    expect(await lookup()).toBe('us-west-2');
    expect((await lexdr(['failback', '--yes'])).code).toBe(0);
  });
});

describe('lexdr --aws failback', () => {
  let server: Server;
  let endpoint: string;
  const invoked: string[] = [];

  beforeAll(async () => {
    const dynamodb = sys.endpoints().dynamodb;
    // The AWS double: DynamoDB JSON calls go to the local table; Lambda Invoke runs the real lookup handler.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
        if (req.method === 'POST' && m) {
          invoked.push(decodeURIComponent(m[1]!));
          void sys.lookup(JSON.parse(body.toString('utf8'))).then((a) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(a));
          });
          return;
        }
        void fetch(dynamodb, {
          method: 'POST',
          headers: {
            'content-type': String(req.headers['content-type']),
            'x-amz-target': String(req.headers['x-amz-target']),
            authorization: String(req.headers.authorization),
            'x-amz-date': String(req.headers['x-amz-date']),
          },
          body,
        }).then(async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/x-amz-json-1.0' });
          res.end(Buffer.from(await r.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('switches through the table and waits on the lookup Lambda', async () => {
    await onSecondaryWithPrimaryPassing(1);
    const e = sys.endpoints();
    const r = await runLexdr(
      [
        '--aws',
        '--region',
        'us-east-1',
        '--endpoint-url',
        endpoint,
        '--table',
        e.table,
        '--history-table',
        e.historyTable,
        '--regions',
        e.regions.join(','),
        'failback',
        '--yes',
        '--wait',
        '--lookup-function',
        'lexdr-lookup',
      ],
      { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', LEXDR_POLL_MS: '50' },
      dir,
    );
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toContain('The lookup answers us-east-1');
    expect(invoked.length).toBeGreaterThan(0);
    expect(invoked.every((n) => n === 'lexdr-lookup')).toBe(true);
    expect((await sys.readItem())!.lexRegion).toBe('us-east-1');
    expect(await cliRecord()).toMatchObject({
      reason: 'failback',
      execution: expect.stringMatching(/^lexdr-cli:/),
    });
  });
});
