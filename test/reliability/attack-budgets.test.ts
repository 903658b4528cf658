/**
 * The budgets under attack, over real sockets on loopback: the local servers (CloudWatch, the lookup, a Lex region)
 * answer oversized and inflated bodies with 413 within the memory budget and still serve the real SDK clients; a Lex
 * region drops idle sessions from memory; a bounded flood on the Twilio bridge keeps memory and health-check latency
 * within budget.
 */
import { gzipSync } from 'node:zlib';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { LexRuntimeV2Client, PutSessionCommand, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { orderFlowers } from '../../bot/order-flowers';
import { LOCAL_CREDENTIALS } from '../../local/http';
import type { LexTimer, LocalLexRegion } from '../../local/lex';
import { localBotIds, startLocalLexRegion } from '../../local/lex';
import { postTwiml, randomSid } from '../../twilio/simulated-call';
import {
  bridge,
  bridgeStillServes,
  closeCode,
  control,
  expectNoSecretPrinted,
  openStream,
  raw,
  startMessage,
  sys,
  timed,
  TWIML_PUBLIC,
  upgradeRequest,
  upgradeSignature,
  useAttackSystem,
  waitUntil,
} from './attack-fixture';

/** Budgets of the bounded flood (loopback, one process holding both ends). */
const FLOOD = { requests: 600, concurrency: 24, maxMs: 15_000, rssGrowthMiB: 96, healthP95Ms: 250, healthMaxMs: 1000 };

useAttackSystem();

/** A gzip body of `members` concatenated members, each `memberMiB` of zeros inflated: tiny on the wire. */
const members = new Map<number, Buffer>();
function gzipBomb(memberMiB: number, count: number): Buffer {
  let member = members.get(memberMiB);
  if (!member) members.set(memberMiB, (member = gzipSync(Buffer.alloc(memberMiB * 1024 * 1024), { level: 9 })));
  return Buffer.concat(Array.from({ length: count }, () => member));
}

// ---------- the local servers ----------

describe('the local servers limit inflated bodies and answer 413', () => {
  const cloudwatch = () =>
    new CloudWatchClient({
      endpoint: sys.cloudwatch.url,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });

  test('CloudWatch: a 0.6 MB gzip that inflates to 640 MB gets 413 at once, within the memory budget', async () => {
    const bomb = gzipBomb(16, 40);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const rss0 = process.memoryUsage().rss;
    const { value, ms } = await timed(() =>
      fetch(sys.cloudwatch.url, {
        method: 'POST',
        headers: {
          'content-encoding': 'gzip',
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData',
        },
        body: new Uint8Array(bomb),
      }),
    );
    expect(value.status).toBe(413);
    expect(ms).toBeLessThan(1000);
    expect((process.memoryUsage().rss - rss0) / 2 ** 20).toBeLessThan(64);
    // Still serves: the real SDK client publishes a datapoint.
    const cw = cloudwatch();
    await cw.send(new PutMetricDataCommand({ Namespace: 'attack', MetricData: [{ MetricName: 'Alive', Value: 1 }] }));
    cw.destroy();
    expect(sys.cloudwatch.datapoints({ metric: 'Alive' })).toHaveLength(1);
  });

  test('CloudWatch: a 2 MB body gets 413, invalid gzip 400, another encoding 415, bad JSON 400', async () => {
    const post = (body: Buffer | string, encoding?: string) =>
      fetch(sys.cloudwatch.url, {
        method: 'POST',
        headers: {
          'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData',
          ...(encoding && { 'content-encoding': encoding }),
        },
        body: typeof body === 'string' ? body : new Uint8Array(body),
      });
    expect((await post(Buffer.alloc(2 * 1024 * 1024, 0x20))).status).toBe(413);
    expect((await post(Buffer.from('not gzip'), 'gzip')).status).toBe(400);
    expect((await post(Buffer.from('{}'), 'br')).status).toBe(415);
    expect((await post('{"Namespace": ')).status).toBe(400);
    const cw = cloudwatch();
    await cw.send(new PutMetricDataCommand({ Namespace: 'attack', MetricData: [{ MetricName: 'Alive2', Value: 1 }] }));
    cw.destroy();
    expect(sys.cloudwatch.datapoints({ metric: 'Alive2' })).toHaveLength(1);
  });

  test('the lookup: a 60 MB inflated body gets 413; the next lookup answers', async () => {
    const bomb = gzipBomb(6, 10);
    const res = await fetch(`${control.url}/lookup`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: new Uint8Array(bomb),
    });
    expect(res.status).toBe(413);
    const over = await fetch(`${control.url}/lookup`, { method: 'POST', body: Buffer.alloc(100_000, 0x20) });
    expect(over.status).toBe(413);
    const ok = await fetch(`${control.url}/lookup`, {
      method: 'POST',
      body: JSON.stringify({ Details: { Parameters: {} } }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ lexRegion: 'us-east-1' });
  });

  test('a Lex region: a 2 MB body and a gzip bomb get 413 (an answer, not a dropped connection); the SDK still works', async () => {
    const lex = sys.lex['us-east-1']!;
    const ids = localBotIds('us-east-1', 'OrderFlowers');
    const path = `/bots/${ids.botId}/botAliases/${ids.botAliasId}/botLocales/en_US/sessions/s1/text`;
    const big = await fetch(lex.url + path, { method: 'POST', body: new Uint8Array(2 * 1024 * 1024).fill(0x20) });
    expect(big.status).toBe(413);
    expect(big.headers.get('x-amzn-errortype')).toBe('RequestEntityTooLargeException');
    const bomb = await fetch(lex.url + path, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: new Uint8Array(gzipBomb(16, 8)),
    });
    expect(bomb.status).toBe(413);
    const client = new LexRuntimeV2Client({
      region: 'us-east-1',
      endpoint: lex.url,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ requestTimeout: 3000, throwOnRequestTimeout: true }),
    });
    const out = await client.send(
      new RecognizeTextCommand({
        ...ids,
        localeId: 'en_US',
        sessionId: 'after-413',
        text: 'I would like to order some flowers',
      }),
    );
    client.destroy();
    expect(out.sessionState?.intent?.name).toBe('OrderFlowers');
  });
});

