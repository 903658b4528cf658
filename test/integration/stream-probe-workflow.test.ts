/**
 * The `stream` probe method run by the real health-check ASL (aws-local-stepfunctions) through the real probe
 * handler: every probe is a StartConversation (TEXT) over HTTP/2 to the local regions, passing on the
 * expected intent; failures of the callers' API fail the region over, as with the other methods.
 */
import type { LocalSystem } from '../../local/system';
import { FAST, cycles, startFast } from './system-fixture';

const E = 'us-east-1';
const W = 'us-west-2';

let sys: LocalSystem;
beforeAll(async () => {
  sys = await startFast({
    ...FAST,
    probe: { ...FAST.probe, method: 'stream', timeoutMs: 1500, latencyBudgetMs: 1000 },
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

describe('health-check workflow with the stream probe', () => {
  it('passes healthy regions through StartConversation only (no RecognizeText, no PutSession)', async () => {
    const before = { stream: count(E, 'V2.StartConversation'), text: count(E, 'V2.RecognizeText') };
    const [r] = await cycles(sys, 1);
    expect(r?.status).toBe('SUCCEEDED');
    expect(count(E, 'V2.StartConversation')).toBe(before.stream + 1);
    expect(count(W, 'V2.StartConversation')).toBeGreaterThan(0);
    expect(count(E, 'V2.RecognizeText')).toBe(before.text);
    expect(count(E, 'V2.PutSession')).toBe(0);
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(E);
    expect(item?.regionHealth[E]).toMatchObject({ reason: 'ok' });
    expect(
      sys.lex[E]!.requests()
        .filter((q) => q.operation === 'V2.StartConversation')
        .at(-1),
    ).toMatchObject({
      conversationMode: 'TEXT',
      text: 'I would like to order some flowers',
    });
  });

  it.each([
    ['wrongintent', 'wrong-intent'],
    ['down', 'server-error'],
    ['throttled', 'throttled'],
    ['hang', 'timeout'],
  ] as const)(
    'fails over a primary whose conversations fail (%s → %s), and back when it recovers',
    async (mode, reason) => {
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
    },
  );
});
