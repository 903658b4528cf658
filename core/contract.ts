/**
 * What crosses the boundary between the CDK app, the CLI and the local system, defined once: the stacks' names, the
 * outputs the CLI reads, the SSM parameters the bot stacks publish, and the name a bot is deployed under.
 * test/infra/cli-contract.test.ts reads both sides.
 */

/** The CDK app's stack names (infra/app.ts builds them; `lexdr --aws`, `preflight` and `verify` find them). */
export const STACK_NAMES = {
  /** The health check, DR tables, lookup, alarms and dashboard of one Connect region. */
  healthCheck: (connectRegion: string) => `Lexdr-HealthCheck-${connectRegion}`,
  /** One bot deployed from code (`bot/`) in one bot region. */
  bot: (bot: string, region: string) => `Lexdr-Bot-${bot}-${region}`,
  /** The Amazon Connect wiring of one Connect region (lookup permission, associations, flows), deployed last. */
  connect: (connectRegion: string) => `Lexdr-Connect-${connectRegion}`,
  /** The Twilio Media Streams bridge. */
  twilioBridge: (connectRegion: string) => `Lexdr-TwilioBridge-${connectRegion}`,
} as const;

/** The functions' environment variables (the stack sets them, core/environment.ts reads them). */
export const FUNCTION_ENV = {
  /** The DR table. */
  table: 'TABLE_NAME',
  /** The Connect region whose `lexDR` item and settings item the function reads. */
  connectRegion: 'LEXDR_CONNECT_REGION',
  /** Bot regions in priority order, comma-separated: what the lookup answers when it cannot read the settings. */
  regions: 'LEXDR_REGIONS',
  /** Local Lex endpoints by region (JSON), for the probe run by the local system; unset on AWS. */
  lexEndpoints: 'LEXDR_LEX_ENDPOINTS',
  /** The health-check state machine the report function starts a check on. */
  stateMachineArn: 'LEXDR_STATE_MACHINE_ARN',
  /** The CloudWatch namespace of lexdr's metrics (the report function publishes CallerReportedFailures there). */
  metricNamespace: 'LEXDR_METRIC_NAMESPACE',
} as const;

/** Prefix of the SSM parameters the bot stacks publish (`<prefix>/<bot>/botId`, `…/botAliasId`, `…/botAliasArn`). */
export const BOT_PARAMETER_PREFIX = '/lexdr/bots';

/**
 * A bot stack's outputs, by the key of the SSM parameter that holds the same value (`<prefix>/<bot>/<key>`):
 * `lexdr bot diff` and `lexdr preflight` read them.
 */
export const BOT_STACK_OUTPUTS = {
  botId: 'BotId',
  botAliasId: 'BotAliasId',
  botAliasArn: 'BotAliasArn',
  definitionHash: 'DefinitionHash',
} as const;

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
  /** The function callers' reports go to (the contact flow's report action; the Twilio bridge). */
  reportFunctionArn: 'ReportFunctionArn',
  /** An alarm of lexdr's own that `lexdr verify` sets to ALARM (SetAlarmState) to prove CloudWatch can notify the topic. */
  notificationTestAlarmName: 'NotificationTestAlarmName',
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
  HEALTH_CHECK_OUTPUTS.lookupFunctionArn,
  HEALTH_CHECK_OUTPUTS.reportFunctionArn,
  HEALTH_CHECK_OUTPUTS.notificationTestAlarmName,
] as const satisfies readonly HealthCheckOutput[];

export type CliOutput = (typeof CLI_READS_OUTPUTS)[number];
