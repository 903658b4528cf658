/** Small HTTP helpers shared by the local servers. */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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
