/** The lookup Lambda's adapter: a DynamoDB GetItem with tight timeouts behind the pure lookup core. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { LookupAnswer } from './lookup-core';
import { createLookup } from './lookup-core';
import { logger } from './powertools';
import type { Settings } from './settings';

export interface GetRegionDeps {
  settings: Settings;
  tableName: string;
  /** Merged over the lookup's client configuration (the local system points it at its table). */
  clientConfig?: DynamoDBClientConfig;
  /** A client of the caller's instead (benchmarks, tests). */
  dynamodb?: DynamoDBClient;
  now?: () => number;
}

/**
 * One attempt per read, bounded well inside Connect's budget: a hanging table costs a caller at most
 * `READ_TIMEOUT_MS`, and the core answers from its last known item meanwhile.
 */
export const READ_TIMEOUT_MS = 700;

export function createGetRegionHandler(deps: GetRegionDeps): (event: unknown) => Promise<LookupAnswer> {
  const client =
    deps.dynamodb ??
    new DynamoDBClient({
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 300,
        requestTimeout: READ_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      }),
      ...deps.clientConfig,
    });
  const lookup = createLookup({
    settings: deps.settings,
    now: deps.now ?? Date.now,
    getItem: async (key) =>
      (
        await client.send(
          new GetItemCommand({ TableName: deps.tableName, Key: { connectRegion: { S: key } }, ConsistentRead: true }),
        )
      ).Item,
    readTimeoutMs: READ_TIMEOUT_MS,
    onError: (err, context) => logger.error('lexDR read failed', { ...context, error: err as Error }),
  });
  return async (event) => {
    const answer = await lookup(event);
    if (answer.status !== 'ok') logger.warn('lookup answered with a degraded status', { answer });
    return answer;
  };
}
