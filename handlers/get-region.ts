/** Lookup Lambda entry: Amazon Connect asks "which Lex region now?" on every call. */
import { createGetRegionHandler } from './lib/get-region-handler';
import { SETTINGS_ENV, requireEnv } from './lib/settings-item';

export const handler = createGetRegionHandler({
  tableName: requireEnv(SETTINGS_ENV.table),
  settingsFromTable: {
    connectRegion: requireEnv(SETTINGS_ENV.connectRegion),
    regions: requireEnv(SETTINGS_ENV.regions).split(','),
  },
});
