/**
 * The `speech` probe method run by the real health-check ASL (aws-local-stepfunctions) through the real probe
 * handler: every probe is a RecognizeUtterance of the shipped recording to the local regions, passing on the
 * intent recognised from it; a region whose speech recognition fails (`nospeech`, text still answering) fails over.
 */
import { PROBE_RECORDING } from '../../core/probe-recording';
import type { LocalSystem } from '../../local/system';
import { FAST, cycles, startFast } from './system-fixture';

const E = 'us-east-1';
const W = 'us-west-2';

let sys: LocalSystem;
beforeAll(async () => {
  sys = await startFast({
    ...FAST,
    probe: { ...FAST.probe, method: 'speech', timeoutMs: 1500, latencyBudgetMs: 1000 },
  });
});
afterAll(async () => {
  await sys?.close();
});
beforeEach(async () => {
  for (const r of Object.values(sys.lex)) r.setFault({ mode: 'none' });
  await cycles(sys, 4);
});

const count = (region: string, op: string) => sys.lex[region]!.stats()[op] ?? 0;

describe('health-check workflow with the speech probe', () => {
  it('passes healthy regions through RecognizeUtterance only (no RecognizeText, no PutSession)', async () => {
    const before = { speech: count(E, 'V2.RecognizeUtterance'), text: count(E, 'V2.RecognizeText') };
    const [r] = await cycles(sys, 1);
    expect(r?.status).toBe('SUCCEEDED');
    expect(count(E, 'V2.RecognizeUtterance')).toBe(before.speech + 1);
    expect(count(W, 'V2.RecognizeUtterance')).toBeGreaterThan(0);
    expect(count(E, 'V2.RecognizeText')).toBe(before.text);
    expect(count(E, 'V2.PutSession')).toBe(0);
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(E);
    expect(item?.regionHealth[E]).toMatchObject({ reason: 'ok' });
    expect(
      sys.lex[E]!.requests()
        .filter((q) => q.operation === 'V2.RecognizeUtterance')
        .at(-1),
    ).toMatchObject({ transcript: PROBE_RECORDING.transcript });
  });

  it.each([
    ['nospeech', 'server-error'],
    ['down', 'server-error'],
    ['wrongintent', 'wrong-intent'],
  ] as const)('fails over a primary whose speech fails (%s → %s), and back when it recovers', async (mode, reason) => {
    sys.lex[E]!.setFault({ mode });
    await cycles(sys, 2);
    let item = await sys.readItem();
    expect(item?.lexRegion).toBe(W);
    expect(item?.regionHealth[E]).toMatchObject({ reason, fails: 2 });
    expect(item?.lastChange).toMatchObject({ from: E, to: W, reason: 'failover' });
    sys.lex[E]!.setFault({ mode: 'none' });
    await cycles(sys, 3);
    item = await sys.readItem();
    expect(item?.lexRegion).toBe(E);
    expect(item?.lastChange).toMatchObject({ from: W, to: E, reason: 'failback' });
  });
});
