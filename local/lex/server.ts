/**
 * One local Lex region: an HTTP/1.1 (and HTTP/2) server that speaks the Lex V2 and Lex V1 runtime REST protocols
 * well enough for the real AWS SDK clients, with per-region fault injection and request counters.
 *
 * Admin endpoints (same server): `GET|PUT /_lexdr/fault`, `GET /_lexdr/health`, `GET /_lexdr/stats`,
 * `GET /_lexdr/sessions` (sessions held: expired ones are swept),
 * `GET /_lexdr/progress[?sessionId=]`, `GET /_lexdr/requests`, and the test-only speech registry
 * `PUT /_lexdr/speech` (`{"transcript": "...", "ulaw": "<base64 8 kHz μ-law>"}`), and the per-intent
 * fulfillment delay `GET|PUT /_lexdr/fulfillment` (`{"intent": "OrderFlowers", "delayMs": 12000}`; `null` clears).
 * StartConversation (HTTP/2, prior knowledge) is served on the same port: see `stream.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { guardServer } from '../http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { HttpError } from '../http';
import { readBody, sendBodyError } from '../http';
import type { ProgressEvent, Session } from './dialog';
import { DependencyFailedError, DialogEngine, realTimer } from './dialog';
import type { LexReply, Protocol, RegionBot, RegionState, Route, RouteContext } from './protocol';
import type { LexRequestRecord } from './protocol';
import { ERROR_TYPES, LexApiError } from './protocol';
import { SpeechTemplates, synthesizerFor } from './speech';
import type { Fault, LocalLexRegion, LocalLexRegionOptions } from './types';
import { v1Routes } from './v1';
import { v2Routes } from './v2';
import { fulfillmentAdmin, fulfillmentDelays, scaledTimer } from './clock';
import { ConversationServer, listenBoth } from './stream';

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_REQUEST_LOG = 1000;
/** Expired sessions are swept at most this often (region clock), besides being dropped when looked up. */
const SESSION_SWEEP_MS = 10_000;

const speechTemplateSchema = z.object({
  transcript: z.string().min(1, { error: 'transcript must not be empty' }),
  ulaw: z.base64({ error: 'ulaw must be base64 8 kHz μ-law audio' }).min(4),
});
const DEFAULT_SLOW_MS = 3000;

export const faultSchema = z.object({
  mode: z.enum(['none', 'down', 'throttled', 'notfound', 'hang', 'slow', 'wrongintent'], {
    error: 'mode must be one of none, down, throttled, notfound, hang, slow, wrongintent',
  }),
  latencyMs: z
    .number({ error: 'latencyMs must be a number of milliseconds 0–600000' })
    .int({ error: 'latencyMs must be a whole number of milliseconds 0–600000' })
    .min(0, { error: 'latencyMs must be 0–600000' })
    .max(600_000, { error: 'latencyMs must be 0–600000' })
    .optional(),
});

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

