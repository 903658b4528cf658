/** Health-check Lambda entry: plans each cycle's probes and decides what they mean. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createHealthCheckHandler } from './lib/health-check-handler';
import { logger } from './lib/powertools';
import { SETTINGS_ENV, createSettingsLoader, requireEnv } from './lib/settings';

const tableName = requireEnv(SETTINGS_ENV.table);
const connectRegion = requireEnv(SETTINGS_ENV.connectRegion);
const dynamodb = new DynamoDBClient({});

export const handler = createHealthCheckHandler({
  loadSettings: createSettingsLoader({
    getItem: async (key) =>
      (
        await dynamodb.send(
          new GetItemCommand({ TableName: tableName, Key: { connectRegion: { S: key } }, ConsistentRead: true }),
        )
      ).Item,
    connectRegion,
    tableName,
    now: Date.now,
    onStale: (err) => logger.warn('settings re-read failed; using the last settings', { error: err as Error }),
  }),
  now: () => new Date(),
});
