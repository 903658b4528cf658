import { join } from 'node:path';
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { LEGACY_FLOWER_DR_FLOW_FILE, LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../../flows/template';
import { legacyFlowTokens, lexdrFlowTokens } from '../../flows/tokens';
import type { Settings } from '../../handlers/lib/settings';
import type { LexdrConfig } from '../config';
import type { BotIdResolver } from '../settings';
import { buildSettings } from '../settings';
import type { ConnectFlow } from '../constructs/connect-integration';
import { ConnectIntegration } from '../constructs/connect-integration';
import { DrAlarms } from '../constructs/dr-alarms';
import { DrDashboard } from '../constructs/dr-dashboard';
import { DrTables } from '../constructs/dr-tables';
import { HealthCheckWorkflow } from '../constructs/health-check-workflow';
import { LexdrFunction } from '../constructs/lexdr-function';
import { HEALTH_CHECK_OUTPUTS } from '../stack-outputs';
import { HEALTH_CHECK_FUNCTION, LOOKUP_FUNCTION, PROBE_FUNCTION } from './sizing';

const ROOT = join(__dirname, '..', '..');

/** Properties of {@link HealthCheckStack}. */
export interface HealthCheckStackProps extends StackProps {
  /** The validated lexdr config (`readConfigFile()`). */
  readonly config: LexdrConfig;
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

/** Size-check stand-ins: the longest values the settings' tokens can resolve to. */
const SIZING_IDS = { botId: 'X'.repeat(10), botAliasId: 'X'.repeat(10) };

/**
 * lexdr in the Amazon Connect region: the DR tables, the probe / health-check / lookup functions, the health-check
 * workflow and its schedule, alarms, dashboard, and (with `connectInstanceArn`) the Connect wiring and flows.
 */
export class HealthCheckStack extends Stack {
  public readonly settings: Settings;
  public readonly tables: DrTables;
  public readonly probe: LexdrFunction;
  public readonly healthCheck: LexdrFunction;
  public readonly lookup: LexdrFunction;
  public readonly workflow: HealthCheckWorkflow;
  public readonly alarmTopic: sns.ITopic;
  public readonly alarms: DrAlarms;
  public readonly dashboard: DrDashboard;
  public readonly connect?: ConnectIntegration;

  constructor(scope: Construct, id: string, props: HealthCheckStackProps) {
    super(scope, id, props);
    const { config } = props;
    const resolve: BotIdResolver =
      props.resolveBotIds ??
      ((bot) => {
        throw new Error(`bot "${bot.name}" has source "code" but no bot stack resolves its IDs`);
      });
    this.settings = buildSettings(config, resolve, this.account, this.partition);
    const sizing = buildSettings(config, () => SIZING_IDS, '123456789012', 'aws-iso-b');
    const settingsEnv = { LEXDR_SETTINGS: this.toJsonString(this.settings) };
    const settingsHint = { LEXDR_SETTINGS: JSON.stringify(sizing) };

    // ---- tables ----
    this.tables = new DrTables(this, 'Tables', {
      tableName: config.tableName,
      historyTableName: config.historyTableName,
      connectRegion: config.connectRegion,
      primaryRegion: config.regions[0]!,
    });
    const { table, historyTable } = this.tables;

    // ---- functions ----
    const handler = (file: string) => join(ROOT, 'handlers', file);
    this.probe = new LexdrFunction(this, 'Probe', {
      entry: handler('probe.ts'),
      description: 'lexdr: probes one Lex bot in one region',
      memorySize: PROBE_FUNCTION.memoryMb,
      timeout: Duration.seconds(PROBE_FUNCTION.timeoutSeconds),
      serviceName: 'lexdr-probe',
    });
    const aliasArns = this.settings.bots.flatMap((b) => config.regions.map((r) => b.regions[r]!.botAliasArn));
    this.probe.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ProbeLexV2Aliases',
        actions: ['lex:PutSession', 'lex:GetSession', 'lex:DeleteSession', 'lex:RecognizeText'],
        resources: aliasArns,
      }),
    );
    if (config.probe.method === 'v1-putsession' || config.probe.method === 'v1-posttext') {
      const v1Arns = config.bots.flatMap((b) =>
        b.v1
          ? config.regions.map(
              (r) => `arn:${this.partition}:lex:${r}:${this.account}:bot:${b.v1!.botName}:${b.v1!.botAlias}`,
            )
          : [],
      );
      this.probe.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ProbeLexV1Aliases',
          actions: ['lex:PostText', 'lex:PutSession', 'lex:DeleteSession'],
          resources: v1Arns,
        }),
      );
    }

    this.healthCheck = new LexdrFunction(this, 'HealthCheck', {
      entry: handler('health-check.ts'),
      description: 'lexdr: plans health-check cycles and decides the active region',
      memorySize: HEALTH_CHECK_FUNCTION.memoryMb,
      timeout: Duration.seconds(HEALTH_CHECK_FUNCTION.timeoutSeconds),
      environment: settingsEnv,
      environmentSizeHint: settingsHint,
      serviceName: 'lexdr-health-check',
    });

    this.lookup = new LexdrFunction(this, 'Lookup', {
      entry: handler('get-region.ts'),
      description: 'lexdr: answers Amazon Connect with the Lex region to use now',
      memorySize: LOOKUP_FUNCTION.memoryMb,
      timeout: Duration.seconds(LOOKUP_FUNCTION.timeoutSeconds),
      environment: { ...settingsEnv, TABLE_NAME: table.tableName },
      environmentSizeHint: { ...settingsHint, TABLE_NAME: config.tableName },
      serviceName: 'lexdr-lookup',
    });
    this.lookup.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ReadDrItem', actions: ['dynamodb:GetItem'], resources: [table.tableArn] }),
    );

    // ---- workflow ----
    this.workflow = new HealthCheckWorkflow(this, 'Workflow', {
      definitionFile: props.definitionFile ?? join(ROOT, 'statemachine', 'health-check.asl.json'),
      healthCheckFunction: this.healthCheck.function,
      probeFunction: this.probe.function,
      table,
      historyTable,
      metricNamespace: config.metricNamespace,
      scheduleEnabled: config.scheduleEnabled,
      logExecutionData: config.logExecutionData,
    });

    // ---- alarms ----
    if (config.alarmTopicArn) {
      this.alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn);
    } else {
      const key = new kms.Key(this, 'AlarmTopicKey', {
        description: 'lexdr alarm topic encryption',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.DESTROY,
        pendingWindow: Duration.days(7),
      });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      );
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'lexdr alarms',
        masterKey: key,
        enforceSSL: true,
      });
    }
    if (config.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    this.alarms = new DrAlarms(this, 'Alarms', {
      topic: this.alarmTopic,
      metricNamespace: config.metricNamespace,
      connectRegion: config.connectRegion,
      regions: config.regions,
      bots: config.bots.map((b) => b.name),
      stateMachine: this.workflow.stateMachine,
      lookupFunction: this.lookup.function,
      heartbeatActionsEnabled: config.scheduleEnabled,
    });

    // ---- dashboard ----
    this.dashboard = new DrDashboard(this, 'Dashboard', {
      metricNamespace: config.metricNamespace,
      connectRegion: config.connectRegion,
      regions: config.regions,
      bots: this.settings.bots.flatMap((b) =>
        config.regions.map((region) => ({
          bot: b.name,
          region,
          botId: b.regions[region]!.botId,
          botAliasId: b.regions[region]!.botAliasId,
          localeId: b.localeId,
        })),
      ),
      stateMachine: this.workflow.stateMachine,
      lookupFunction: this.lookup.function,
    });

    // ---- Amazon Connect ----
    if (config.connectInstanceArn) {
      this.connect = new ConnectIntegration(this, 'Connect', {
        instanceArn: config.connectInstanceArn,
        lookupFunction: this.lookup.function,
        bots: this.settings.bots.flatMap((b) =>
          config.regions.map((region) => ({ name: b.name, region, aliasArn: b.regions[region]!.botAliasArn })),
        ),
        flows: this.contactFlows(config),
      });
    }

    // ---- outputs (names: infra/stack-outputs.ts, read by the CLI) ----
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
    out(O.connectRegion, config.connectRegion, 'The Amazon Connect region this stack serves');
    out(O.regions, config.regions.join(','), 'Bot regions in priority order (primary first)');
    out(O.lookupFunctionArn, this.lookup.function.functionArn, 'Lambda the Connect flow invokes');
    out(O.dashboardUrl, this.dashboard.dashboardUrl, 'CloudWatch dashboard');
    out(O.alarmTopicArn, this.alarmTopic.topicArn, 'SNS topic of the alarms');
  }

  /** The shipped contact flows rendered with this deployment's values; none without `agentQueueArn`. */
  private contactFlows(config: LexdrConfig): ConnectFlow[] {
    if (!config.agentQueueArn) {
      Annotations.of(this).addWarningV2(
        'lexdr:NoAgentQueue',
        'connectInstanceArn is set but agentQueueArn is not: the lookup and bots are associated with the instance, the contact flows are not created.',
      );
      return [];
    }
    const values = {
      lookupFunctionArn: this.lookup.function.functionArn,
      agentQueueArn: config.agentQueueArn,
      ...(config.apologyText !== undefined && { apologyText: config.apologyText }),
    };
    const flows: [string, string, string, Record<string, string>][] = [
      [
        LEXDR_FLOW_FILE,
        'lexdr',
        'Asks lexdr for the healthy Lex region, then talks to the bot there; agent when none is',
        lexdrFlowTokens(this.settings, values),
      ],
      [
        LEGACY_FLOWER_DR_FLOW_FILE,
        'lexdr Flower DR Flow (legacy)',
        'The 2020 design: branches on the lookup to a fixed alias per region',
        legacyFlowTokens(this.settings, values),
      ],
    ];
    return flows.map(([file, name, description, tokens]) => ({
      name,
      description,
      content: renderFlow(loadFlowTemplate(file), tokens),
    }));
  }
}
