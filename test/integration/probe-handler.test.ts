/** The probe handler over HTTP with the real SDK v3 clients against two local Lex regions. */
import { orderFlowers } from '../../bot';
import { createProbeHandler } from '../../core/probe-handler';
import { PROBE_RECORDING } from '../../core/probe-recording';
import type { ProbeEvent, ProbeResult, ProbeSpec, ProbeTarget } from '../../core/probe-core';
import { localBotIds, startLocalLexRegion } from '../../local/lex';
import type { LocalLexRegion } from '../../local/lex';

const REGION = 'us-east-1';
let lex: LocalLexRegion;
let probe: (e: unknown) => Promise<ProbeResult>;
const ids = localBotIds(REGION, 'OrderFlowers');

/** The probe function's event as the Map's ItemSelector builds it: the target and the execution's probe spec. */
const req = (o: Partial<ProbeTarget & ProbeSpec> = {}): ProbeEvent => {
  const { utterance, expectedIntent, expectedSlot, timeoutMs, latencyBudgetMs, ...target } = {
    bot: 'OrderFlowers',
    region: REGION,
    ...ids,
    localeId: 'en_US',
    method: 'liveness' as const,
    utterance: 'I would like to order some flowers',
    expectedIntent: 'OrderFlowers',
    expectedSlot: 'FlowerType',
    timeoutMs: 1500,
    latencyBudgetMs: 1000,
    v1: { botName: 'OrderFlowers', botAlias: 'live' },
    ...o,
  };
  return { target, spec: { utterance, expectedIntent, expectedSlot, timeoutMs, latencyBudgetMs } };
};

beforeAll(async () => {
  lex = await startLocalLexRegion({
    region: REGION,
    bots: [{ definition: orderFlowers(), ...ids, botName: 'OrderFlowers', botAlias: 'live' }],
  });
  probe = createProbeHandler({ lexEndpoints: { [REGION]: lex.url } });
});
afterAll(() => lex.close());
beforeEach(() => lex.setFault({ mode: 'none' }));

const statsDelta = async (fn: () => Promise<unknown>) => {
  const before = { ...lex.stats() };
  await fn();
  const after = lex.stats();
  return Object.fromEntries(
    Object.entries(after)
      .filter(([k, v]) => v !== (before[k] ?? 0))
      .map(([k, v]) => [k, v - (before[k] ?? 0)]),
  );
};

