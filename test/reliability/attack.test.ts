/**
 * The edges as an attacker sees them, over real sockets on loopback: the Twilio bridge (as in production:
 * a public https URL with a port, a real auth token) and the local servers (CloudWatch, the lookup, a Lex
 * region). Every case asserts the answer AND that the server still serves the next request; a bounded
 * flood asserts that memory and health-check latency stay within budget; no secret reaches a log line or an
 * error message.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LexRuntimeV2Client, PutSessionCommand, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import { Logger } from '@aws-lambda-powertools/logger';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import twilio from 'twilio';
import WebSocket from 'ws';
import { orderFlowers } from '../../bot/order-flowers';
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import { LOCAL_CREDENTIALS } from '../../local/http';
import type { LexTimer, LocalLexRegion } from '../../local/lex';
import { localBotIds, startLocalLexRegion } from '../../local/lex';
import type { LocalSystem } from '../../local/system';
import type { Bridge } from '../../twilio/bridge';
import { startBridge, twilioCallControl, TwilioApiError } from '../../twilio/bridge';
import { localBridgeConfig } from '../../local/twilio';
import { publicWsUrl } from '../../twilio/server';
import { postTwiml, randomSid, SimulatedCall } from '../../twilio/simulated-call';
import { STREAM_TOKEN_PARAMETER, streamTokenKey } from '../../twilio/stream-token';
import { FAST, startFast } from '../integration/system-fixture';

/** The production shape: https with a port (an absolute-form target used to crash the URL parsing then). */
const PUBLIC = 'https://voice.example.com:8443';
const SECRET = `attack-${randomBytes(16).toString('hex')}`;
const KEY = streamTokenKey(SECRET);
const ACCOUNT = 'AC' + '0'.repeat(32);
const WS_PUBLIC = publicWsUrl(PUBLIC);
const TWIML_PUBLIC = `${PUBLIC}/twiml`;

/** Budgets of the bounded flood (loopback, one process holding both ends). */
const FLOOD = { requests: 600, concurrency: 24, maxMs: 15_000, rssGrowthMiB: 96, healthP95Ms: 250, healthMaxMs: 1000 };

let sys: LocalSystem;
let control: ControlServer;
let bridge: Bridge;
let dynamo: DynamoDBClient;
let port: number;
const output: string[] = [];
const spies: jest.SpyInstance[] = [];

beforeAll(async () => {
  // Everything the bridge (Powertools Logger) and the local servers print is captured, to grep for secrets.
  for (const stream of [process.stdout, process.stderr])
    spies.push(
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      }),
    );
  sys = await startFast(FAST);
  control = await startControlServer(sys);
  dynamo = new DynamoDBClient({ endpoint: sys.dynamo.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  await sys.dynamo.client.send(
    new PutItemCommand({
      TableName: sys.config.tableName,
      Item: { connectRegion: { S: sys.config.connectRegion }, lexRegion: { S: 'us-east-1' } },
    }),
  );
  bridge = await startBridge(
    localBridgeConfig(sys, { publicBaseUrl: PUBLIC, authToken: SECRET, accountSid: ACCOUNT, drainDeadlineMs: 0 }),
    {
      dynamodb: dynamo,
      credentials: LOCAL_CREDENTIALS,
      callControl: { hangUp: async () => undefined, redirect: async () => undefined },
      logger: new Logger({ serviceName: 'lexdr-twilio', logLevel: 'DEBUG' }),
      streamStartDeadlineMs: 1500,
      maxPendingStreams: 30,
    },
  );
  port = Number(new URL(bridge.url).port);
});

afterAll(async () => {
  await bridge?.close();
  dynamo?.destroy();
  await control?.close();
  await sys?.close();
  for (const s of spies) s.mockRestore();
});

// ---------- helpers ----------

/** Writes raw bytes on a new TCP connection; resolves the status code of the answer (undefined: none). */
function raw(text: string | Buffer, o: { reset?: boolean; targetPort?: number } = {}): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(o.targetPort ?? port, '127.0.0.1');
    let got = '';
    const done = () =>
      resolve(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ? Number(/^HTTP\/1\.1 (\d{3})/.exec(got)![1]) : undefined);
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(text);
      // A client that sends its request and resets the connection at once (RST, not FIN).
      if (o.reset) {
        socket.resetAndDestroy();
        resolve(undefined);
      }
    });
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (/\r\n\r\n/.test(got)) socket.destroy();
    });
    socket.on('close', done);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

