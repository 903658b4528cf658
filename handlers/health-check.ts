/** Health-check Lambda entry: plans each cycle's probes and decides what they mean. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createHealthCheckHandler } from '../core/health-check-handler';
import { logger } from '../core/powertools';
import { SETTINGS_ENV, createSettingsLoader, parseSettings, requireEnv } from '../core/settings';

const tableName = requireEnv(SETTINGS_ENV.table);
const connectRegion = requireEnv(SETTINGS_ENV.connectRegion);
// Bounded reads: a hanging table must not hold the function until its timeout (the SDK waits forever otherwise).
const dynamodb = new DynamoDBClient({
  maxAttempts: 3,
  requestHandler: new NodeHttpHandler({ connectionTimeout: 500, requestTimeout: 1000, throwOnRequestTimeout: true }),
});

export const handler = createHealthCheckHandler({
  loadSettings: createSettingsLoader({
    getItem: async (key) =>
      (
        await dynamodb.send(
          new GetItemCommand({ TableName: tableName, Key: { connectRegion: { S: key } }, ConsistentRead: true }),
        )
      ).Item,
    connectRegion,
    parse: parseSettings,
    tableName,
    now: Date.now,
    onStale: (err) => logger.warn('settings re-read failed; using the last settings', { error: err as Error }),
  }),
  now: () => new Date(),
});
