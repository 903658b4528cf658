/**
 * What the local AWS services that speak REST-JSON (Lambda, Amazon Connect, the Lex V2 model-building API) share: the
 * region a request was signed for, URI templates, JSON bodies and errors in the shape AWS gives them (status, the
 * `x-amzn-errortype` header and a `message`), so the SDK clients raise the same named exceptions.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  AwsApiError,
  closeServer,
  compilePathTemplate,
  guardServer,
  listen,
  readBody,
  sendBodyError,
  sendJson,
} from '../http';
import type { GuardPolicy, PathTemplate } from '../http';

/** The region, service and access key of a SigV4 signature (`Credential=AKID/20261206/us-west-2/lambda/aws4_request`). */
export function credentialScope(
  req: IncomingMessage,
): { accessKeyId: string; region: string; service: string } | undefined {
  const auth = req.headers.authorization;
  const m =
    typeof auth === 'string'
      ? /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(auth)
      : null;
  return m ? { accessKeyId: m[1]!, region: m[2]!, service: m[3]! } : undefined;
}

export const notFound = (message: string): AwsApiError => new AwsApiError('ResourceNotFoundException', message, 404);

/** One REST route: method and URI template (`/instance/{InstanceId}/bots`); a trailing `/` is tolerated. */
export interface RestRoute {
  method: string;
  path: string;
  handle(r: RestRequest): Promise<RestReply> | RestReply;
}

export interface RestRequest {
  /** The region the request was signed for. */
  region: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  raw: Buffer;
  headers: IncomingMessage['headers'];
}

export interface RestReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Compiled extends PathTemplate {
  route: RestRoute;
}

/** Where a local AWS API listens, and who may call it: every local API's options extend these. */
export interface RestListenOptions {
  /** @default 127.0.0.1 */
  host?: string;
  /** @default any free port */
  port?: number;
  /** Host/Origin checks. @default loopback Host only */
  guard?: GuardPolicy;
}

export interface RestServerOptions extends RestListenOptions {
  /** Service name in messages ("Lambda"). */
  service: string;
  routes: RestRoute[];
  /** The region of a request without a SigV4 signature. @default us-east-1 */
  defaultRegion?: string;
  /** Largest request body. @default 6 MB (Lambda's synchronous payload limit) */
  maxBodyBytes?: number;
}

export interface RestServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function sendAwsError(res: ServerResponse, e: AwsApiError): void {
  sendJson(res, e.status, { message: e.message, Message: e.message }, { 'x-amzn-errortype': e.type });
}

/** Starts an HTTP server answering `routes` the REST-JSON way. */
export async function startRestServer(o: RestServerOptions): Promise<RestServer> {
  const routes = o.routes.map((route): Compiled => ({ route, ...compilePathTemplate(route.path) }));
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      const path = decodeURIComponent(url.pathname);
      let matched: { c: Compiled; m: RegExpExecArray } | undefined;
      for (const c of routes) {
        const m = c.regex.exec(url.pathname);
        if (m && c.route.method === req.method) {
          matched = { c, m };
          break;
        }
      }
      const raw = await readBody(req, o.maxBodyBytes ?? 6 * 1024 * 1024);
      if (!matched)
        throw new AwsApiError('UnknownOperationException', `${o.service} (local) serves no ${req.method} ${path}`, 404);
      const params = Object.fromEntries(matched.c.names.map((n, i) => [n, decodeURIComponent(matched.m[i + 1]!)]));
      let body: unknown = undefined;
      const text = raw.toString('utf8');
      if (text && /json/.test(req.headers['content-type'] ?? 'application/json')) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new AwsApiError('SerializationException', 'the request body is not JSON');
        }
      }
      const reply = await matched.c.route.handle({
        region: credentialScope(req)?.region ?? o.defaultRegion ?? 'us-east-1',
        params,
        query: url.searchParams,
        body,
        raw,
        headers: req.headers,
      });
      const status = reply.status ?? 200;
      if (reply.body === undefined) {
        res.writeHead(status, { 'content-length': 0, ...reply.headers });
        res.end();
      } else sendJson(res, status, reply.body, reply.headers);
    } catch (err) {
      if (sendBodyError(res, err, (e) => ({ message: e.message }))) return;
      if (err instanceof AwsApiError) return sendAwsError(res, err);
      sendAwsError(res, new AwsApiError('ServiceException', (err as Error).message, 500));
    }
  });
  guardServer(server, { ...o.guard, needsToken: () => false });
  const url = await listen(server, o.port ?? 0, o.host ?? '127.0.0.1');
  return { url, server, close: () => closeServer(server) };
}

/** Pages a list the way AWS list APIs do: an opaque `nextToken` (here the offset) and a page size. */
export function page<T>(items: T[], token: string | null, max: number): { items: T[]; next?: string } {
  const start = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) || 0 : 0;
  const end = start + max;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { next: Buffer.from(String(end)).toString('base64url') } : {}),
  };
}
