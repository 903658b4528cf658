import { GameDays } from './game-days';
import { join } from 'node:path';
import { Annotations, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FUNCTION_ENV } from '../../core/contract';
import type { Settings } from '../../core/settings';
import type { LexdrConfig } from '../config';
import { probeConcurrency } from '../config';
import type { BotIdResolver } from '../settings';
import { buildSettings } from '../settings';
import { HEALTH_CHECK_FUNCTION, LOOKUP_FUNCTION, PROBE_FUNCTION, REPORT_FUNCTION } from '../stacks/sizing';
import { DrAlarms } from './dr-alarms';
import { DrDashboard } from './dr-dashboard';
import { DrTables } from './dr-tables';
import { HealthCheckWorkflow } from './health-check-workflow';
import { createAlarmTopic } from './lex-dr-alarm-topic';
import { grantProbeLex } from './lex-dr-probe-policy';
import { LexdrFunction } from './lexdr-function';

/** The health-check ASL shipped with lexdr (`statemachine/`, or the package's `dist/statemachine/`). */
export const HEALTH_CHECK_ASL_FILE = join(__dirname, '..', '..', 'statemachine', 'health-check.asl.json');

/** Properties of {@link LexDrFromConfig}. */
export interface LexDrFromConfigProps {
  /** A config validated by `parseConfig` (lexdr's own app: the `lexdr` context of cdk.json). */
  readonly config: LexdrConfig;
  /**
   * The Connect region this construct serves (one of `config.connectRegions`): its `lexDR` item, lookup, alarms and
   * dashboard, probing from here. Deploy it in a stack of that region.
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
   * @default HEALTH_CHECK_ASL_FILE (statemachine/health-check.asl.json)
   */
  readonly definitionFile?: string;
  /**
   * The topic the alarms notify, instead of `config.alarmTopicArn` or a new one.
   * @default - the topic of `config.alarmTopicArn`, else a new encrypted topic
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Customer managed KMS key of the DR table and its history table.
   * @default - the AWS managed key (`aws/dynamodb`)
   */
  readonly tableEncryptionKey?: kms.IKey;
}

/** Size-check stand-ins: the longest values the settings' tokens can resolve to. */
const SIZING_IDS = { botId: 'X'.repeat(10), botAliasId: 'X'.repeat(10) };

/**
 * lexdr in one Amazon Connect region, from a validated config: the DR tables (with the settings item), the probe /
 * health-check / lookup / report functions, the health-check workflow and its schedule, the alarms with their topic,
 * and the dashboard. This is what {@link LexDr} builds from typed props and what lexdr's own app builds from cdk.json
 * (`HealthCheckStack`); the Amazon Connect wiring is {@link LexDrConnect}.
 *
 * Construct IDs below name deployed resources (a changed one replaces the resource, the DR tables included): keep
 * them.
 */
export class LexDrFromConfig extends Construct {
  /** The validated config this was built from. */
  public readonly config: LexdrConfig;
  /** The Connect region served. */
  public readonly connectRegion: string;
  /** The handlers' settings for this Connect region (the settings item of the DR table). */
  public readonly settings: Settings;

  /** The DR table: one `lexDR` item per Connect region (`connectRegion` → `lexRegion`), and the settings item. */
  public readonly table: dynamodb.Table;
  /** Every region change, by Connect region (`connectRegion` + `changeId`). */
  public readonly historyTable: dynamodb.Table;
  /** The lookup Amazon Connect invokes on each contact: which Lex region to use now. */
  public readonly lookupFunction: lambda.Function;
  /** The function callers' bot failures are reported to (asynchronously); a burst starts a health check at once. */
  public readonly reportFunction: lambda.Function;
  /** The function the workflow probes one bot in one region with. */
  public readonly probeFunction: lambda.Function;
  /** The health-check state machine (Express; a schedule starts one execution a minute, which loops the cycles). */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic every alarm notifies (on ALARM and on OK). */
  public readonly alarmTopic: sns.ITopic;
  /** The alarms an on-call team needs (`alarms.all`: every one of them). */
  public readonly alarms: DrAlarms;
  /** The CloudWatch dashboard of this Connect region (`dashboard.dashboard`, `dashboard.dashboardUrl`). */
  public readonly dashboard: DrDashboard;
  /** The game days' FIS experiment templates, with `gameDays`. */
  public readonly gameDays?: GameDays;

