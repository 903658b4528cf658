import { join } from 'node:path';
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { Settings } from '../../core/settings';
import { FUNCTION_ENV } from '../../core/contract';
import type { LexdrConfig } from '../config';
import { probeConcurrency } from '../config';
import { IAM_ROLE_POLICY_LIMIT_CHARS } from '../../core/aws-limits';
import { PROBE_POLICY_ARN_BUDGET_CHARS } from '../limits';
import type { BotIdResolver } from '../settings';
import { buildSettings } from '../settings';
import { DrAlarms } from '../constructs/dr-alarms';
import { DrDashboard } from '../constructs/dr-dashboard';
import { DrTables } from '../constructs/dr-tables';
import { HealthCheckWorkflow } from '../constructs/health-check-workflow';
import { LexdrFunction } from '../constructs/lexdr-function';
import { HEALTH_CHECK_OUTPUTS } from '../../core/contract';
import {
  HEALTH_CHECK_FUNCTION,
  LOOKUP_BUNDLING,
  LOOKUP_FUNCTION,
  PROBE_BUNDLING,
  PROBE_FUNCTION,
  REPORT_FUNCTION,
} from './sizing';

const ROOT = join(__dirname, '..', '..');

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

/** Size-check stand-ins: the longest values the settings' tokens can resolve to. */
const SIZING_IDS = { botId: 'X'.repeat(10), botAliasId: 'X'.repeat(10) };

/**
 * lexdr in the Amazon Connect region: the DR tables, the probe / health-check / lookup functions, the health-check
 * workflow and its schedule, alarms and dashboard. The Amazon Connect wiring is a stack of its own ({@link ConnectStack}).
 */
export class HealthCheckStack extends Stack {
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
    const connectRegion = props.connectRegion ?? config.connectRegion;
    const resolve: BotIdResolver =
      props.resolveBotIds ??
      ((bot) => {
        throw new Error(`bot "${bot.name}" has source "code" but no bot stack resolves its IDs`);
      });
    this.settings = buildSettings(config, resolve, this.account, this.partition, connectRegion);
    const sizing = buildSettings(config, () => SIZING_IDS, '123456789012', 'aws-iso-b', connectRegion);

    // ---- tables ----
    this.tables = new DrTables(this, 'Tables', {
      tableName: config.tableName,
      historyTableName: config.historyTableName,
      deletionProtection: config.tableDeletionProtection,
      connectRegion,
      primaryRegion: config.regions[0]!,
      settingsJson: this.toJsonString(this.settings),
    });
    const { table, historyTable } = this.tables;
    // The functions' environment says where the settings are, not what they are (core/settings.ts).
    const settingsEnv = { [FUNCTION_ENV.table]: table.tableName, [FUNCTION_ENV.connectRegion]: connectRegion };
    const settingsEnvHint = { [FUNCTION_ENV.table]: config.tableName, [FUNCTION_ENV.connectRegion]: connectRegion };