/** `/bot/{botName}/x` → a regex with one group per `{param}`; a trailing `/` is tolerated. */
function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const pattern = route.path
    .split(/(\{[^{}]+\})/)
    .map((part) => {
      const m = /^\{([^{}]+)\}$/.exec(part);
      if (m?.[1]) {
        names.push(m[1]);
        return '([^/]+)';
      }
      return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { route, regex: new RegExp(`^${pattern}/?$`), names };
}

const ROUTES: CompiledRoute[] = [...v2Routes, ...v1Routes].map(compile);

/** Which protocol a path belongs to (for faults and errors before a route matched). */
const protocolOf = (path: string): Protocol | undefined =>
  path.startsWith('/bots/') ? 'V2' : path.startsWith('/bot/') ? 'V1' : undefined;

/** Starts one local Lex region; resolves once it listens. */
export async function startLocalLexRegion(o: LocalLexRegionOptions): Promise<LocalLexRegion> {
  const timer = o.timer ?? (o.timeScale ? scaledTimer(o.timeScale) : realTimer);
  const delayed = o.fulfill && fulfillmentDelays(o.fulfill, timer);
  const log = o.log ?? (() => undefined);
  const random = o.random ?? Math.random;
  let fault: Fault = { mode: 'none' };
  let closing = false;
  const counters: Record<string, number> = {};
  /** Wakes requests parked by `hang` (on fault change or close). */
  const parked = new Set<() => void>();
  /** Pending `slow` delays, cleared on close. */
  const delays = new Set<{ handle: NodeJS.Timeout; wake: () => void }>();

  const bots: RegionBot[] = o.bots.map((bot) => ({
    bot,
    engine: new DialogEngine({
      definition: bot.definition,
      bot: { botId: bot.botId, botAliasId: bot.botAliasId, botName: bot.botName, botAlias: bot.botAlias },
      ...(delayed && { fulfill: delayed.fulfill }),
      random,
      timer,
      log: (e) => log({ region: o.region, ...e }),
    }),
  }));
  const sessions = new Map<string, Session>();
  const requestLog: LexRequestRecord[] = [];
  const templates = o.speech?.templates ?? new SpeechTemplates();
  const synthMode = o.speech?.synthesize ?? 'auto';
  log({ region: o.region, event: 'speech', synthesizer: synthesizerFor(synthMode) });
  const state: RegionState = {
    region: o.region,
    bots,
    sessions,
    now: () => timer.now(),
    nluBroken: () => fault.mode === 'wrongintent',
    speech: { templates, synthesize: synthMode },
  };

  const setFault = (f: Fault): void => {
    fault = { mode: f.mode, ...(f.latencyMs !== undefined && { latencyMs: f.latencyMs }) };
    log({ region: o.region, event: 'fault', ...fault });
    if (fault.mode !== 'hang') wakeParked();
    conversations.faultChanged(fault);
  };
  const wakeParked = () => {
    for (const wake of [...parked]) wake();
    parked.clear();
  };

  /** Parks the request while the region hangs; false if it should be dropped (closing or client gone). */
  const waitWhileHung = async (req: IncomingMessage): Promise<boolean> => {
    while (fault.mode === 'hang' && !closing) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          parked.delete(wake);
          req.socket.off('close', wake);
          resolve();
        };
        parked.add(wake);
        req.socket.once('close', wake);
      });
      if (req.socket.destroyed) return false;
    }
    return !closing;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        handle: setTimeout(() => {
          delays.delete(entry);
          resolve();
        }, ms),
        wake: () => {
          clearTimeout(entry.handle);
          delays.delete(entry);
          resolve();
        },
      };
      delays.add(entry);
    });

  const handleAdmin = async (req: IncomingMessage, path: string, body: Buffer): Promise<LexReply> => {
    if (path === '/_lexdr/health' && req.method === 'GET') return { body: { status: 'ok', region: o.region } };
    if (path === '/_lexdr/sessions' && req.method === 'GET') return { body: { live: sessions.size } };
    if (path === '/_lexdr/stats' && req.method === 'GET') return { body: { ...counters } };
    if (path === '/_lexdr/progress' && req.method === 'GET') {
      const id = new URL(req.url ?? '/', 'http://x').searchParams.get('sessionId') ?? undefined;
      return { body: progressOf(id) };
    }
    if (path === '/_lexdr/requests' && req.method === 'GET') return { body: requestLog };
    if (path === '/_lexdr/speech' && req.method === 'PUT') {
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8') || 'null');
      } catch {
        return { status: 400, body: { message: 'body must be JSON: {"transcript": "...", "ulaw": "<base64>"}' } };
      }
      const r = speechTemplateSchema.safeParse(json);
      if (!r.success) return { status: 400, body: { message: r.error.issues.map((i) => i.message).join('; ') } };
      const { mulaw } = await import('alawmulaw');
      templates.register(mulaw.decode(Buffer.from(r.data.ulaw, 'base64')), 8000, r.data.transcript);
      return { body: { registered: r.data.transcript, templates: templates.size } };
    }
    if (path === '/_lexdr/fulfillment') return fulfillmentAdmin(req.method ?? 'GET', body, delayed);
    if (path === '/_lexdr/fault' && req.method === 'GET') return { body: fault };
    if (path === '/_lexdr/fault' && req.method === 'PUT') {
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8') || 'null');
      } catch {
        return { status: 400, body: { message: 'body must be JSON: {"mode": "...", "latencyMs"?: n}' } };
      }
      const r = faultSchema.safeParse(json);
      if (!r.success)
        return {
          status: 400,
          body: {
            message: r.error.issues
              .map(
                (i) =>
                  `${i.path.join('.') || 'body'}: got ${JSON.stringify(valueAt(json, i.path)) ?? 'nothing'}; ${i.message}`,
              )
              .join('; '),
          },
        };
      setFault(r.data);
      return { body: fault };
    }
    return { status: 404, body: { message: `no admin endpoint ${req.method} ${path}` } };
  };

  const progressOf = (sessionId?: string): ProgressEvent[] =>
    [...sessions.values()]
      .flatMap((s) => s.progress)
      .filter((p) => sessionId === undefined || p.sessionId === sessionId);

  /** Drops every session idle for longer than its bot's idle TTL (Lex forgets them too). */
  const maxTtlMs = Math.max(...bots.map((b) => b.bot.definition.bot.idleSessionTTLInSeconds * 1000));
  let lastSweep = state.now();
  const sweepSessions = (): void => {
    const now = state.now();
    if (now - lastSweep < SESSION_SWEEP_MS) return;
    lastSweep = now;
    for (const [key, s] of sessions) if (now - s.lastActiveAt > maxTtlMs) sessions.delete(key);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      const protocol = protocolOf(new URL(req.url ?? '/', 'http://local').pathname) ?? 'V2';
      const refused = sendBodyError(
        res,
        err,
        (e) => ({ message: e.message }),
        (e) => ({
          'x-amzn-errortype':
            e.status === 413 ? 'RequestEntityTooLargeException' : ERROR_TYPES[protocol].validation.type,
        }),
      );
      if (!refused) throw err;
      log({ region: o.region, event: 'body-refused', status: (err as HttpError).status });
      return;
    }
    sweepSessions();
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    if (path.startsWith('/_lexdr/')) return send(res, await handleAdmin(req, path, body));

    const match = findRoute(req.method ?? 'GET', path);
    const protocol = match?.route.protocol ?? protocolOf(path) ?? 'V2';
    const operation = match?.route.operation ?? 'Unknown';
    counters[operation] = (counters[operation] ?? 0) + 1;
    const record: LexRequestRecord = {
      operation,
      ...(match?.params.sessionId !== undefined && { sessionId: match.params.sessionId }),
      ...(req.headers['content-type'] && { contentType: req.headers['content-type'] }),
    };
    requestLog.push(record);
    if (requestLog.length > MAX_REQUEST_LOG) requestLog.shift();
    const requestId = randomUUID();
    const fail = (kind: keyof (typeof ERROR_TYPES)['V2'], message: string) => {
      const { status, type } = ERROR_TYPES[protocol][kind];
      const extra: Record<string, string> = kind === 'throttled' && protocol === 'V1' ? { 'Retry-After': '1' } : {};
      return send(res, { status, headers: { 'x-amzn-errortype': type, ...extra }, body: { message } }, requestId);
    };

    switch (fault.mode) {
      case 'down':
        return fail('internal', `Lex in ${o.region} is unavailable (injected fault)`);
      case 'throttled':
        return fail('throttled', `Rate exceeded in ${o.region} (injected fault)`);
      case 'notfound':
        return fail('notfound', `Bot alias not found in ${o.region} (injected fault)`);
      case 'hang':
        if (!(await waitWhileHung(req))) {
          res.destroy();
          return;
        }
        break;
      case 'slow':
        await sleep(fault.latencyMs ?? DEFAULT_SLOW_MS);
        if (closing) {
          res.destroy();
          return;
        }
        break;
      default:
        break;
    }

    if (!match) {
      return send(
        res,
        {
          status: 404,
          headers: { 'x-amzn-errortype': 'UnknownOperationException' },
          body: { message: `No operation ${req.method} ${path}` },
        },
        requestId,
      );
    }
    const ctx: RouteContext = {
      region: state,
      params: match.params,
      rawBody: body,
      headers: req.headers,
      query: url.searchParams,
      note: (r) => Object.assign(record, r),
      json: () => {
        const text = body.toString('utf8');
        if (text.trim() === '') return {};
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new LexApiError('validation', 'The request body is not valid JSON');
        }
      },
    };
    try {
      return send(res, await match.route.handle(ctx), requestId);
    } catch (err) {
      if (err instanceof LexApiError) return fail(err.kind, err.message);
      if (err instanceof DependencyFailedError) return fail('dependency', err.message);
      log({ region: o.region, event: 'internal-error', operation, error: String(err) });
      return fail('internal', 'Internal error in the local Lex runtime');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log({ region: o.region, event: 'request-failed', error: String(err) });
      if (!res.headersSent)
        send(res, {
          status: 500,
          headers: { 'x-amzn-errortype': 'InternalServerException' },
          body: { message: 'internal error' },
        });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;
  // Host and Origin checks (a web page, or DNS rebinding, cannot reach the admin routes or the runtime).
  guardServer(server, { ...o.guard, needsToken: () => false });
  const conversations = new ConversationServer(
    {
      state,
      timer,
      fault: () => fault,
      record: (r) => {
        counters[r.operation] = (counters[r.operation] ?? 0) + 1;
        requestLog.push(r);
        if (requestLog.length > MAX_REQUEST_LOG) requestLog.shift();
      },
      log: (e) => log(e),
      ...(o.heartbeatMs !== undefined && { heartbeatMs: o.heartbeatMs }),
    },
    server,
  );
  // One port for both: HTTP/1.1, and HTTP/2 with prior knowledge (StartConversation, the SDK's default handler).
  const listener = await listenBoth(server, conversations.h2, o.port ?? 0, o.host ?? '127.0.0.1');
  const address = listener.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    region: o.region,
    url: `http://${host}:${address.port}`,
    setFault,
    fault: () => ({ ...fault }),
    stats: () => ({ ...counters }),
    requests: () => requestLog.map((r) => ({ ...r })),
    speechTemplates: templates,
    progress: progressOf,
    setFulfillmentDelay: (intent, delayMs) => delayed?.set(intent, delayMs),
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (closing) return resolve();
        closing = true;
        wakeParked();
        for (const d of [...delays]) d.wake();
        delayed?.close();
        conversations.close();
        listener.server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
        listener.destroyConnections();
      }),
  };
}

function findRoute(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const c of ROUTES) {
    if (c.route.method !== method) continue;
    const m = c.regex.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    c.names.forEach((name, i) => {
      params[name] = safeDecode(m[i + 1] ?? '');
    });
    return { route: c.route, params };
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

function send(res: ServerResponse, reply: LexReply, requestId?: string): void {
  if (res.destroyed || res.headersSent) return;
  const isBuffer = Buffer.isBuffer(reply.body);
  const payload = isBuffer ? (reply.body as Buffer) : Buffer.from(JSON.stringify(reply.body ?? {}));
  res.writeHead(reply.status ?? 200, {
    ...(isBuffer ? {} : { 'Content-Type': 'application/json' }),
    ...(requestId && { 'x-amzn-RequestId': requestId }),
    ...reply.headers,
    'Content-Length': String(payload.length),
  });
  res.end(payload);
}