  /** The DR tables' construct: the tables, the seed of the `lexDR` item and the settings writer. */
  public readonly tables: DrTables;
  /** The probe function with its role and log group. */
  public readonly probe: LexdrFunction;
  /** The function that plans each cycle and decides the active region, with its role and log group. */
  public readonly healthCheck: LexdrFunction;
  /** The lookup with its role and log group. */
  public readonly lookup: LexdrFunction;
  /** The report function with its role and log group. */
  public readonly report: LexdrFunction;
  /** The state machine with its role, log group and schedule. */
  public readonly workflow: HealthCheckWorkflow;

  constructor(scope: Construct, id: string, props: LexDrFromConfigProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    this.config = config;
    const connectRegion = props.connectRegion ?? config.connectRegion;
    this.connectRegion = connectRegion;
    const resolve: BotIdResolver =
      props.resolveBotIds ??
      ((bot) => {
        throw new Error(`bot "${bot.name}" has source "code" but no bot stack resolves its IDs`);
      });
    this.settings = buildSettings(config, resolve, stack.account, stack.partition, connectRegion);
    const sizing = buildSettings(config, () => SIZING_IDS, '123456789012', 'aws-iso-b', connectRegion);

    // ---- tables ----
    this.tables = new DrTables(this, 'Tables', {
      tableName: config.tableName,
      historyTableName: config.historyTableName,
      deletionProtection: config.tableDeletionProtection,
      connectRegion,
      primaryRegion: config.regions[0]!,
      settingsJson: stack.toJsonString(this.settings),
      ...(props.tableEncryptionKey ? { encryptionKey: props.tableEncryptionKey } : {}),
    });
    const { table } = this.tables;
    // The functions' environment says where the settings are, not what they are (core/settings.ts).
    const settingsEnv = { [FUNCTION_ENV.table]: table.tableName, [FUNCTION_ENV.connectRegion]: connectRegion };
    const settingsEnvHint = { [FUNCTION_ENV.table]: config.tableName, [FUNCTION_ENV.connectRegion]: connectRegion };

    // ---- functions ----
    this.probe = new LexdrFunction(this, 'Probe', {
      handler: 'probe',
      description: 'lexdr: probes one Lex bot in one region',
      memorySize: PROBE_FUNCTION.memoryMb,
      timeout: Duration.seconds(PROBE_FUNCTION.timeoutSeconds),
      serviceName: 'lexdr-probe',
      // A surge of calls that takes the account's concurrency must not throttle the health check into blindness.
      reservedConcurrentExecutions: probeConcurrency(config),
    });
    if (!config.reserveProbeConcurrency) {
      Annotations.of(this.probe).addWarningV2(
        'lexdr:ProbeConcurrencyShared',
        "reserveProbeConcurrency is false: the probes share the account's Lambda concurrency, so a surge of calls that uses it up can leave the health check blind (it then holds callers where they are). Raise the account's quota and turn it back on.",
      );
    }
    grantProbeLex(this.probe, config, this.settings, sizing);

    this.healthCheck = new LexdrFunction(this, 'HealthCheck', {
      handler: 'health-check',
      description: 'lexdr: plans health-check cycles and decides the active region',
      memorySize: HEALTH_CHECK_FUNCTION.memoryMb,
      timeout: Duration.seconds(HEALTH_CHECK_FUNCTION.timeoutSeconds),
      environment: settingsEnv,
      environmentSizeHint: settingsEnvHint,
      serviceName: 'lexdr-health-check',
    });
    this.tables.grantReadItems(this.healthCheck.role, { settings: true, sid: 'ReadSettingsItem' });

    this.lookup = new LexdrFunction(this, 'Lookup', {
      handler: 'lookup',
      description: 'lexdr: answers Amazon Connect with the Lex region to use now',
      memorySize: LOOKUP_FUNCTION.memoryMb,
      timeout: Duration.seconds(LOOKUP_FUNCTION.timeoutSeconds),
      environment: { ...settingsEnv, [FUNCTION_ENV.regions]: config.regions.join(',') },
      environmentSizeHint: { ...settingsEnvHint, [FUNCTION_ENV.regions]: config.regions.join(',') },
      serviceName: 'lexdr-lookup',
    });
    // Each lookup reads its own Connect region's items only.
    this.tables.grantReadItems(this.lookup.role, { lexDR: true, settings: true, sid: 'ReadDrItem' });
    // The settings item exists before a function that reads it changes.
    for (const f of [this.healthCheck, this.lookup]) f.function.node.addDependency(this.tables.settingsWriter!);

    // ---- workflow ----
    this.workflow = new HealthCheckWorkflow(this, 'Workflow', {
      definitionFile: props.definitionFile ?? HEALTH_CHECK_ASL_FILE,
      healthCheckFunction: this.healthCheck.function,
      probeFunction: this.probe.function,
      tables: this.tables,
      metricNamespace: config.metricNamespace,
      scheduleEnabled: config.scheduleEnabled,
      logExecutionData: config.logExecutionData,
    });

    // ---- callers' reports (core/caller-reports.ts) ----
    this.report = this.createReport(config, connectRegion, settingsEnv, settingsEnvHint);
    this.table = this.tables.table;
    this.historyTable = this.tables.historyTable;
    this.probeFunction = this.probe.function;
    this.lookupFunction = this.lookup.function;
    this.reportFunction = this.report.function;
    this.stateMachine = this.workflow.stateMachine;

    // ---- alarms ----
    this.alarmTopic =
      props.alarmTopic ??
      (config.alarmTopicArn
        ? sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn)
        : createAlarmTopic(this));
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

