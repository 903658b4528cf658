/**
 * The bridge's HTTP and WebSocket front: `POST /twiml` (Twilio's voice webhook), the `/media` Media Streams
 * WebSocket, `/healthz` and `/metrics`. Every Twilio request is checked against `X-Twilio-Signature`
 * computed over the PUBLIC URL (behind a load balancer the Host header is not the one Twilio called).
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

export const MEDIA_PATH = '/media';
export const TWIML_PATH = '/twiml';
const MAX_FORM_BYTES = 64 * 1024;

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
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });

  const reject = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(message);
  };

  const handleTwiml = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readForm(req);
    const params = Object.fromEntries(new URLSearchParams(body));
    const url = o.publicBaseUrl + (req.url ?? TWIML_PATH);
    const signature = header(req, 'x-twilio-signature');
    if (!signature || !twilio.validateRequest(o.authToken, signature, url, params)) {
      o.metrics.inc('signatureRejections');
      o.logger.warn('rejected a webhook with a bad signature', { url, callSid: params.CallSid });
      return reject(res, 403, 'invalid X-Twilio-Signature');
    }
    if (draining) return reject(res, 503, 'shutting down');
    const vr = new twilio.twiml.VoiceResponse();
    if (o.greetingText) vr.say(o.greetingText);
    const stream = vr.connect().stream({ url: publicWsUrl(o.publicBaseUrl) });
    for (const name of ['CallSid', 'From', 'To'] as const) {
      if (params[name]) stream.parameter({ name, value: params[name] });
    }
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(vr.toString());
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const run = async () => {
      if (path === TWIML_PATH && req.method === 'POST') return handleTwiml(req, res);
      if (path === '/healthz' && req.method === 'GET') {
        res.writeHead(draining ? 503 : 200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ status: draining ? 'draining' : 'ok', activeCalls: calls.size }));
      }
      if (path === '/metrics' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ ...o.metrics.snapshot(), callsActive: calls.size }));
      }
      if (o.exposeTurns && path === '/_local/turns' && req.method === 'GET') {
        const sid = new URL(req.url ?? '/', 'http://x').searchParams.get('callSid');
        const all = [...calls.values(), ...ended].filter((c) => c.callSid === sid);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(all.map((c) => ({ callSid: c.callSid, outcome: c.outcome, turns: c.turns }))));
      }
      return reject(res, 404, 'not found');
    };
    run().catch((err: unknown) => {
      o.logger.error('request failed', { path, error: err as Error });
      if (!res.headersSent) reject(res, (err as { status?: number }).status ?? 500, 'error');
      else res.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path !== MEDIA_PATH) return refuse(404, 'Not Found');
    const url = publicWsUrl(o.publicBaseUrl, req.url ?? MEDIA_PATH);
    const signature = header(req, 'x-twilio-signature');
    if (!signature || !twilio.validateRequest(o.authToken, signature, url, {})) {
      o.metrics.inc('signatureRejections');
      o.logger.warn('rejected a media stream with a bad signature', { url });
      return refuse(403, 'Forbidden');
    }
    if (draining) return refuse(503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const call = o.newCall(ws);
      calls.set(ws, call);
      ws.on('message', (data, isBinary) => {
        if (!isBinary) call.onMessage(data.toString());
      });
      ws.on('close', () => {
        call.onClose();
        calls.delete(ws);
        ended.push(call);
        if (ended.length > 200) ended.shift();
      });
      ws.on('error', (err) => o.logger.warn('media stream error', { callSid: call.callSid, error: err }));
    });
  });

  server.keepAliveTimeout = 65_000; // longer than the ALB's 60 s idle timeout
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

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readForm(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_FORM_BYTES) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