describe('probe handler', () => {
  it.each([
    ['liveness', { 'V2.PutSession': 1, 'V2.DeleteSession': 1 }],
    ['nlu', { 'V2.RecognizeText': 1, 'V2.DeleteSession': 1 }],
    ['v1-putsession', { 'V1.PutSession': 1, 'V1.DeleteSession': 1 }],
    ['v1-posttext', { 'V1.PostText': 1, 'V1.DeleteSession': 1 }],
    ['stream', { 'V2.StartConversation': 1, 'V2.DeleteSession': 1 }],
    ['speech', { 'V2.RecognizeUtterance': 1, 'V2.DeleteSession': 1 }],
  ] as const)(
    'passes a healthy bot with %s, calling exactly the expected Lex APIs and cleaning up',
    async (method, calls) => {
      let result: ProbeResult | undefined;
      const delta = await statsDelta(async () => {
        result = await probe(req({ method }));
      });
      expect(result).toMatchObject({ ok: true, reason: 'ok', method, region: REGION });
      expect(result!.latencyMs).toBeGreaterThanOrEqual(0);
      expect(delta).toEqual(calls);
    },
  );

  it.each([
    ['down', 'liveness', 'server-error'],
    ['down', 'v1-posttext', 'server-error'],
    ['throttled', 'liveness', 'throttled'],
    ['throttled', 'v1-putsession', 'throttled'],
    ['notfound', 'nlu', 'not-found'],
    ['notfound', 'v1-posttext', 'not-found'],
    ['wrongintent', 'nlu', 'wrong-intent'],
    ['wrongintent', 'v1-posttext', 'wrong-intent'],
    ['down', 'stream', 'server-error'],
    ['throttled', 'stream', 'throttled'],
    ['notfound', 'stream', 'not-found'],
    ['wrongintent', 'stream', 'wrong-intent'],
    ['down', 'speech', 'server-error'],
    ['throttled', 'speech', 'throttled'],
    ['notfound', 'speech', 'not-found'],
    ['wrongintent', 'speech', 'wrong-intent'],
    ['nospeech', 'speech', 'server-error'],
    ['down', 'nlu', 'server-error'],
    ['down', 'stream', 'server-error'],
  ] as const)('classifies fault %s with %s as %s', async (mode, method, reason) => {
    lex.setFault({ mode });
    const r = await probe(req({ method }));
    expect(r).toMatchObject({ ok: false, reason });
  });

  it('passes liveness on a wrong-intent bot: only NLU sees the model', async () => {
    lex.setFault({ mode: 'wrongintent' });
    expect((await probe(req({ method: 'liveness' }))).ok).toBe(true);
  });

  it('speech: sends the shipped recording as 8 kHz PCM and passes on the intent Lex recognised from it', async () => {
    const r = await probe(req({ method: 'speech' }));
    expect(r).toMatchObject({ ok: true, reason: 'ok', method: 'speech' });
    const heard = lex
      .requests()
      .filter((x) => x.operation === 'V2.RecognizeUtterance')
      .at(-1);
    expect(heard).toMatchObject({
      contentType: 'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false',
      responseContentType: 'text/plain; charset=utf-8',
      bytes: Buffer.from(PROBE_RECORDING.base64, 'base64').length * 2,
      transcript: PROBE_RECORDING.transcript,
    });
  });

  it('speech: fails naming what Lex recognised and heard when the intent is not the expected one', async () => {
    const r = await probe(req({ method: 'speech', expectedIntent: 'BookTrip' }));
    expect(r).toMatchObject({ ok: false, reason: 'wrong-intent' });
    // The detail is clipped for the workflow's state; the probe function logs the whole error.
    expect(r.detail).toMatch(/^WrongIntentError: recognised OrderFlowers \(heard "I would like to order/);
    const slot = await probe(req({ method: 'speech', expectedSlot: 'PickupDate' }));
    expect(slot).toMatchObject({ ok: false, reason: 'wrong-intent' });
    expect(slot.detail).toBe('WrongIntentError: eliciting FlowerType, expected PickupDate');
  });

  it.each(['liveness', 'nlu', 'v1-putsession', 'v1-posttext', 'stream'] as const)(
    'nospeech: %s still passes (only the speech probe hears speech recognition fail)',
    async (method) => {
      lex.setFault({ mode: 'nospeech' });
      expect(await probe(req({ method }))).toMatchObject({ ok: true, reason: 'ok', method });
    },
  );

  it('gives up on a hanging region at the probe timeout with the speech method', async () => {
    lex.setFault({ mode: 'hang' });
    const started = performance.now();
    const r = await probe(req({ method: 'speech', timeoutMs: 300 }));
    expect(r).toMatchObject({ ok: false, reason: 'timeout', method: 'speech' });
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('fails a speech probe slower than the latency budget', async () => {
    lex.setFault({ mode: 'slow', latencyMs: 200 });
    const r = await probe(req({ method: 'speech', latencyBudgetMs: 100, timeoutMs: 1000 }));
    expect(r.reason).toBe('slow');
    expect(r.latencyMs).toBeGreaterThanOrEqual(200);
  });

  it('gives up on a hanging region at the probe timeout', async () => {
    lex.setFault({ mode: 'hang' });
    const started = performance.now();
    const r = await probe(req({ timeoutMs: 300 }));
    const took = performance.now() - started;
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(took).toBeLessThan(1500);
  });

  it('gives up on a hanging region at the probe timeout with the stream method (StartConversation)', async () => {
    lex.setFault({ mode: 'hang' });
    const started = performance.now();
    const r = await probe(req({ method: 'stream', timeoutMs: 300 }));
    expect(r).toMatchObject({ ok: false, reason: 'timeout', method: 'stream' });
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('fails a stream probe slower than the latency budget', async () => {
    lex.setFault({ mode: 'slow', latencyMs: 200 });
    const r = await probe(req({ method: 'stream', latencyBudgetMs: 100, timeoutMs: 1000 }));
    expect(r.reason).toBe('slow');
    expect(r.latencyMs).toBeGreaterThanOrEqual(200);
  });

  it('reports a stream probe to a dead endpoint as unreachable', async () => {
    const dead = createProbeHandler({ lexEndpoints: { [REGION]: 'http://127.0.0.1:9' } });
    expect(await dead(req({ method: 'stream' }))).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('fails a probe slower than the latency budget', async () => {
    lex.setFault({ mode: 'slow', latencyMs: 200 });
    const r = await probe(req({ latencyBudgetMs: 100, timeoutMs: 1000 }));
    expect(r.reason).toBe('slow');
    expect(r.latencyMs).toBeGreaterThanOrEqual(200);
  });

  it('reports unreachable when nothing listens', async () => {
    const dead = createProbeHandler({ lexEndpoints: { [REGION]: 'http://127.0.0.1:9' } });
    expect(await dead(req())).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('fails a drilled region without calling Lex', async () => {
    const delta = await statsDelta(async () => {
      expect(await probe(req({ drillFail: true }))).toMatchObject({ ok: false, reason: 'drill', latencyMs: -1 });
    });
    expect(delta).toEqual({});
  });

  it('rejects a malformed request with a named error', async () => {
    await expect(probe({ region: REGION })).rejects.toMatchObject({ name: 'InvalidInputError' });
    // A flat request (target and spec mixed, as no Map sends it) is refused too, naming what is missing.
    await expect(probe({ ...req().target, ...req().spec })).rejects.toThrow(/target/);
  });
});
