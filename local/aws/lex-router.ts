/**
 * One endpoint for every local Lex region: a request goes to the local region it was signed for (the region of its
 * SigV4 credential scope), as `runtime-v2-lex.<region>.amazonaws.com` would take it. This lets a client configured the
 * AWS way — one endpoint per service (`AWS_ENDPOINT_URL_LEX_RUNTIME_V2`), the region per client — reach the local
 * region it names. HTTP/1.1 only (RecognizeText, the session calls, the V1 runtime); StartConversation (HTTP/2) goes
 * to a region's own endpoint.
 */
import { createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, guardServer, listen, sendJson } from '../http';
import { credentialScope } from './rest';
import type { RestListenOptions } from './rest';

export interface LexRouterOptions extends RestListenOptions {
  /** Local Lex region endpoints by region (`LocalLexRegion.url`). */
  regions: Record<string, string>;
}

export interface LexRouter {
  url: string;
  close(): Promise<void>;
}

function refuse(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { message }, { 'x-amzn-errortype': type });
}

export async function startLexRouter(o: LexRouterOptions): Promise<LexRouter> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const region = credentialScope(req)?.region;
    const target = region ? o.regions[region] : undefined;
    if (!target) {
      req.resume();
      return refuse(
        res,
        region ? 404 : 403,
        region ? 'UnknownEndpointException' : 'MissingAuthenticationTokenException',
        region
          ? `no local Lex region ${region} (local regions: ${Object.keys(o.regions).join(', ')})`
          : 'the request is not signed: no region to route it to',
      );
    }
    const to = new URL(target);
    const forward = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: to.host },
      },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      },
    );
    forward.on('error', (err) => {
      if (!res.headersSent) refuse(res, 502, 'InternalFailureException', `local Lex ${region}: ${err.message}`);
      else res.destroy(err);
    });
    req.pipe(forward);
  });
  guardServer(server, { ...o.guard, needsToken: () => false });
  const url = await listen(server, o.port ?? 0, o.host ?? '127.0.0.1');
  return { url, close: () => closeServer(server) };
}