describe('a local Lex region expires idle sessions', () => {
  let region: LocalLexRegion;
  let now = 1_000_000;
  const timer: LexTimer = {
    now: () => now,
    setTimeout: (f, ms) => setTimeout(f, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
  const definition = orderFlowers();
  const ids = localBotIds('us-east-1', 'OrderFlowers');
  beforeAll(async () => {
    region = await startLocalLexRegion({
      region: 'us-east-1',
      bots: [{ definition, ...ids, botName: 'OrderFlowers', botAlias: 'live' }],
      timer,
      random: () => 0,
    });
  });
  afterAll(() => region.close());

  test('sessions idle longer than the bot TTL are dropped from memory, not only on lookup', async () => {
    const client = new LexRuntimeV2Client({
      region: 'us-east-1',
      endpoint: region.url,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ requestTimeout: 3000, throwOnRequestTimeout: true }),
    });
    const live = async () => ((await (await fetch(`${region.url}/_lexdr/sessions`)).json()) as { live: number }).live;
    const put = (sessionId: string) =>
      client.send(
        new PutSessionCommand({
          ...ids,
          localeId: 'en_US',
          sessionId,
          sessionState: { dialogAction: { type: 'ElicitIntent' } },
        }),
      );
    // 200 unique sessions over plain HTTP (25 at a time), then one through the SDK after the TTL.
    const path = (id: string) =>
      `${region.url}/bots/${ids.botId}/botAliases/${ids.botAliasId}/botLocales/en_US/sessions/${id}`;
    for (let batch = 0; batch < 8; batch += 1)
      await Promise.all(
        Array.from({ length: 25 }, async (_, i) => {
          const res = await fetch(path(`flood-${batch}-${i}`), {
            method: 'POST',
            body: JSON.stringify({ sessionState: { dialogAction: { type: 'ElicitIntent' } } }),
          });
          expect(res.status).toBe(200);
        }),
      );
    expect(await live()).toBe(200);
    now += definition.bot.idleSessionTTLInSeconds * 1000 + 11_000;
    await put('fresh');
    expect(await live()).toBe(1);
    client.destroy();
  });
});

// ---------- a bounded flood ----------

describe('a bounded flood on loopback', () => {
  test(`${FLOOD.requests} hostile requests: memory and health-check latency stay within budget`, async () => {
    const kinds = [
      () => raw(upgradeRequest('/media'), { reset: true }),
      () => raw(upgradeRequest('/media')),
      () => raw(upgradeRequest('http://evil.example/media', { 'X-Twilio-Signature': upgradeSignature() })),
      () =>
        postTwiml({
          url: `${bridge.url}/twiml`,
          publicUrl: TWIML_PUBLIC,
          authToken: 'wrong',
          params: { CallSid: randomSid('CA') },
        }),
      () => raw(`GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n`),
      async () => {
        // A signed stream that sends nothing valid: closed by the token check.
        const ws = await openStream().catch(() => undefined);
        ws?.send(startMessage(randomSid('CA'), {}));
        if (ws) await closeCode(ws);
      },
    ];
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    const health: number[] = [];
    let healthFailures = 0;
    let stop = false;
    const prober = (async () => {
      while (!stop) {
        const { value, ms } = await timed(() => fetch(`${bridge.url}/healthz`).catch(() => undefined));
        if (value?.status === 200) health.push(ms);
        else healthFailures += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    let next = 0;
    await Promise.all(
      Array.from({ length: FLOOD.concurrency }, async () => {
        while (next < FLOOD.requests && Date.now() - t0 < FLOOD.maxMs) {
          const k = kinds[next % kinds.length]!;
          next += 1;
          await k();
        }
      }),
    );
    stop = true;
    await prober;
    const elapsed = Date.now() - t0;
    const growthMiB = (process.memoryUsage().rss - rss0) / 2 ** 20;
    const sorted = [...health].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? Infinity;
    expect(next).toBe(FLOOD.requests);
    expect(elapsed).toBeLessThan(FLOOD.maxMs);
    expect(healthFailures).toBe(0);
    expect(health.length).toBeGreaterThan(3);
    expect(p95).toBeLessThan(FLOOD.healthP95Ms);
    expect(sorted.at(-1)!).toBeLessThan(FLOOD.healthMaxMs);
    expect(growthMiB).toBeLessThan(FLOOD.rssGrowthMiB);
    await waitUntil('no stream left open', async () => bridge.activeCalls() === 0, 5000);
    await bridgeStillServes();
  });
});

describe('no secret in what the flood made the bridge print', () => {
  test('the auth token, the token key and issued stream tokens appear in nothing printed', () => {
    expectNoSecretPrinted();
  });
});
