/**
 * The Twilio bridge as an attacker sees it, over real sockets on loopback, as in production: a public https URL with
 * a port, a real auth token. Every case asserts the answer AND that the bridge still serves the next call; no secret
 * reaches a log line or an error message.
 */
import { spawnSync } from 'node:child_process';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import twilio from 'twilio';
import WebSocket from 'ws';
import { twilioCallControl, TwilioApiError } from '../../twilio/bridge';
import { publicWsUrl } from '../../twilio/server';
import { postTwiml, randomSid } from '../../twilio/simulated-call';
import { STREAM_TOKEN_PARAMETER } from '../../twilio/stream-token';
import {
  ACCOUNT,
  admitted,
  bridge,
  bridgeStillServes,
  closeCode,
  expectNoSecretPrinted,
  openStream,
  output,
  PUBLIC,
  raw,
  SECRET,
  startMessage,
  timed,
  TWIML_PUBLIC,
  upgradeRequest,
  upgradeSignature,
  useAttackSystem,
  waitUntil,
  webhook,
  WS_PUBLIC,
} from './attack-fixture';

useAttackSystem();

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

// ---------- secrets ----------

describe('no secret in a log line or an error message', () => {
  test('the auth token, the token key and issued stream tokens appear in nothing the bridge printed', async () => {
    expect(output.join('').length).toBeGreaterThan(1000); // the bridge did log (debug level) during the suite
    expectNoSecretPrinted();
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
