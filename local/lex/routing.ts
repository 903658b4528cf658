/**
 * A region's request handling: the body read, the control API under `/_lexdr/`, the injected fault, and the
 * V2 and V1 runtime routes (matched by method and URI template), with errors named per protocol.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpError, PathTemplate } from '../http';
import { compilePathTemplate, readBody, sendBodyError } from '../http';
import type { AdminApi } from './admin';
import { DependencyFailedError } from './fulfillment';
import type { RegionFaults } from './faults';
import type { ErrorKind, LexReply, Protocol, RegionState, Route, RouteContext } from './protocol';
import type { LexRequestRecord } from './types';
import { LexApiError, errorType } from './protocol';
import type { RequestLog } from './request-log';
import { v1Routes } from './v1';
import { v2Routes } from './v2';

const MAX_BODY_BYTES = 1024 * 1024;

const ROUTES: (PathTemplate & { route: Route })[] = [...v2Routes, ...v1Routes].map((route) => ({
  route,
  ...compilePathTemplate(route.path),
}));

/** V1 PostContent (speech or text in, audio out): not served, but the `nospeech` fault fails it as Lex would. */
const V1_CONTENT_PATH = /^\/bot\/[^/]+\/alias\/[^/]+\/user\/[^/]+\/content$/;

/** Requests that recognise speech (what the `nospeech` fault fails): V2 RecognizeUtterance, V1 PostContent. */
const isSpeech = (method: string, path: string, operation: string): boolean =>
  operation === 'V2.RecognizeUtterance' || (method === 'POST' && V1_CONTENT_PATH.test(path));

/** Which protocol a path belongs to (for faults and errors before a route matched). */
const protocolOf = (path: string): Protocol | undefined =>
  path.startsWith('/bots/') ? 'V2' : path.startsWith('/bot/') ? 'V1' : undefined;

export interface RequestHandlerOptions {
  state: RegionState;
  faults: RegionFaults;
  requests: RequestLog;
  admin: AdminApi;
  /** Runs before each request that got its body read (the session sweep). */
  beforeRequest(): void;
  log(event: Record<string, unknown>): void;
}

/** Answers one HTTP/1.1 request (or an HTTP/2 request other than StartConversation). */
export function requestHandler(o: RequestHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const region = o.state.region;
  return async (req, res) => {
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
            e.status === 413 ? 'RequestEntityTooLargeException' : errorType(protocol, 'validation').type,
        }),
      );
      if (!refused) throw err;
      o.log({ region, event: 'body-refused', status: (err as HttpError).status });
      return;
    }
    o.beforeRequest();
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    if (path.startsWith('/_lexdr/')) return send(res, await o.admin(req, path, body));

    const match = findRoute(req.method ?? 'GET', path);
    const protocol = match?.route.protocol ?? protocolOf(path) ?? 'V2';
    const operation = match?.route.operation ?? 'Unknown';
    const record: LexRequestRecord = {
      operation,
      ...(match?.params.sessionId !== undefined && { sessionId: match.params.sessionId }),
      ...(req.headers['content-type'] && { contentType: req.headers['content-type'] }),
    };
    o.requests.add(record);
    const requestId = randomUUID();
    const fail = (kind: ErrorKind, message: string) => {
      const { status, type } = errorType(protocol, kind);
      const extra: Record<string, string> = kind === 'throttled' && protocol === 'V1' ? { 'Retry-After': '1' } : {};
      return send(res, { status, headers: { 'x-amzn-errortype': type, ...extra }, body: { message } }, requestId);
    };

    const faulted = o.faults.error(isSpeech(req.method ?? 'GET', path, operation));
    if (faulted) return fail(faulted.kind, faulted.message);
    const held = o.faults.hold(req);
    if (held && !(await held)) {
      res.destroy();
      return;
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
      region: o.state,
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
      o.log({ region, event: 'internal-error', operation, error: String(err) });
      return fail('internal', 'Internal error in the local Lex runtime');
    }
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

export function send(res: ServerResponse, reply: LexReply, requestId?: string): void {
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
