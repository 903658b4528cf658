/** Health-check Lambda entry: plans each cycle's probes and decides what they mean. */
import { createHealthCheckHandler } from './lib/health-check-handler';
import { settingsFromEnv } from './lib/settings';

export const handler = createHealthCheckHandler({ settings: settingsFromEnv(), now: () => new Date() });