    // ---- functions ----
    const handler = (file: string) => join(ROOT, 'handlers', file);
    this.probe = new LexdrFunction(this, 'Probe', {
      entry: handler('probe.ts'),
      description: 'lexdr: probes one Lex bot in one region',
      memorySize: PROBE_FUNCTION.memoryMb,
      timeout: Duration.seconds(PROBE_FUNCTION.timeoutSeconds),
      serviceName: 'lexdr-probe',
      bundling: PROBE_BUNDLING,
      // A surge of calls that takes the account's concurrency must not throttle the health check into blindness.
      reservedConcurrentExecutions: probeConcurrency(config),
    });
    if (!config.reserveProbeConcurrency) {
      Annotations.of(this.probe).addWarningV2(
        'lexdr:ProbeConcurrencyShared',
        "reserveProbeConcurrency is false: the probes share the account's Lambda concurrency, so a surge of calls that uses it up can leave the health check blind (it then holds callers where they are). Raise the account's quota and turn it back on.",
      );
    }
    this.probeLexV2Policy(config, sizing);
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
      environmentSizeHint: settingsEnvHint,
      serviceName: 'lexdr-health-check',
    });
    this.tables.grantReadItems(this.healthCheck.role, { settings: true, sid: 'ReadSettingsItem' });

    this.lookup = new LexdrFunction(this, 'Lookup', {
      entry: handler('lookup.ts'),
      description: 'lexdr: answers Amazon Connect with the Lex region to use now',
      memorySize: LOOKUP_FUNCTION.memoryMb,
      timeout: Duration.seconds(LOOKUP_FUNCTION.timeoutSeconds),
      environment: { ...settingsEnv, [FUNCTION_ENV.regions]: config.regions.join(',') },
      environmentSizeHint: { ...settingsEnvHint, [FUNCTION_ENV.regions]: config.regions.join(',') },
      serviceName: 'lexdr-lookup',
      bundling: LOOKUP_BUNDLING,
    });
    // Each lookup reads its own Connect region's items only.
    this.tables.grantReadItems(this.lookup.role, { lexDR: true, settings: true, sid: 'ReadDrItem' });
    // The settings item exists before a function that reads it changes.
    for (const f of [this.healthCheck, this.lookup]) f.function.node.addDependency(this.tables.settingsWriter!);

    // ---- workflow ----
    this.workflow = new HealthCheckWorkflow(this, 'Workflow', {
      definitionFile: props.definitionFile ?? join(ROOT, 'statemachine', 'health-check.asl.json'),
      healthCheckFunction: this.healthCheck.function,
      probeFunction: this.probe.function,
      tables: this.tables,
      metricNamespace: config.metricNamespace,
      scheduleEnabled: config.scheduleEnabled,
      logExecutionData: config.logExecutionData,
    });

    // ---- callers' reports (core/caller-reports.ts) ----
    this.report = new LexdrFunction(this, 'Report', {
      entry: handler('report.ts'),
      description: 'lexdr: records a caller who met a bot failure; a burst starts a health check at once',
      memorySize: REPORT_FUNCTION.memoryMb,
      timeout: Duration.seconds(REPORT_FUNCTION.timeoutSeconds),
      environment: {
        ...settingsEnv,
        [FUNCTION_ENV.stateMachineArn]: this.workflow.stateMachine.stateMachineArn,
        [FUNCTION_ENV.metricNamespace]: config.metricNamespace,
      },
      environmentSizeHint: {
        ...settingsEnvHint,
        [FUNCTION_ENV.stateMachineArn]: `arn:aws-iso-b:states:${connectRegion}:123456789012:stateMachine:${'X'.repeat(80)}`,
        [FUNCTION_ENV.metricNamespace]: config.metricNamespace,
      },
      serviceName: 'lexdr-report',
    });
    // Contact flows invoke it asynchronously: a report still queued after a minute could no longer start a timely
    // check, and one retry is enough (a contact's repeats count once).
    this.report.function.configureAsyncInvoke({
      maxEventAge: Duration.seconds(REPORT_FUNCTION.maxEventAgeSeconds),
      retryAttempts: REPORT_FUNCTION.retryAttempts,
    });
    this.tables.grantReadItems(this.report.role, { lexDR: true, settings: true, sid: 'ReadDrAndSettingsItems' });
    this.tables.grantReportWindows(this.report.role, config.regions);
    this.workflow.stateMachine.grantStartExecution(this.report.role);
    this.report.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishReportMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': config.metricNamespace } },
      }),
    );
    Validations.of(this.report.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `cloudwatch:PutMetricData has no resource type; the statement is limited to namespace "${config.metricNamespace}" by the cloudwatch:namespace condition.`,
    });
    this.report.function.node.addDependency(this.tables.settingsWriter!);

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
      const topic = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'lexdr alarms',
        masterKey: key,
        enforceSSL: true,
      });
      // enforceSSL writes a topic policy, and a topic policy replaces SNS's default one: without this statement
      // nothing allows CloudWatch to publish, and every alarm notification fails silently (alarm history only).
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': this.account },
            ArnLike: { 'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*` },
          },
        }),
      );
      this.alarmTopic = topic;
    }
    if (config.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
    this.alarms = new DrAlarms(this, 'Alarms', {
      topic: this.alarmTopic,
      metricNamespace: config.metricNamespace,
      connectRegion,
      regions: config.regions,
      bots: config.bots.map((b) => b.name),
      stateMachine: this.workflow.stateMachine,
      lookupFunction: this.lookup.function,
      heartbeatActionsEnabled: config.scheduleEnabled,
    });

    // ---- dashboard ----
    this.dashboard = new DrDashboard(this, 'Dashboard', {
      metricNamespace: config.metricNamespace,
      connectRegion,
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
    out(O.connectRegion, config.connectRegion, 'The Amazon Connect region this stack serves');
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

  /**
   * The probe role may call the Lex V2 runtime on each configured bot alias; when the ARNs would not fit the role's
   * policy size (IAM: 10,240 characters), on the bot aliases of each configured region.
   */
  private probeLexV2Policy(config: LexdrConfig, sizing: Settings): void {
    const actions = [
      'lex:PutSession',
      'lex:GetSession',
      'lex:DeleteSession',
      'lex:RecognizeText',
      // The `stream` probe: the callers' API.
      ...(config.probe.method === 'stream' ? ['lex:StartConversation'] : []),
      // The `speech` probe (a configured method, or the confirmation of callers' reports).
      ...(config.probe.method === 'speech' || config.callerReports.confirmWith === 'speech'
        ? ['lex:RecognizeUtterance']
        : []),
    ];
    const sizedArns = sizing.bots.flatMap((b) => config.regions.map((r) => b.regions[r]!.botAliasArn));
    const chars = sizedArns.reduce((n, a) => n + a.length + 3, 0);
    if (chars <= PROBE_POLICY_ARN_BUDGET_CHARS) {
      const aliasArns = this.settings.bots.flatMap((b) => config.regions.map((r) => b.regions[r]!.botAliasArn));
      this.probe.role.addToPolicy(new iam.PolicyStatement({ sid: 'ProbeLexV2Aliases', actions, resources: aliasArns }));
      return;
    }
    const perRegion = config.regions.map((r) => `arn:${this.partition}:lex:${r}:${this.account}:bot-alias/*`);
    this.probe.role.addToPolicy(new iam.PolicyStatement({ sid: 'ProbeLexV2Aliases', actions, resources: perRegion }));
    const policy = this.probe.role.node.findChild('DefaultPolicy');
    const account = Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account;
    const partition = Token.isUnresolved(this.partition) ? '<AWS::Partition>' : this.partition;
    for (const r of config.regions) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:lex:${r}:${account}:bot-alias/*]`,
        reason: `${sizedArns.length} bot alias ARNs (${chars} characters) would not fit the role's ${IAM_ROLE_POLICY_LIMIT_CHARS}-character policy limit; the probe may use the Lex V2 runtime on bot aliases of ${r}, one of the configured regions, only.`,
      });
    }
  }
}
