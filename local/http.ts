/** Small HTTP helpers shared by the local servers. */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

/** A request the server refuses before handling it: 400 (bad encoding), 413 (too large), 415 (unknown encoding). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** An AWS API error: its type (the SDK's exception name), HTTP status and message. */
export class AwsApiError extends Error {
  override name = 'AwsApiError';
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A URI template (`/bot/{botName}/x`) as a regex with one group per `{param}`, and the params' names in order. */
export interface PathTemplate {
  regex: RegExp;
  names: string[];
}

/** Compiles a URI template; the regex matches the whole path, a trailing `/` tolerated. */
export function compilePathTemplate(path: string): PathTemplate {
  const names: string[] = [];
  const pattern = path
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
  return { regex: new RegExp(`^${pattern.replace(/\/$/, '')}/?$`), names };
}

/** Past this many bytes an oversized body is no longer read to its end: the connection is dropped instead. */
const DISCARD_CAP_BYTES = 64 * 1024 * 1024;

/**
 * Reads a request body, gunzipping it when the client compressed it (the CloudWatch client does). `limit`
 * applies to the bytes received AND to the inflated body — inflation stops at the limit (zlib
 * `maxOutputLength`), so a small gzip bomb costs no more than `limit` of memory. An oversized body is read to
 * its end without being kept (up to 64 MB), so the client gets its 413 instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit = 5 * 1024 * 1024): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    req.resume();
    return Promise.reject(
      new HttpError(415, `content-encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported (gzip only)`),
    );
  }
  const tooLarge = () => new HttpError(413, `body larger than ${limit} bytes`);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number(req.headers['content-length']) > DISCARD_CAP_BYTES;
    if (over) {
      reject(tooLarge());
      return void req.resume();
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        over = true;
        if (size > DISCARD_CAP_BYTES) {
          reject(tooLarge());
          req.destroy();
        }
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (over) return reject(tooLarge());
      const body = Buffer.concat(chunks);
      if (encoding === 'identity') return resolve(body);
      try {
        resolve(gunzipSync(body, { maxOutputLength: limit }));
      } catch (err) {
        reject(
          (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
            ? tooLarge()
            : new HttpError(400, 'body is not valid gzip'),
        );
      }
    });
  });
}

/**
 * Answers a refused body (HttpError) and closes the connection: the rest of an oversized body is not read.
 * Returns false for any other error.
 */
export function sendBodyError(
  res: ServerResponse,
  err: unknown,
  body: (e: HttpError) => unknown,
  headers: (e: HttpError) => Record<string, string> = () => ({}),
): boolean {
  if (!(err instanceof HttpError)) return false;
  if (!res.headersSent && !res.destroyed)
    sendJson(res, err.status, body(err), { connection: 'close', ...headers(err) });
  return true;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Listens on host:port (0 = any free port) and resolves the base URL. */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      if (a === null || typeof a === 'string') return reject(new Error('no address'));
      resolve(`http://${host}:${a.port}`);
    });
  });
}

/** Closes a server and every open connection (keep-alive sockets would otherwise hold it open). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The local servers do not check signatures; SDK clients still need some credentials to sign with. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

// ---------- Who may drive the local system: Host, Origin and the per-start token ----------

/** The header the CLI and the dashboard page send the per-start token in (SDK clients use it as access key). */
export const TOKEN_HEADER = 'x-lexdr-token';
/** Host names that only this machine can reach. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return LOOPBACK_HOSTS.includes(h) || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith('.localhost');
}

export interface GuardPolicy {
  /** The per-start token; when set, the requests `needsToken` selects must carry it. @default no token */
  token?: string;
  /**
   * Whether a `Host` header name is accepted (DNS rebinding sends a foreign one).
   * @default loopback names only
   */
  allowHost?: (hostname: string) => boolean;
  /** Which requests must carry the token. @default every request that is not GET, HEAD or OPTIONS */
  needsToken?: (req: IncomingMessage) => boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isMutating = (req: IncomingMessage): boolean => !SAFE_METHODS.has(req.method ?? 'GET');

/** The token a request carries: the `x-lexdr-token` header, or the access key ID of its SigV4 signature. */
export function requestToken(req: IncomingMessage): string | undefined {
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /Credential=([^/,\s]+)\//.exec(auth) : null;
  return m?.[1];
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function hostnameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

export interface Refusal {
  status: 403;
  type: 'AccessDeniedException' | 'UnrecognizedClientException';
  message: string;
}

/**
 * Why a request may not reach a local server, or undefined when it may: a `Host` that is not this machine's
 * (DNS rebinding), a mutating request from a page of another origin (`Origin`, `Sec-Fetch-Site`), or a missing
 * or wrong token.
 */
export function refusal(req: IncomingMessage, p: GuardPolicy): Refusal | undefined {
  const allowHost = p.allowHost ?? isLoopbackHost;
  // HTTP/2 carries the host as the `:authority` pseudo-header (the compatibility API leaves `host` unset).
  const host = req.headers.host ?? (req.headers[':authority'] as string | undefined);
  const hostname = hostnameOf(host);
  if (hostname === undefined || !allowHost(hostname))
    return { status: 403, type: 'AccessDeniedException', message: `Host "${host ?? ''}" is not allowed` };
  if (isMutating(req)) {
    const origin = req.headers.origin;
    // Only the server's own pages may post: the origin must be this very host and port.
    if (origin !== undefined && origin.toLowerCase() !== `http://${(host ?? '').toLowerCase()}`)
      return { status: 403, type: 'AccessDeniedException', message: `Origin "${origin}" is not allowed` };
    if (req.headers['sec-fetch-site'] === 'cross-site')
      return { status: 403, type: 'AccessDeniedException', message: 'cross-site requests are not allowed' };
  }
  if (p.token !== undefined && (p.needsToken ?? isMutating)(req)) {
    const t = requestToken(req);
    if (t === undefined || !sameSecret(t, p.token))
      return {
        status: 403,
        type: 'UnrecognizedClientException',
        message: `missing or wrong token: send the token of .lexdr/local.json in ${TOKEN_HEADER} (or as the access key ID)`,
      };
  }
  return undefined;
}

/** Answers a refusal the way AWS JSON protocols answer errors (`__type`, `x-amzn-errortype`), readable by all. */
export function sendRefusal(req: IncomingMessage, res: ServerResponse, r: Refusal): void {
  req.resume();
  sendJson(res, r.status, { __type: r.type, message: r.message }, { 'x-amzn-errortype': r.type });
}

/** Puts the guard before every request listener a server already has (servers we do not own, e.g. dynalite). */
export function guardServer(server: Server, p: GuardPolicy): void {
  const inner = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const r = refusal(req, p);
    if (r) return sendRefusal(req, res, r);
    for (const l of inner) l(req, res);
  });
}
