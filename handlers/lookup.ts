/** Lookup Lambda entry: Amazon Connect asks "which Lex region now?" on every call. */
import { drTable, drTableClient } from '../core/dr-table';
import { lookupEnvironment } from '../core/environment';
import { createLookupHandler } from '../core/lookup-handler';

const env = lookupEnvironment();

export const handler = createLookupHandler({
  table: drTable(drTableClient('lookup'), env.tableName),
  settingsFromTable: { connectRegion: env.connectRegion, regions: env.regions },
});