const upgradeRequest = (target: string, headers: Record<string, string> = {}) =>
  [
    `GET ${target} HTTP/1.1`,
    'Host: voice.example.com:8443',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');

const upgradeSignature = () => twilio.getExpectedTwilioSignature(SECRET, WS_PUBLIC, {});

/** A signed webhook for a call; resolves the TwiML's stream parameters. */
async function webhook(callSid: string, extra: Record<string, string> = {}) {
  const r = await postTwiml({
    url: `${bridge.url}/twiml`,
    publicUrl: TWIML_PUBLIC,
    authToken: SECRET,
    params: { CallSid: callSid, AccountSid: ACCOUNT, From: '+15555550111', ...extra },
  });
  expect(r.status).toBe(200);
  const token = new RegExp(`<Parameter name="${STREAM_TOKEN_PARAMETER}" value="([^"]+)"/>`).exec(r.body)?.[1];
  expect(token).toBeDefined();
  return { token: token!, body: r.body };
}

/** Opens a signed media stream (the upgrade signature is the same for every stream: it covers the URL only). */
async function openStream(signature = upgradeSignature()): Promise<WebSocket> {
  const ws = new WebSocket(`${bridge.url.replace('http', 'ws')}/media`, {
    headers: { 'x-twilio-signature': signature },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) =>
      reject(Object.assign(new Error('refused'), { status: res.statusCode })),
    );
    ws.once('error', reject);
  });
  return ws;
}

const startMessage = (callSid: string, params: Record<string, string>) =>
  JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    streamSid: randomSid('MZ'),
    start: {
      accountSid: ACCOUNT,
      streamSid: randomSid('MZ'),
      callSid,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters: params,
    },
  });

