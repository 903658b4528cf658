/**
 * `lexdr gameday` against a real local system: each game day runs with its fault injected through the control API
 * (the real workflow, handlers, lookup and Lex regions) and passes, its report naming every expected and observed
 * outcome; a run whose expectation is contradicted by an extra fault exits 1 and says which; a dry run changes nothing.
 */
import type { LocalSystem } from '../../local/system';
import { GAME_DAY_NAMES, describeExpectation, gameDay } from '../../core/game-days';
import type { CliSystem, Recorded } from './cli-harness';
import { runLexdr, startCliSystem } from './cli-harness';
import { FAST, cycles } from './system-fixture';

let cli: CliSystem;
let sys: LocalSystem;
const lexdr = (argv: string[]): Promise<Recorded> => runLexdr(argv, cli.env, cli.dir);

beforeAll(async () => {
  cli = await startCliSystem('lexdr-cli-gameday-', { ...FAST, lookupCacheSeconds: 1 });
  sys = cli.sys;
});
afterAll(async () => {
  await cli?.close();
});

/** Back to the start: every fault cleared, callers on the primary, the history forgotten by the next test's baseline. */
async function settle(): Promise<void> {
  for (const r of sys.config.regions) sys.lex[r]!.setFault({ mode: 'none' });
  for (let i = 0; i < 20 && (await sys.readItem())?.lexRegion !== 'us-east-1'; i += 1) await cycles(sys, 1);
  await cycles(sys, 1);
  expect((await sys.readItem())?.lexRegion).toBe('us-east-1');
}

type Report = {
  passed: boolean;
  end: { status: string };
  verdicts: { expected: string; observed: string; ok: boolean }[];
};

describe('lexdr gameday list', () => {
  it('lists every game day with what it injects, expects and stops on', async () => {
    const r = await lexdr(['gameday', 'list']);
    expect(r.code).toBe(0);
    for (const name of GAME_DAY_NAMES) expect(r.out).toContain(`${name} — `);
    expect(r.out).toContain('stops on: NotOnPrimary, NoHealthyRegion, HealthCheckNotRunning');
    const json = JSON.parse((await lexdr(['gameday', 'list', '--json'])).out) as { name: string }[];
    expect(json.map((g) => g.name)).toEqual([...GAME_DAY_NAMES]);
  });
});

describe('lexdr gameday run, locally', () => {
  afterEach(settle, 30_000);

  it('probe-function-fails: callers stay, the check goes blind, no failure counted, ProbeErrors published', async () => {
    const r = await lexdr(['gameday', 'run', 'probe-function-fails', '--yes', '--duration', '30s']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Injected: probe-function error.');
    expect(r.out).toContain('Game day probe-function-fails on the local system');
    expect(r.out).toContain(': PASSED (run completed)');
    for (const e of gameDay('probe-function-fails').expected)
      expect(r.out).toContain(`expected: ${describeExpectation(e)}`);
    expect(r.out).toContain('observed: lexDR stayed on us-east-1');
    expect(r.out).toContain('observed: HealthCheckBlind was in ALARM');
    expect(r.out).toMatch(/observed: ProbeErrors [1-9]\d* \(local: summed/);
    expect(sys.functions['probe-function'].fault().mode).toBe('none');
    expect(await sys.history()).toEqual([]);
  }, 30_000);

  it("lookup-slow: every caller walked through the flow is served by the fallback after the lookup's limit", async () => {
    const r = await lexdr(['gameday', 'run', 'lookup-slow', '--yes', '--duration', '10s', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as Report & { observation: { callers: { walked: number; lookupGaveUp: number } } };
    expect(report.passed).toBe(true);
    expect(report.observation.callers.walked).toBe(3);
    expect(report.observation.callers.lookupGaveUp).toBe(3);
    expect(report.verdicts.find((v) => v.expected.startsWith('every caller'))!.observed).toContain(
      "3 of 3 callers served, 3 after the lookup's error branch",
    );
    expect(sys.functions['lookup-function'].fault().mode).toBe('none');
  }, 30_000);

  it('probe-function-slow: probes start late but still reach Lex; nothing false is counted', async () => {
    const r = await lexdr(['gameday', 'run', 'probe-function-slow', '--yes', '--duration', '20s', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as Report;
    expect(report.verdicts.map((v) => [v.expected, v.ok])).toEqual(
      gameDay('probe-function-slow').expected.map((e) => [describeExpectation(e), true]),
    );
    expect(report.verdicts.find((v) => v.expected.includes('ProbeErrors'))!.observed).toContain('ProbeErrors 0');
  }, 30_000);

  it('lex-region-fails: the drill moves callers to us-west-2, recorded as a drill failover', async () => {
    const r = await lexdr(['gameday', 'run', 'lex-region-fails', '--yes', '--duration', '20s']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Drill: us-east-1 count as failed');
    expect(r.out).toContain('observed: lexDR us-east-1 → us-west-2; expected us-west-2');
    expect(r.out).toMatch(/observed: us-east-1 → us-west-2 \(failover, drill\)/);
    expect(r.out).toContain('observed: NotOnPrimary was in ALARM');
  }, 30_000);

  it('an expectation contradicted by an extra fault (the primary down meanwhile) fails the run: exit 1, saying which', async () => {
    sys.lex['us-east-1']!.setFault({ mode: 'down' });
    const r = await lexdr(['gameday', 'run', 'probe-function-slow', '--yes', '--duration', '30s']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(': FAILED (run stopped: stop condition NotOnPrimary (its local signal))');
    expect(r.out).toMatch(
      /FAIL {2}expected: lexDR stays on the region it had at the start\n\s+observed: lexDR us-east-1 → us-west-2/,
    );
    expect(r.out).toMatch(/FAIL {2}expected: no region's failure counter rises/);
    expect(r.err).toMatch(/game day probe-function-slow failed: \d expectation\(s\) not met; the run ended stopped/);
    expect(sys.functions['probe-function'].fault().mode).toBe('none');
  }, 30_000);

  it('a dry run says what it would inject and expect, and changes nothing', async () => {
    const before = await sys.readItem();
    const r = await lexdr(['gameday', 'run', 'probe-function-fails', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'Injects: local fault probe-function error through the control API, cleared at the end, for 5m.',
    );
    expect(r.out).toContain('Dry run: nothing was changed.');
    expect(sys.functions['probe-function'].fault().mode).toBe('none');
    expect((await sys.readItem())?.version).toBe(before?.version);
  });

  it('asks for --yes when it cannot ask, and names the game days it knows (exit 2)', async () => {
    const r = await lexdr(['gameday', 'run', 'probe-function-fails']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('not a terminal: pass --yes to confirm');
    expect(sys.functions['probe-function'].fault().mode).toBe('none');
    const u = await lexdr(['gameday', 'run', 'lex-fails', '--yes']);
    expect(u.code).toBe(2);
    expect(u.err).toContain(GAME_DAY_NAMES.join(', '));
  });
});
