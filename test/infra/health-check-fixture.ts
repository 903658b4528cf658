/**
 * The health-check stack the health-check-*.test.ts files read: bots as code in two regions, no Connect instance,
 * schedule on. It is synthesized when a test file first imports this module, so once per test file.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { logicalId } from './template-helpers';

const config = parseConfig({
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  bots: [{ name: 'OrderFlowers', source: 'code' }],
  metricNamespace: 'lexdr-test',
  alarmEmail: 'oncall@example.com',
});
const { healthCheck } = buildApp(config, {
  app: new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
  account: '111111111111',
  nag: false,
});

/** The health-check stack's template. */
export const template = Template.fromStack(healthCheck);

/** The logical ID of the function whose ID starts with `prefix`. */
export const fnId = (prefix: string) => logicalId(template, 'AWS::Lambda::Function', prefix);
/** The lexDR table's logical ID. */
export const tableId = logicalId(template, 'AWS::DynamoDB::Table', 'TablesTable');
/** The history table's logical ID. */
export const historyId = logicalId(template, 'AWS::DynamoDB::Table', 'TablesHistory');
