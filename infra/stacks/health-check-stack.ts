import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Settings } from '../../core/settings';
import { HEALTH_CHECK_OUTPUTS } from '../../core/contract';
import type { LexdrConfig } from '../config';
import type { BotIdResolver } from '../settings';
import type { DrAlarms } from '../constructs/dr-alarms';
import type { DrDashboard } from '../constructs/dr-dashboard';
import type { DrTables } from '../constructs/dr-tables';
import type { HealthCheckWorkflow } from '../constructs/health-check-workflow';
import { LexDrFromConfig } from '../constructs/lex-dr-from-config';
import type { LexdrFunction } from '../constructs/lexdr-function';

/** Properties of {@link HealthCheckStack}. */
export interface HealthCheckStackProps extends StackProps {
  /** The validated lexdr config (`readConfigFile()`). */
  readonly config: LexdrConfig;
  /**
   * The Connect region this stack serves (one of `config.connectRegions`): its `lexDR` item, lookup, alarms and
   * dashboard, probing from here.
   * @default config.connectRegion
   */
  readonly connectRegion?: string;
  /**
   * Resolves the IDs of bots deployed from code (`source: 'code'`), e.g. the bot stacks' `botId` / `botAliasId`.
   * @default - throws for bots deployed from code
   */
  readonly resolveBotIds?: BotIdResolver;
  /**
   * The health-check ASL file.
   * @default statemachine/health-check.asl.json
   */
  readonly definitionFile?: string;
}

/**
 * lexdr in the Amazon Connect region, as lexdr's own app deploys it: the library's {@link LexDrFromConfig} (the DR
 * tables, the functions, the workflow and its schedule, alarms and dashboard) and the outputs the CLI reads. The
 * Amazon Connect wiring is a stack of its own ({@link ConnectStack}).
 */
export class HealthCheckStack extends Stack {
  /** Everything this stack deploys but its outputs. */
  public readonly lexdr: LexDrFromConfig;
  public readonly settings: Settings;
  public readonly tables: DrTables;
  public readonly probe: LexdrFunction;
  public readonly healthCheck: LexdrFunction;
  public readonly lookup: LexdrFunction;
  /** Callers' reports of bot failures go here (the contact flow's async report action, the Twilio bridge). */
  public readonly report: LexdrFunction;
  public readonly workflow: HealthCheckWorkflow;
  public readonly alarmTopic: sns.ITopic;
  public readonly alarms: DrAlarms;
  public readonly dashboard: DrDashboard;

  constructor(scope: Construct, id: string, props: HealthCheckStackProps) {
    super(scope, id, props);
    const { config } = props;
    // ID "Default" leaves no trace in logical IDs: the resources keep the IDs they had as the stack's own children.
    this.lexdr = new LexDrFromConfig(this, 'Default', {
      config,
      ...(props.connectRegion !== undefined ? { connectRegion: props.connectRegion } : {}),
      ...(props.resolveBotIds ? { resolveBotIds: props.resolveBotIds } : {}),
      ...(props.definitionFile !== undefined ? { definitionFile: props.definitionFile } : {}),
    });
    ({
      settings: this.settings,
      tables: this.tables,
      probe: this.probe,
      healthCheck: this.healthCheck,
      lookup: this.lookup,
      report: this.report,
      workflow: this.workflow,
      alarmTopic: this.alarmTopic,
      alarms: this.alarms,
      dashboard: this.dashboard,
    } = this.lexdr);
    const { table, historyTable } = this.tables;

    // ---- outputs (names: core/contract.ts, read by the CLI) ----
    const O = HEALTH_CHECK_OUTPUTS;
    const sm = this.workflow.stateMachine.stateMachineArn;
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out(O.stateMachineArn, sm, 'Health-check state machine');
    out(
      O.startDrillConsoleUrl,
      `https://${this.region}.console.aws.amazon.com/states/home?region=${this.region}#/statemachines/view/${sm}`,
      'Start a drill: Start execution with {"drill": {"failRegions": ["<region>"]}}',
    );
    out(O.tableName, table.tableName, 'DR table (connectRegion → lexRegion)');
    out(O.historyTableName, historyTable.tableName, 'Region change history');
    out(O.metricNamespace, config.metricNamespace, 'CloudWatch namespace of the probe and workflow metrics');
    out(O.connectRegion, this.lexdr.connectRegion, 'The Amazon Connect region this stack serves');
    out(O.regions, config.regions.join(','), 'Bot regions in priority order (primary first)');
    out(O.lookupFunctionArn, this.lookup.function.functionArn, 'Lambda the Connect flow invokes');
    out(
      O.reportFunctionArn,
      this.report.function.functionArn,
      "Lambda the Connect flow reports callers' bot failures to",
    );
    out(O.dashboardUrl, this.dashboard.dashboardUrl, 'CloudWatch dashboard');
    out(O.alarmTopicArn, this.alarmTopic.topicArn, 'SNS topic of the alarms');
    out(
      O.notificationTestAlarmName,
      this.alarms.notificationTest.alarmName,
      'Alarm `lexdr verify` sets to ALARM to test the notification path',
    );
  }
}
