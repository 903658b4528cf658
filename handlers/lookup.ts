/** Lookup Lambda entry: Amazon Connect asks "which Lex region now?" on every call. */
import { createLookupHandler } from '../core/lookup-handler';
import { SETTINGS_ENV, requireEnv } from '../core/settings-item';

export const handler = createLookupHandler({
  tableName: requireEnv(SETTINGS_ENV.table),
  settingsFromTable: {
    connectRegion: requireEnv(SETTINGS_ENV.connectRegion),
    regions: requireEnv(SETTINGS_ENV.regions).split(','),
  },
});
