/**
 * The bridge's HTTP and WebSocket front: `POST /twiml` (Twilio's voice webhook), the `/media` Media Streams
 * WebSocket, `/healthz` and `/metrics`. Every Twilio request is checked against `X-Twilio-Signature`
 * computed over the PUBLIC URL (behind a load balancer the Host header is not the one Twilio called), and a
 * stream is admitted only when its `start` message carries the single-use token the webhook issued for that
 * call (see stream-token.ts). No request or message can end the process: each failure costs that request,
 * that message, or at most that call.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import twilio from 'twilio';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { CallSession } from './call-session';
import type { BridgeMetrics } from './metrics';
import { MEDIA_PATH, TWIML_PATH } from './paths';
import { STREAM_TOKEN_PARAMETER, StreamTokenError, StreamTokens, streamTokenKey } from './stream-token';
import { twilioMessageSchema } from './twilio-messages';

export { MEDIA_PATH, PUBLIC_PATHS, TWIML_PATH } from './paths';
const MAX_FORM_BYTES = 64 * 1024;
/** Twilio's stream messages are well under 1 KB (`start` with parameters a few KB). */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** A stream that has not sent a valid `start` by then is closed (Twilio sends it at once). */
const START_DEADLINE_MS = 10_000;
/** WebSocket close codes: policy violation (bad token), internal error (a message the bridge could not handle). */
const CLOSE_POLICY = 1008;
const CLOSE_INTERNAL = 1011;
/** Twilio CallSids: CA + 32 hex digits. */
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

export interface BridgeServerOptions {
  host: string;
  port: number;
  /** e.g. https://voice.example.com (no trailing slash). */
  publicBaseUrl: string;
  authToken: string;
  greetingText: string;
  logger: Logger;
  metrics: BridgeMetrics;
  /** Builds the call for a new, verified Media Streams socket. */
  newCall(ws: WebSocket): CallSession;
  /** Local runs only: `GET /_local/turns?callSid=` shows each call's turns (transcripts: never in production). */
  exposeTurns?: boolean;
  /** How long a stream token stays valid after the webhook answered (the greeting plays first). @default 60000 */
  streamTokenTtlMs?: number;
  /** A signed stream that sent no valid `start` by then is closed. @default 10000 */
  startDeadlineMs?: number;
  /** Signed streams still waiting for their `start`: more upgrades are refused with 503. @default 100 */
  maxPendingStreams?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface BridgeServer {
  url: string;
  server: Server;
  activeCalls(): number;
  /** Stops taking calls (503 on /twiml and /healthz), waits for live calls up to the deadline, then closes. */
  shutdown(deadlineMs: number): Promise<{ drained: boolean; cut: number }>;
}

/** The public WebSocket URL Twilio connects to and signs: https → wss, http → ws. */
export const publicWsUrl = (publicBaseUrl: string, path = MEDIA_PATH) =>
  publicBaseUrl.replace(/^http(s?):/, 'ws$1:') + path;

export async function startBridgeServer(o: BridgeServerOptions): Promise<BridgeServer> {
  const calls = new Map<WebSocket, CallSession>();
  const ended: CallSession[] = [];
  let draining = false;
  /** Signed streams whose `start` has not come yet (a captured upgrade signature cannot pile them up). */
  let pending = 0;
  const maxPending = o.maxPendingStreams ?? 100;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const tokens = new StreamTokens({
    key: streamTokenKey(o.authToken),
    ttlMs: o.streamTokenTtlMs ?? 60_000,
    now: o.now ?? Date.now,
  });

  const reject = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(message);
  };

  const handleTwiml = async (req: IncomingMessage, res: ServerResponse, target: string) => {
    const encoding = header(req, 'content-encoding');
    if (encoding && encoding !== 'identity') return reject(res, 415, 'compressed bodies are not accepted');
    const body = await readForm(req);
    const params = Object.fromEntries(new URLSearchParams(body));
    const url = o.publicBaseUrl + target;
    if (!signed(o.authToken, header(req, 'x-twilio-signature'), url, params)) {
      o.metrics.inc('signatureRejections');
      o.logger.warn('rejected a webhook with a bad signature', { url, callSid: params.CallSid });
      return reject(res, 403, 'invalid X-Twilio-Signature');
    }
    if (draining) return reject(res, 503, 'shutting down');
    const callSid = params.CallSid;
    if (!callSid || !CALL_SID.test(callSid)) return reject(res, 400, 'CallSid must be CA followed by 32 hex digits');
    const vr = new twilio.twiml.VoiceResponse();
    if (o.greetingText) vr.say(o.greetingText);
    const stream = vr.connect().stream({ url: publicWsUrl(o.publicBaseUrl) });
    for (const name of ['CallSid', 'From', 'To'] as const) {
      if (params[name]) stream.parameter({ name, value: params[name] });
    }
    stream.parameter({ name: STREAM_TOKEN_PARAMETER, value: tokens.issue(callSid) });
    res.writeHead(200, { 'content-type': 'text/xml', 'cache-control': 'no-store' });
    res.end(vr.toString());
  };