/** Resolves the close code, or 'open' if the socket is still open after `ms`. */
function closeCode(ws: WebSocket, ms = 2000): Promise<number | 'open'> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('open'), ms);
    ws.once('close', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** The bridge admitted a stream for this CallSid (its `start` was accepted and the call bound). */
async function admitted(callSid: string): Promise<boolean> {
  const res = await fetch(`${bridge.url}/_local/turns?callSid=${callSid}`);
  return ((await res.json()) as unknown[]).length > 0;
}

async function waitUntil(what: string, test: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The bridge still serves: its health check answers, and a new call's webhook and stream go through. */
async function bridgeStillServes(): Promise<void> {
  const health = await fetch(`${bridge.url}/healthz`);
  expect(health.status).toBe(200);
  const call = new SimulatedCall({
    wsUrl: `${bridge.url.replace('http', 'ws')}/media`,
    publicWsUrl: WS_PUBLIC,
    authToken: SECRET,
  });
  await call.connect();
  await waitUntil('the new call to be admitted', () => admitted(call.callSid));
  call.stop();
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

/** A gzip body of `members` concatenated members, each `memberMiB` of zeros inflated: tiny on the wire. */
const members = new Map<number, Buffer>();
function gzipBomb(memberMiB: number, count: number): Buffer {
  let member = members.get(memberMiB);
  if (!member) members.set(memberMiB, (member = gzipSync(Buffer.alloc(memberMiB * 1024 * 1024), { level: 9 })));
  return Buffer.concat(Array.from({ length: count }, () => member));
}

// ---------- the Twilio bridge: requests ----------

describe('the Twilio bridge refuses bad requests and keeps serving', () => {
  test('an unsigned upgrade gets 403', async () => {
    expect(await raw(upgradeRequest('/media'))).toBe(403);
    await bridgeStillServes();
  });

  test('a wrongly signed upgrade gets 403', async () => {
    const wrong = twilio.getExpectedTwilioSignature('not-the-token', WS_PUBLIC, {});
    expect(await raw(upgradeRequest('/media', { 'X-Twilio-Signature': wrong }))).toBe(403);
    await bridgeStillServes();
  });

  test('an upgrade on another path gets 404, even correctly signed', async () => {
    const sig = twilio.getExpectedTwilioSignature(SECRET, publicWsUrl(PUBLIC, '/other'), {});
    expect(await raw(upgradeRequest('/other', { 'X-Twilio-Signature': sig }))).toBe(404);
    await bridgeStillServes();
  });

  test('a signed upgrade with a broken WebSocket handshake gets 400', async () => {
    const req = upgradeRequest('/media', { 'X-Twilio-Signature': upgradeSignature() }).replace(
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Version: 99',
    );
    expect(await raw(req)).toBe(400);
    await bridgeStillServes();
  });

  test('unsigned upgrades reset by the client while the refusal is written do not end the process', async () => {
    for (let i = 0; i < 30; i += 1) await raw(upgradeRequest('/media'), { reset: true });
    await bridgeStillServes();
  });

  test('an absolute-form upgrade target gets 400 (any signature)', async () => {
    const req = upgradeRequest('http://evil.example/media', { 'X-Twilio-Signature': upgradeSignature() });
    expect(await raw(req)).toBe(400);
    await bridgeStillServes();
  });

  test('an absolute-form webhook target gets 400, not 500', async () => {
    const body = `CallSid=${randomSid('CA')}`;
    const req = `POST http://evil.example/twiml HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: abc\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    expect(await raw(req)).toBe(400);
    await bridgeStillServes();
  });

  test('webhooks: unsigned, wrongly signed, signed for another path, or a signature replayed on other parameters get 403', async () => {
    const params = { CallSid: randomSid('CA'), AccountSid: ACCOUNT, From: '+15555550111' };
    const url = `${bridge.url}/twiml`;
    const unsigned = await fetch(url, { method: 'POST', body: new URLSearchParams(params) });
    expect(unsigned.status).toBe(403);
    expect((await postTwiml({ url, publicUrl: TWIML_PUBLIC, authToken: 'not-the-token', params })).status).toBe(403);
    expect((await postTwiml({ url, publicUrl: `${PUBLIC}/other`, authToken: SECRET, params })).status).toBe(403);
    const captured = twilio.getExpectedTwilioSignature(SECRET, TWIML_PUBLIC, params);
    const replayed = { ...params, CallSid: randomSid('CA') };
    expect(
      (await postTwiml({ url, publicUrl: TWIML_PUBLIC, authToken: SECRET, params: replayed, signature: captured }))
        .status,
    ).toBe(403);
    await bridgeStillServes();
  });

  test('a signed webhook without a CallSid gets 400; a compressed one 415; one over 64 KB 413', async () => {
    const url = `${bridge.url}/twiml`;
    expect(
      (await postTwiml({ url, publicUrl: TWIML_PUBLIC, authToken: SECRET, params: { From: '+1555' } })).status,
    ).toBe(400);
    const gz = await fetch(url, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip', 'x-twilio-signature': 'x' },
      body: gzipSync('CallSid=x'),
    });
    expect(gz.status).toBe(415);
    const big = await postTwiml({
      url,
      publicUrl: TWIML_PUBLIC,
      authToken: SECRET,
      params: { CallSid: randomSid('CA'), Pad: 'x'.repeat(200_000) },
    });
    expect(big.status).toBe(413);
    await bridgeStillServes();
  });

  test('a request body that stops half-way and resets is only that request', async () => {
    const head = `POST /twiml HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nCallSid=`;
    for (let i = 0; i < 10; i += 1) await raw(head, { reset: true });
    await bridgeStillServes();
  });
});

// ---------- the Twilio bridge: streams bound to their call ----------

describe('a captured upgrade signature cannot open a second stream', () => {
  test('the first stream with the webhook token is admitted; the same token again is closed (1008)', async () => {
    const callSid = randomSid('CA');
    const { token } = await webhook(callSid);
    const first = await openStream();
    first.send(startMessage(callSid, { CallSid: callSid, [STREAM_TOKEN_PARAMETER]: token }));
    await waitUntil('the first stream to be admitted', () => admitted(callSid));
    // The replay: the same (constant) upgrade signature opens a socket, but its start is refused.
    const second = await openStream();
    second.send(startMessage(callSid, { CallSid: callSid, [STREAM_TOKEN_PARAMETER]: token }));
    expect(await closeCode(second)).toBe(1008);
    expect(first.readyState).toBe(WebSocket.OPEN);
    first.close();
    await bridgeStillServes();
  });

  test('a replayed webhook mints a new token, but a CallSid that already streamed gets no second stream', async () => {
    const callSid = randomSid('CA');
    const one = await webhook(callSid);
    const ws1 = await openStream();
    ws1.send(startMessage(callSid, { CallSid: callSid, [STREAM_TOKEN_PARAMETER]: one.token }));
    await waitUntil('the stream to be admitted', () => admitted(callSid));
    ws1.close();
    const two = await webhook(callSid);
    expect(two.token).not.toBe(one.token);
    const ws2 = await openStream();
    ws2.send(startMessage(callSid, { CallSid: callSid, [STREAM_TOKEN_PARAMETER]: two.token }));
    expect(await closeCode(ws2)).toBe(1008);
    await bridgeStillServes();
  });

  test.each([
    ['no token', (_sid: string, _t: string) => ({})],
    ['a token issued for another call', (_sid: string, _t: string) => ({ [STREAM_TOKEN_PARAMETER]: 'OTHER' })],
    ['a forged token', (_sid: string, t: string) => ({ [STREAM_TOKEN_PARAMETER]: t.slice(0, -6) + 'AAAAAA' })],
    ['garbage', () => ({ [STREAM_TOKEN_PARAMETER]: 'x'.repeat(5000) })],
    [
      'a customParameters CallSid that is not the call',
      (_sid: string, t: string) => ({ CallSid: randomSid('CA'), [STREAM_TOKEN_PARAMETER]: t }),
    ],
  ])('a start with %s is closed (1008)', async (_name, params) => {
    const callSid = randomSid('CA');
    const { token } = await webhook(callSid);
    let p = params(callSid, token) as Record<string, string>;
    if (p[STREAM_TOKEN_PARAMETER] === 'OTHER') p = { [STREAM_TOKEN_PARAMETER]: (await webhook(randomSid('CA'))).token };
    const ws = await openStream();
    ws.send(startMessage(callSid, p));
    expect(await closeCode(ws)).toBe(1008);
    expect(await admitted(callSid)).toBe(false);
    await bridgeStillServes();
  });
});

test('a signed stream that never sends a valid start is closed (1008) after the start deadline', async () => {
  const ws = await openStream();
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send('{"event":"media","media":{"payload":""}}');
  expect(await closeCode(ws, 5000)).toBe(1008);
  await bridgeStillServes();
});

test('a captured upgrade signature cannot pile up streams that never start: past the limit, 503', async () => {
  const held = await Promise.all(Array.from({ length: 30 }, () => openStream()));
  await expect(openStream()).rejects.toMatchObject({ status: 503 });
  for (const ws of held) ws.terminate();
  await waitUntil('the held streams to close', async () => bridge.activeCalls() === 0);
  await bridgeStillServes();
});

// ---------- the Twilio bridge: messages on an admitted stream ----------

describe('a bad message costs that message or that call, never the process', () => {
  let callSid: string;
  let ws: WebSocket;
  beforeEach(async () => {
    callSid = randomSid('CA');
    const { token } = await webhook(callSid);
    ws = await openStream();
    ws.send(startMessage(callSid, { CallSid: callSid, [STREAM_TOKEN_PARAMETER]: token }));
    await waitUntil('the stream to be admitted', () => admitted(callSid));
  });
  afterEach(() => ws.terminate());

  const media = (timestamp: string) =>
    JSON.stringify({
      event: 'media',
      sequenceNumber: '2',
      media: { track: 'inbound', chunk: '1', timestamp, payload: Buffer.alloc(160, 0xff).toString('base64') },
    });

  test.each(['1e300', '36000000', '-5', 'NaN', '9'.repeat(30)])(
    'a media timestamp of %s is handled at once and the call stays up',
    async (ts) => {
      ws.send(media(ts));
      ws.send(media('20'));
      // The event loop is free: the health check answers right after the message (unbounded, 36000000 blocked
      // it for 3 s and 1e300 ended the process; the budget leaves room for a loaded machine).
      const { value, ms } = await timed(() => fetch(`${bridge.url}/healthz`));
      expect(value.status).toBe(200);
      expect(ms).toBeLessThan(1000);
      expect(await closeCode(ws, 100)).toBe('open');
      await bridgeStillServes();
    },
  );

  test.each([
    ['non-JSON', 'not json {'],
    ['a JSON array', '[1,2,3]'],
    ['an unknown event', '{"event":"evil"}'],
    ['a media message without payload', '{"event":"media","media":{}}'],
    ['a second start', () => startMessage(randomSid('CA'), {})],
    ['a DTMF "digit" of 10 kB', JSON.stringify({ event: 'dtmf', dtmf: { digit: 'x'.repeat(10_000) } })],
    ['a mark named with 10 kB', JSON.stringify({ event: 'mark', mark: { name: 'x'.repeat(10_000) } })],
  ])('%s is ignored and the call stays up', async (_name, msg) => {
    ws.send(typeof msg === 'function' ? msg() : msg);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await closeCode(ws, 100)).toBe('open');
    await bridgeStillServes();
  });

  test('a message over 64 KiB closes that stream (1009) only', async () => {
    ws.send(JSON.stringify({ event: 'media', media: { payload: 'A'.repeat(70_000) } }));
    expect(await closeCode(ws)).toBe(1009);
    await bridgeStillServes();
  });

  test('a thousand DTMF key presses without # are bounded', async () => {
    for (let i = 0; i < 1000; i += 1) ws.send(JSON.stringify({ event: 'dtmf', dtmf: { digit: '1' } }));
    const { value, ms } = await timed(() => fetch(`${bridge.url}/healthz`));
    expect(value.status).toBe(200);
    expect(ms).toBeLessThan(1000);
    await bridgeStillServes();
  });
});

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

// ---------- secrets ----------

describe('no secret in a log line or an error message', () => {
  test('the auth token, the token key and issued stream tokens appear in nothing the bridge printed', async () => {
    const printed = output.join('');
    expect(printed.length).toBeGreaterThan(1000); // the bridge did log (debug level) during the suite
    const basicAuth = Buffer.from(`${ACCOUNT}:${SECRET}`).toString('base64');
    for (const secret of [SECRET, basicAuth, KEY.toString('hex'), KEY.toString('base64'), KEY.toString('base64url')])
      expect(printed).not.toContain(secret);
    expect(printed).not.toMatch(/v1\.[0-9a-z]{1,12}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}/);
  });

  test('a Twilio REST call that fails on the network is logged without the Authorization header', async () => {
    // The real twilio client and HTTP stack, through a "proxy" that resets every connection. Unwrapped, the
    // client's error carries its request config: `Authorization: Basic base64(AccountSid:AuthToken)`.
    const proxy = createTcpServer((sock) => sock.resetAndDestroy());
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const before = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const httpClient = new twilio.RequestClient({ timeout: 2000 });
    if (before === undefined) delete process.env.HTTP_PROXY;
    else process.env.HTTP_PROXY = before;
    const control = twilioCallControl(twilio(ACCOUNT, SECRET, { httpClient }));
    const err = await control.hangUp(randomSid('CA')).catch((e: unknown) => e);
    proxy.close();
    expect(err).toBeInstanceOf(TwilioApiError);
    const at = output.length;
    new Logger({ serviceName: 'lexdr-twilio', logLevel: 'DEBUG' }).error('could not hang up the call', {
      error: err as Error,
    });
    const line = output.slice(at).join('');
    expect(line).toContain('TwilioApiError');
    expect(line).not.toContain(Buffer.from(`${ACCOUNT}:${SECRET}`).toString('base64'));
    expect(line).not.toContain(SECRET);
  });

  test('a misconfigured bridge names the variable in its startup error, never the token', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'twilio', 'main.ts')], {
      env: {
        PATH: process.env.PATH,
        PUBLIC_BASE_URL: PUBLIC,
        TWILIO_ACCOUNT_SID: ACCOUNT,
        TWILIO_AUTH_TOKEN: SECRET,
        LEXDR_LOCAL: '0',
        TABLE_NAME: 'lexDR',
        LEXDR_CONNECT_REGION: 'us-east-1',
        HUMAN_NUMBER: '+15555550100',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('TWILIO_AUTH_TOKEN');
    expect(r.stderr + r.stdout).not.toContain(SECRET);
  });
});
