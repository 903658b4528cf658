/**
 * The health-check stack's output names: one list for the stack that emits them, the CLI that reads them
 * (`lexdr --aws` resolves its target from DescribeStacks) and the contract test that checks both sides.
 */
export const HEALTH_CHECK_OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  startDrillConsoleUrl: 'StartDrillConsoleUrl',
  tableName: 'TableName',
  historyTableName: 'HistoryTableName',
  metricNamespace: 'MetricNamespace',
  connectRegion: 'ConnectRegion',
  regions: 'Regions',
  lookupFunctionArn: 'LookupFunctionArn',
  dashboardUrl: 'DashboardUrl',
  alarmTopicArn: 'AlarmTopicArn',
} as const;

export type HealthCheckOutput = (typeof HEALTH_CHECK_OUTPUTS)[keyof typeof HEALTH_CHECK_OUTPUTS];

/**
 * The outputs `lexdr --aws` reads, and the only ones it can (its reader takes a `CliOutput`); each must exist in
 * the stack (test/infra/cli-contract.test.ts).
 */
export const CLI_READS_OUTPUTS = [
  HEALTH_CHECK_OUTPUTS.stateMachineArn,
  HEALTH_CHECK_OUTPUTS.tableName,
  HEALTH_CHECK_OUTPUTS.historyTableName,
  HEALTH_CHECK_OUTPUTS.metricNamespace,
  HEALTH_CHECK_OUTPUTS.connectRegion,
  HEALTH_CHECK_OUTPUTS.regions,
] as const satisfies readonly HealthCheckOutput[];

export type CliOutput = (typeof CLI_READS_OUTPUTS)[number];
