/**
 * What the local Lex runtime tests share: the official SDK clients for a local region over HTTP/1.1 (one attempt,
 * a request timeout that throws), a seeded RNG for the messages a region picks, a quiet fulfillment logger and the
 * texts of message groups.
 */
import { LexRuntimeServiceClient } from '@aws-sdk/client-lex-runtime-service';
import { LexRuntimeV2Client } from '@aws-sdk/client-lex-runtime-v2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { LocalLexRegion } from '../../local/lex';

/** The parts of a local region a client needs. */
type Endpoint = Pick<LocalLexRegion, 'region' | 'url'>;

const clientConfig = (r: Endpoint, requestTimeout: number) => ({
  region: r.region,
  endpoint: r.url,
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({ requestTimeout, throwOnRequestTimeout: true }),
});

/** A Lex V2 runtime client for the region (not for StartConversation, which needs the client's HTTP/2 handler). */
export const lexV2Client = (r: Endpoint, requestTimeout = 3000): LexRuntimeV2Client =>
  new LexRuntimeV2Client(clientConfig(r, requestTimeout));

/** A Lex V1 runtime client for the region. */
export const lexV1Client = (r: Endpoint, requestTimeout = 3000): LexRuntimeServiceClient =>
  new LexRuntimeServiceClient(clientConfig(r, requestTimeout));

/** A seeded RNG (LCG): the randomly chosen messages (a group's message or variation) are reproducible. */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
}

/** A fulfillment logger that says nothing. */
export const quiet = { info: (): void => undefined, error: (): void => undefined };

/** Every text the groups can say: each group's message and its variations. */
export const texts = (groups: { message: string; variations: string[] }[] | undefined): string[] =>
  (groups ?? []).flatMap((g) => [g.message, ...g.variations]);
