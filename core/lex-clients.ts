/**
 * Lex runtime clients per region, over HTTP/1.1 with hard timeouts (a hanging endpoint must not hang a probe),
 * and per region one HTTP/2 client for StartConversation (HTTP/2 only; to an `http://` endpoint the SDK speaks
 * cleartext HTTP/2 with prior knowledge). `endpoints` (region → URL) points them at local regions, which serve both
 * protocols on one port; none on AWS.
 */
import { LexRuntimeV2Client } from '@aws-sdk/client-lex-runtime-v2';
import type { LexRuntimeServiceClient } from '@aws-sdk/client-lex-runtime-service';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { lexV1Sdk } from './lex-v1';

export interface LexClientOptions {
  endpoints?: Record<string, string>;
  timeoutMs: number;
  /** Fixed credentials (the local regions); default: the SDK's provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** How long a StartConversation stream (and its HTTP/2 session) may be idle before the client closes it. */
const STREAM_IDLE_MS = 60_000;

const SILENT = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * Caches one V2 and one V1 client per region (and one HTTP/2 V2 client for StartConversation). The V1 SDK is loaded
 * at the first V1 client (`lexV1Sdk`).
 */
export function lexClientFactory(o: LexClientOptions) {
  const v2 = new Map<string, LexRuntimeV2Client>();
  const v1 = new Map<string, LexRuntimeServiceClient>();
  const v2Stream = new Map<string, LexRuntimeV2Client>();
  const where = (region: string) => ({
    region,
    maxAttempts: 1,
    ...(o.endpoints?.[region] ? { endpoint: o.endpoints[region] } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
  });
  const common = (region: string) => ({
    ...where(region),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: o.timeoutMs,
      requestTimeout: o.timeoutMs,
      throwOnRequestTimeout: true,
    }),
  });
  return {
    lexV2(region: string): LexRuntimeV2Client {
      let c = v2.get(region);
      if (!c) v2.set(region, (c = new LexRuntimeV2Client(common(region))));
      return c;
    },
    /**
     * StartConversation. The stream's idle timeout (`requestTimeout`) ends a stalled stream; callers still
     * bound the whole conversation themselves (abort signal), since heartbeats keep a stream busy.
     */
    lexV2Stream(region: string): LexRuntimeV2Client {
      let c = v2Stream.get(region);
      if (!c)
        v2Stream.set(
          region,
          (c = new LexRuntimeV2Client({
            ...where(region),
            // The SDK warns on console for every failed streaming call; the probe reports failures itself.
            logger: SILENT,
            // A conversation may sit idle while the caller thinks: its idle limit is generous, not `timeoutMs`.
            requestHandler: new NodeHttp2Handler({ requestTimeout: STREAM_IDLE_MS, sessionTimeout: STREAM_IDLE_MS }),
          })),
        );
      return c;
    },
    lexV1(region: string): LexRuntimeServiceClient {
      let c = v1.get(region);
      if (!c) v1.set(region, (c = new (lexV1Sdk().LexRuntimeServiceClient)(common(region))));
      return c;
    },
  };
}
