/** Lookup Lambda entry: Amazon Connect asks "which Lex region now?" on every call. */
import { createGetRegionHandler } from './lib/get-region-handler';
import { requireEnv, settingsFromEnv } from './lib/settings';

export const handler = createGetRegionHandler({ settings: settingsFromEnv(), tableName: requireEnv('TABLE_NAME') });