  const server = createServer((req, res) => {
    const target = originForm(req.url);
    const path = target === undefined ? '' : new URL(target, 'http://x').pathname;
    const run = async () => {
      // An absolute-form target (`GET http://host/path`) is a proxy request: not ours to serve.
      if (target === undefined) return reject(res, 400, 'bad request target');
      if (path === TWIML_PATH && req.method === 'POST') return handleTwiml(req, res, target);
      if (path === '/healthz' && req.method === 'GET') {
        res.writeHead(draining ? 503 : 200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ status: draining ? 'draining' : 'ok', activeCalls: calls.size }));
      }
      if (path === '/metrics' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ ...o.metrics.snapshot(), callsActive: calls.size }));
      }
      if (o.exposeTurns && path === '/_local/turns' && req.method === 'GET') {
        const sid = new URL(target, 'http://x').searchParams.get('callSid');
        const all = [...calls.values(), ...ended].filter((c) => c.callSid === sid);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(all.map((c) => ({ callSid: c.callSid, outcome: c.outcome, turns: c.turns }))));
      }
      return reject(res, 404, 'not found');
    };
    run().catch((err: unknown) => {
      // A client that went away mid-body (reset) gets no answer and is not a server error.
      if (req.socket.destroyed) {
        o.logger.debug('client went away mid-request', { path });
        return void res.destroy();
      }
      const status = (err as { status?: number }).status;
      o.logger.error('request failed', { path, error: err as Error });
      if (!res.headersSent) reject(res, status && status >= 400 && status < 500 ? status : 500, 'error');
      else res.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Node hands the upgrade's socket over without an 'error' listener: a reset while the refusal is written
    // would otherwise be an unhandled ECONNRESET that ends the process.
    socket.on('error', (err) => o.logger.debug('upgrade socket error', { error: err.message }));
    const refuse = (status: number, text: string) => {
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      else socket.destroy();
    };
    try {
      const target = originForm(req.url);
      if (target === undefined) return refuse(400, 'Bad Request');
      if (new URL(target, 'http://x').pathname !== MEDIA_PATH) return refuse(404, 'Not Found');
      const url = publicWsUrl(o.publicBaseUrl, target);
      if (!signed(o.authToken, header(req, 'x-twilio-signature'), url, {})) {
        o.metrics.inc('signatureRejections');
        o.logger.warn('rejected a media stream with a bad signature', { url });
        return refuse(403, 'Forbidden');
      }
      if (draining) return refuse(503, 'Service Unavailable');
      if (pending >= maxPending) {
        o.metrics.inc('streamRejections');
        o.logger.warn('refused a media stream: too many streams waiting for their start', { pending });
        return refuse(503, 'Service Unavailable');
      }
      wss.handleUpgrade(req, socket, head, (ws) => admit(ws));
    } catch (err) {
      o.logger.error('upgrade failed', { error: err as Error });
      refuse(500, 'Internal Server Error');
    }
  });

  /** A signed stream: messages go to its call once `start` carried a valid token for its CallSid. */
  const admit = (ws: WebSocket) => {
    const call = o.newCall(ws);
    calls.set(ws, call);
    let started = false;
    pending += 1;
    let waiting = true;
    const stopWaiting = () => {
      if (waiting) pending -= 1;
      waiting = false;
    };
    const startDeadlineMs = o.startDeadlineMs ?? START_DEADLINE_MS;
    const deadline = setTimeout(() => {
      o.metrics.inc('streamRejections');
      o.logger.warn('closed a media stream that sent no valid start in time', { deadlineMs: startDeadlineMs });
      ws.close(CLOSE_POLICY, 'no start');
    }, startDeadlineMs);
    deadline.unref();
    const gate = (raw: string): boolean => {
      if (started) {
        // One start per stream: a second one would re-bind the call.
        if (raw.includes('"start"') && eventOf(raw) === 'start') {
          o.logger.warn('ignored a second start message', { callSid: call.callSid });
          return false;
        }
        return true;
      }
      const event = eventOf(raw);
      if (event === 'connected') return true;
      if (event !== 'start') return false;
      const r = twilioMessageSchema.safeParse(JSON.parse(raw));
      if (!r.success || r.data.event !== 'start') throw new StreamTokenError('malformed');
      const { callSid, customParameters = {} } = r.data.start;
      if (customParameters.CallSid !== undefined && customParameters.CallSid !== callSid)
        throw new StreamTokenError('wrong-call');
      tokens.consume(callSid, customParameters[STREAM_TOKEN_PARAMETER]);
      started = true;
      stopWaiting();
      clearTimeout(deadline);
      return true;
    };
    ws.on('message', (data, isBinary) => {
      // Binary frames are not Twilio's; nothing is handled once the stream is being closed.
      if (isBinary || ws.readyState !== ws.OPEN) return;
      try {
        const raw = data.toString();
        if (gate(raw)) call.onMessage(raw);
      } catch (err) {
        if (err instanceof StreamTokenError) {
          o.metrics.inc('streamRejections');
          o.logger.warn('closed a media stream: its start carried no valid stream token', { reason: err.reason });
          ws.close(CLOSE_POLICY, 'invalid stream token');
          return;
        }
        // A message the call could not handle costs that call, never the process or the other calls.
        o.metrics.inc('messageFailures');
        o.logger.error('a stream message failed: closing the call', { callSid: call.callSid, error: err as Error });
        ws.close(CLOSE_INTERNAL, 'internal error');
      }
    });
    ws.on('close', () => {
      stopWaiting();
      clearTimeout(deadline);
      try {
        call.onClose();
      } catch (err) {
        o.logger.error('closing a call failed', { callSid: call.callSid, error: err as Error });
      }
      calls.delete(ws);
      ended.push(call);
      if (ended.length > 200) ended.shift();
    });
    ws.on('error', (err) => o.logger.warn('media stream error', { callSid: call.callSid, error: err }));
  };

  server.keepAliveTimeout = 65_000; // longer than the ALB's 60 s idle timeout
  server.headersTimeout = 10_000; // a client that trickles its headers is dropped
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address === '0.0.0.0' ? '127.0.0.1' : a.address;

  return {
    url: `http://${host}:${a.port}`,
    server,
    activeCalls: () => calls.size,
    async shutdown(deadlineMs) {
      draining = true;
      o.logger.info('draining: no new calls', { activeCalls: calls.size, deadlineMs });
      const deadline = Date.now() + deadlineMs;
      while (calls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const cut = calls.size;
      for (const ws of calls.keys()) ws.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      wss.close();
      return { drained: cut === 0, cut };
    },
  };
}

