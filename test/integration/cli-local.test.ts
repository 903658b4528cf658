/**
 * The CLI against a real local system (real ASL, real handlers, local DynamoDB and Lex regions), in-process
 * through `run(argv)`, plus the `lexdr` bin once as a child process. Every assertion reads the lexDR item or
 * the history table the workflow wrote.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Io } from '../../cli/lib/io';
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import type { DashboardMount } from '../../local/dashboard/routes';
import { mountDashboard } from '../../local/dashboard/routes';
import type { LocalSystem } from '../../local/system';
import type { Recorded } from './cli-harness';
import { runLexdr } from './cli-harness';
import { FAST, cycles, startFast } from './system-fixture';

const ROOT = join(__dirname, '..', '..');

let sys: LocalSystem;
let control: ControlServer;
let mount: DashboardMount;
let dir: string;
let file: string;

async function lexdr(argv: string[], o: Partial<Io> = {}): Promise<Recorded> {
  // The CLI on the system's clock (simulated: the workflow's records and the CLI's share one timeline).
  return runLexdr(argv, { LEXDR_LOCAL_FILE: file, LEXDR_POLL_MS: '20' }, dir, { now: () => sys.clock(), ...o });
}

async function json<T>(argv: string[]): Promise<T> {
  const r = await lexdr([...argv, '--json']);
  expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
  return JSON.parse(r.out) as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lexdr-cli-'));
  file = join(dir, 'local.json');
  // As `npm start` runs it: a per-start token in force, which the CLI reads from the endpoints file.
  sys = await startFast(FAST, { token: 'cli-test-token-0123456789' });
  control = await startControlServer(sys);
  mount = mountDashboard(control, sys);
  writeFileSync(file, JSON.stringify(sys.endpoints({ control: control.url, lookup: `${control.url}/lookup` })));
  await cycles(sys, 3);
});

afterAll(async () => {
  await mount?.drain();
  mount?.close();
  await control?.close();
  await sys?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lexdr against the local system', () => {
  it('status reports the primary active with every region healthy', async () => {
    const s = await json<{
      activeRegion: string;
      regions: string[];
      item: { regionHealth: Record<string, { passes: number }> };
      probes: { region: string; ok: boolean }[];
    }>(['status']);
    expect(s.activeRegion).toBe('us-east-1');
    expect(s.regions).toEqual(['us-east-1', 'us-west-2']);
    expect(s.item.regionHealth['us-east-1']!.passes).toBe(3);
    expect(s.probes.map((p) => [p.region, p.ok]).sort()).toEqual([
      ['us-east-1', true],
      ['us-west-2', true],
    ]);
    const text = await lexdr(['status']);
    expect(text.code).toBe(0);
    expect(text.out).toContain('Connect us-east-1 → Lex us-east-1 (primary)');
  });

  it('fault rejects an unknown region or mode with exit 2 and names the valid values', async () => {
    const region = await lexdr(['fault', 'us-east-9', 'down']);
    expect(region.code).toBe(2);
    expect(region.err).toContain('us-east-1, us-west-2');
    const mode = await lexdr(['fault', 'us-east-1', 'broken']);
    expect(mode.code).toBe(2);
    expect(mode.err).toContain('none, down, throttled, notfound, hang, slow, wrongintent');
    const latency = await lexdr(['fault', 'us-east-1', 'down', '--latency', '100']);
    expect(latency.code).toBe(2);
    expect(sys.lex['us-east-1']!.fault().mode).toBe('none');
  });

  it('fault down on the primary makes the workflow fail over; clearing it fails back', async () => {
    expect((await lexdr(['fault', 'us-east-1', 'down'])).code).toBe(0);
    expect(sys.lex['us-east-1']!.fault()).toEqual({ mode: 'down' });
    await cycles(sys, 2);
    expect((await sys.readItem())!.lexRegion).toBe('us-west-2');
    const s = await json<{ activeRegion: string; probes: { region: string; ok: boolean; reason: string }[] }>([
      'status',
    ]);
    expect(s.activeRegion).toBe('us-west-2');
    expect(s.probes.find((p) => p.region === 'us-east-1')).toMatchObject({ ok: false, reason: 'server-error' });

    expect((await lexdr(['fault', 'us-east-1', 'none'])).code).toBe(0);
    await cycles(sys, 3);
    expect((await sys.readItem())!.lexRegion).toBe('us-east-1');
  });

  it('drill --wait fails over without touching a bot and reports the recorded change', async () => {
    const before = sys.lex['us-east-1']!.stats();
    const r = await json<{
      status: string;
      before: string;
      after: string;
      failedOver: boolean;
      changes: { reason: string; drill: boolean; from: string; to: string }[];
    }>(['drill', '--fail', 'us-east-1', '--cycles', '3', '--wait']);
    expect(r).toMatchObject({ status: 'SUCCEEDED', before: 'us-east-1', after: 'us-west-2', failedOver: true });
    expect(r.changes).toEqual([
      expect.objectContaining({ from: 'us-east-1', to: 'us-west-2', reason: 'failover', drill: true }),
    ]);
    expect((await sys.readItem())!.lexRegion).toBe('us-west-2');
    // The drilled region's Lex was not called by the drill.
    expect(sys.lex['us-east-1']!.stats()).toEqual(before);
    await cycles(sys, 3);
    expect((await sys.readItem())!.lexRegion).toBe('us-east-1');
  });

  it('drill --wait exits 1 when the drill did not move the active region', async () => {
    // The workflow cannot read lexDR during this drill, so it decides nothing: nobody moves.
    sys.dynamo.setFault({ mode: 'throughput', roles: ['workflow'] });
    const r = await lexdr(['drill', '--fail', 'us-east-1', '--cycles', '1', '--wait']).finally(() =>
      sys.dynamo.setFault({ mode: 'none' }),
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('lexDR: us-east-1 → us-east-1');
    expect(r.err).toContain('drill failed: the active region is still us-east-1');
    await cycles(sys, 1);
  });

  it('drill rejects a region that is not configured (exit 2) before starting anything', async () => {
    const n = sys.executions.length;
    const r = await lexdr(['drill', '--fail', 'eu-west-9']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('not a configured region');
    expect(sys.executions.length).toBe(n);
  });

  it('failover pins the region (the next cycle applies it as "pinned"); failback removes the pin', async () => {
    const v0 = (await sys.readItem())!.version;
    const noTty = await lexdr(['failover', '--to', 'us-west-2']);
    expect(noTty.code).toBe(2);
    expect(noTty.err).toContain('--yes');
    expect((await sys.readItem())!.pin).toBeNull();

    const r = await lexdr([
      'failover',
      '--to',
      'us-west-2',
      '--for',
      '30m',
      '--reason',
      'maintenance',
      '--by',
      'ops',
      '--yes',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('next health-check cycle applies it');
    const pinned = (await sys.readItem())!;
    expect(pinned.pin).toMatchObject({ region: 'us-west-2', by: 'ops', reason: 'maintenance' });
    expect(Date.parse(pinned.pin!.until) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(pinned.version).toBe(v0 + 1);
    expect(pinned.lexRegion).toBe('us-east-1');

    await cycles(sys, 1);
    expect((await sys.readItem())!.lexRegion).toBe('us-west-2');
    const last = (await sys.history()).at(-1)!;
    expect(last).toMatchObject({ from: 'us-east-1', to: 'us-west-2', reason: 'pinned' });

    const back = await lexdr(['failback', '--yes']);
    expect(back.code).toBe(0);
    expect((await sys.readItem())!.pin).toBeNull();
    await cycles(sys, 1);
    expect((await sys.readItem())!.lexRegion).toBe('us-east-1');
    expect((await lexdr(['failback', '--yes'])).out).toContain('nothing to do');
  });

  it('failover validates the region and the duration (exit 2)', async () => {
    expect((await lexdr(['failover', '--to', 'eu-west-9', '--yes'])).code).toBe(2);
    const d = await lexdr(['failover', '--to', 'us-west-2', '--for', 'soon', '--yes']);
    expect(d.code).toBe(2);
    expect(d.err).toContain('--for "soon"');
  });

  it('history lists every change in order, with reasons', async () => {
    const h = await json<{ from: string; to: string; reason: string; drill: boolean }[]>(['history', '--since', '1h']);
    expect(h.map((c) => `${c.from}>${c.to}:${c.reason}${c.drill ? ':drill' : ''}`)).toEqual([
      'us-east-1>us-west-2:failover',
      'us-west-2>us-east-1:failback',
      'us-east-1>us-west-2:failover:drill',
      'us-west-2>us-east-1:failback',
      'us-east-1>us-west-2:pinned',
      'us-west-2>us-east-1:failback',
    ]);
    const text = await lexdr(['history']);
    expect(text.out).toMatch(/us-east-1 → us-west-2\s+pinned/);
    const future = await json<unknown[]>([
      'history',
      '--since',
      new Date(sys.clock().getTime() + 60_000).toISOString(),
    ]);
    expect(future).toEqual([]);
    expect((await lexdr(['history', '--since', 'yesterday'])).code).toBe(2);
  });

  it('exits 3 with a hint when there is no local system', async () => {
    const r = await lexdr(['status'], { env: { LEXDR_LOCAL_FILE: join(dir, 'missing.json') } });
    expect(r.code).toBe(3);
    expect(r.err).toContain('npm start');
    expect(r.err).toContain('--aws --stack NAME --region R');
  });

  it('the lexdr bin runs as a child process (status --json) and prints nothing on stderr', async () => {
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...parentEnv } = process.env;
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'cli', 'bin.cjs'), 'status', '--json'],
      { cwd: dir, env: { ...parentEnv, LEXDR_LOCAL_FILE: file }, timeout: 20_000 },
    );
    const s = JSON.parse(stdout) as { activeRegion: string; target: string };
    expect(s).toMatchObject({ activeRegion: 'us-east-1', target: 'local' });
    // No SDK Node-version notice (it would print on Node < 22 without the CLI's switch): nothing on stderr.
    expect(stderr).toBe('');
  }, 30_000);

  it('the bin exits 2 on a usage error', async () => {
    const child = await promisify(execFile)(process.execPath, [join(ROOT, 'cli', 'bin.cjs'), 'drill'], {
      cwd: dir,
      env: { ...process.env, LEXDR_LOCAL_FILE: file },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((child as { code: number }).code).toBe(2);
    expect((child as { stderr: string }).stderr).toContain("required option '--fail <regions>'");
  }, 30_000);
});
