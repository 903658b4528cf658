/**
 * `lexdr simulate` and `lexdr flow` against a real local system: callers walk the rendered contact flow (real
 * lookup over HTTP, real Lex turns) while a fault is injected and the real workflow detects it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import type { LocalSystem } from '../../local/system';
import { runLexdr } from './cli-harness';
import { FAST, cycles, startFast } from './system-fixture';

let sys: LocalSystem;
let control: ControlServer;
let dir: string;
let file: string;

const lexdr = (argv: string[]) => runLexdr(argv, { LEXDR_LOCAL_FILE: file, LEXDR_POLL_MS: '20' }, dir);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lexdr-sim-'));
  file = join(dir, 'local.json');
  sys = await startFast({ ...FAST, lookupCacheSeconds: 0 });
  control = await startControlServer(sys);
  writeFileSync(file, JSON.stringify(sys.endpoints({ control: control.url, lookup: `${control.url}/lookup` })));
  await cycles(sys, 3);
});
afterAll(async () => {
  await control?.close();
  await sys?.close();
});

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
    const r = await lexdr(['simulate', '--calls', '40', '--rate', '20', '--fault-at', '0.5', '--json']);
    running = false;
    await schedule;
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ calls: 40, dropped: 0, faultRegion: 'us-east-1', faultMode: 'down' });
    expect(s.served + s.queuedToAgents).toBe(40);
    expect(s.queuedToAgents).toBe(0);
    // Callers between the fault and its detection were saved by the flow's retry; later ones went straight to us-west-2.
    expect(s.servedByFallback).toBeGreaterThan(0);
    expect(s.servedByRegion['us-west-2']).toBeGreaterThan(s.servedByFallback);
    expect(s.lookupSwitchedAfterFaultSeconds).not.toBeNull();
    expect(r.err).toContain('fault "down" injected in us-east-1');
    expect(sys.lex['us-east-1']!.fault().mode).toBe('none');
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

  it('rejects bad numbers with exit 2', async () => {
    const r = await lexdr(['simulate', '--calls', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--calls "0"');
  });
});

describe('lexdr flow', () => {
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

  it('prints a Mermaid diagram', async () => {
    const r = await lexdr(['flow', 'diagram', join(__dirname, '..', '..', 'flows', 'legacy-flower-dr-flow.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^flowchart TD/);
  });
});