/** The request target when it is origin-form (`/path?query`); undefined for absolute-form or asterisk-form. */
function originForm(url: string | undefined): string | undefined {
  return url !== undefined && url.startsWith('/') && !url.startsWith('//') ? url : undefined;
}

/** Twilio's signature check, false instead of a throw for any input (a malformed URL or header). */
function signed(authToken: string, signature: string | undefined, url: string, params: Record<string, string>) {
  if (!signature) return false;
  try {
    return twilio.validateRequest(authToken, signature, url, params);
  } catch {
    return false;
  }
}

/** The `event` of a stream message, or undefined when it is not a JSON object. */
function eventOf(raw: string): unknown {
  try {
    const v = JSON.parse(raw) as unknown;
    return v !== null && typeof v === 'object' ? (v as { event?: unknown }).event : undefined;
  } catch {
    return undefined;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Reads the webhook's form body up to MAX_FORM_BYTES. A longer one is read on without being kept (up to 1 MB,
 * then the connection is dropped) and refused with 413, so the client sees the answer instead of a reset.
 */
function readForm(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_FORM_BYTES) return void chunks.push(c);
      chunks.length = 0;
      if (size > 16 * MAX_FORM_BYTES) req.destroy();
    });
    req.on('error', reject);
    req.on('close', () => reject(Object.assign(new Error('the client went away'), { status: 400 })));
    req.on('end', () => {
      if (size > MAX_FORM_BYTES) reject(Object.assign(new Error('body too large'), { status: 413 }));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
