/**
 * What the attack suites share: a fast local system with its control server and the Twilio bridge as in production
 * (a public https URL with a port, a real auth token); everything the bridge and the local servers print, captured to
 * grep for secrets; and the attacker's tools over real sockets on loopback — raw bytes, upgrades, signed webhooks,
 * media streams — with the check that the bridge still serves the next call.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import twilio from 'twilio';
import WebSocket from 'ws';
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import { LOCAL_CREDENTIALS } from '../../local/http';
import type { LocalSystem } from '../../local/system';
import type { Bridge } from '../../twilio/bridge';
import { startBridge } from '../../twilio/bridge';
import { localBridgeConfig } from '../../local/twilio';
import { publicWsUrl } from '../../twilio/server';
import { postTwiml, randomSid, SimulatedCall } from '../../twilio/simulated-call';
import { STREAM_TOKEN_PARAMETER, streamTokenKey } from '../../twilio/stream-token';
import { FAST, startFast } from '../integration/system-fixture';

/** The production shape: https with a port (an absolute-form target used to crash the URL parsing then). */
export const PUBLIC = 'https://voice.example.com:8443';
export const SECRET = `attack-${randomBytes(16).toString('hex')}`;
export const ACCOUNT = 'AC' + '0'.repeat(32);
export const WS_PUBLIC = publicWsUrl(PUBLIC);
export const TWIML_PUBLIC = `${PUBLIC}/twiml`;

// Set by the hooks `useAttackSystem` registers; the suites read them as live bindings.
export let sys: LocalSystem;
export let control: ControlServer;
export let bridge: Bridge;
let dynamo: DynamoDBClient;
let port: number;
/** Everything printed on stdout and stderr since the suite started. */
export const output: string[] = [];
/** The key the bridge derives from the auth token to sign stream tokens. */
export const KEY = streamTokenKey(SECRET);

/**
 * Nothing this file's systems printed holds a secret: the auth token, its Basic-auth form, the stream-token key in any
 * encoding, or an issued stream token.
 */
export function expectNoSecretPrinted(): void {
  const printed = output.join('');
  const basicAuth = Buffer.from(`${ACCOUNT}:${SECRET}`).toString('base64');
  for (const secret of [SECRET, basicAuth, KEY.toString('hex'), KEY.toString('base64'), KEY.toString('base64url')])
    expect(printed).not.toContain(secret);
  expect(printed).not.toMatch(/v1\.[0-9a-z]{1,12}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}/);
}
const spies: jest.SpyInstance[] = [];

/**
 * Registers the suite's hooks: capture the output, start the local system, its control server, the lexDR item and
 * the Twilio bridge (a short deadline for a stream's start, a cap on pending streams); stop them after the suite.
 */
export function useAttackSystem(): void {
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
}

/** Writes raw bytes on a new TCP connection; resolves the status code of the answer (undefined: none). */
export function raw(
  text: string | Buffer,
  o: { reset?: boolean; targetPort?: number } = {},
): Promise<number | undefined> {
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

export const upgradeRequest = (target: string, headers: Record<string, string> = {}) =>
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

export const upgradeSignature = () => twilio.getExpectedTwilioSignature(SECRET, WS_PUBLIC, {});

/** A signed webhook for a call; resolves the TwiML's stream parameters. */
export async function webhook(callSid: string, extra: Record<string, string> = {}) {
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
export async function openStream(signature = upgradeSignature()): Promise<WebSocket> {
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

export const startMessage = (callSid: string, params: Record<string, string>) =>
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
export function closeCode(ws: WebSocket, ms = 2000): Promise<number | 'open'> {
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
export async function admitted(callSid: string): Promise<boolean> {
  const res = await fetch(`${bridge.url}/_local/turns?callSid=${callSid}`);
  return ((await res.json()) as unknown[]).length > 0;
}

export async function waitUntil(what: string, test: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The bridge still serves: its health check answers, and a new call's webhook and stream go through. */
export async function bridgeStillServes(): Promise<void> {
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

export async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}
