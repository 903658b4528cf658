/** Health-check Lambda entry: plans each cycle's probes and decides what they mean. */
import { drTable, drTableClient, drTableSettings } from '../core/dr-table';
import { healthCheckEnvironment } from '../core/environment';
import { createHealthCheckHandler } from '../core/health-check-handler';
import { logger } from '../core/powertools';
import { parseSettings } from '../core/settings';

const env = healthCheckEnvironment();

export const handler = createHealthCheckHandler({
  loadSettings: drTableSettings(drTable(drTableClient('healthCheck'), env.tableName), {
    connectRegion: env.connectRegion,
    parse: parseSettings,
    onStale: (err) => logger.warn('settings re-read failed; using the last settings', { error: err as Error }),
  }),
  now: () => new Date(),
});