    // ---- game days (FIS experiment templates; they stop on the alarms above) ----
    if (config.gameDays)
      this.gameDays = new GameDays(this, 'GameDays', {
        probeFunction: this.probe.function,
        lookupFunction: this.lookup.function,
        alarms: this.alarms,
        connectRegion,
      });
  }

  /**
   * Lets `grantee` read this Connect region's `lexDR` item — GetItem on that one key (a `dynamodb:LeadingKeys`
   * condition), nothing else of the table — e.g. a function of yours that wants the active Lex region.
   */
  grantReadDrItem(grantee: iam.IGrantable): void {
    this.tables.grantReadItems(grantee, { lexDR: true });
  }

  /** Lets `grantee` report callers' bot failures: invoke the report function (asynchronously, as the flow does). */
  grantReport(grantee: iam.IGrantable): iam.Grant {
    return this.report.function.grantInvoke(grantee);
  }

  /** Lets `grantee` start a health check (a drill among them): StartExecution on the state machine. */
  grantStartHealthCheck(grantee: iam.IGrantable): iam.Grant {
    return this.workflow.stateMachine.grantStartExecution(grantee);
  }

  private createReport(
    config: LexdrConfig,
    connectRegion: string,
    settingsEnv: Record<string, string>,
    settingsEnvHint: Record<string, string>,
  ): LexdrFunction {
    const report = new LexdrFunction(this, 'Report', {
      handler: 'report',
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
    report.function.configureAsyncInvoke({
      maxEventAge: Duration.seconds(REPORT_FUNCTION.maxEventAgeSeconds),
      retryAttempts: REPORT_FUNCTION.retryAttempts,
    });
    this.tables.grantReadItems(report.role, { lexDR: true, settings: true, sid: 'ReadDrAndSettingsItems' });
    this.tables.grantReportWindows(report.role, config.regions);
    this.workflow.stateMachine.grantStartExecution(report.role);
    report.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishReportMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': config.metricNamespace } },
      }),
    );
    Validations.of(report.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `cloudwatch:PutMetricData has no resource type; the statement is limited to namespace "${config.metricNamespace}" by the cloudwatch:namespace condition.`,
    });
    report.function.node.addDependency(this.tables.settingsWriter!);
    return report;
  }
}
