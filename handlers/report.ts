/** Report Lambda entry: a caller met a bot failure (the contact flow's report action, or the Twilio bridge). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SFNClient } from '@aws-sdk/client-sfn';
import { drTable, drTableClient, drTableSettings } from '../core/dr-table';
import { reportEnvironment } from '../core/environment';
import { logger } from '../core/powertools';
import { boundedReportClient, createReportHandler } from '../core/report-handler';
import { parseSettings } from '../core/settings';

const env = reportEnvironment();
const table = drTable(drTableClient('report'), env.tableName);

export const handler = createReportHandler({
  table,
  settings: drTableSettings(table, {
    connectRegion: env.connectRegion,
    parse: parseSettings,
    onStale: (err) => logger.warn('settings re-read failed; using the last settings', { error: err as Error }),
  }),
  sfn: new SFNClient(boundedReportClient()),
  stateMachineArn: env.stateMachineArn,
  cloudwatch: new CloudWatchClient(boundedReportClient()),
  metricNamespace: env.metricNamespace,
});
