/** The lookup Lambda's adapter: a DynamoDB GetItem with tight timeouts behind the pure lookup core. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { LookupAnswer } from './lookup-core';
import { createLookup } from './lookup-core';
import { logger } from './powertools';
import type { Settings } from './settings';

export interface GetRegionDeps {
  settings: Settings;
  tableName: string;
  dynamodb?: DynamoDBClient;
  now?: () => number;
}

export function createGetRegionHandler(deps: GetRegionDeps): (event: unknown) => Promise<LookupAnswer> {
  const client =
    deps.dynamodb ??
    new DynamoDBClient({
      maxAttempts: 2,
      requestHandler: new NodeHttpHandler({ connectionTimeout: 500, requestTimeout: 800, throwOnRequestTimeout: true }),
    });
  const lookup = createLookup({
    settings: deps.settings,
    now: deps.now ?? Date.now,
    getItem: async (key) =>
      (await client.send(new GetItemCommand({ TableName: deps.tableName, Key: { connectRegion: { S: key } } }))).Item,
    onError: (err, context) => logger.error('lexDR read failed', { ...context, error: err as Error }),
  });
  return async (event) => {
    const answer = await lookup(event);
    if (answer.status !== 'ok') logger.warn('lookup answered with a degraded status', { answer });
    return answer;
  };
}
