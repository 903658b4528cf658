import { readFileSync } from 'node:fs';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { aslSubstitutions } from '../asl-substitutions';
import type { DrTables } from './dr-tables';

/** `${Name}` placeholders of an ASL document, each once, in order of first appearance. */
export function aslTokens(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))];
}

/** Throws unless every `${Token}` of the definition has a substitution and every substitution is used. */
export function checkSubstitutions(definition: string, substitutions: Record<string, string>, source: string): void {
  const tokens = aslTokens(definition);
  const missing = tokens.filter((t) => !(t in substitutions));
  const unused = Object.keys(substitutions).filter((k) => !tokens.includes(k));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(
      `${source}: ` +
        [
          missing.length > 0 ? `no substitution for ${missing.map((t) => '${' + t + '}').join(', ')}` : '',
          unused.length > 0 ? `substitutions not in the definition: ${unused.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ') +
        ` (the definition uses: ${tokens.join(', ') || 'none'})`,
    );
  }
}

/** Properties of {@link HealthCheckWorkflow}. */
export interface HealthCheckWorkflowProps {
  /** Path of the ASL file (JSONPath, `${Token}` placeholders). */
  readonly definitionFile: string;
  /** Plans each cycle and decides the active region (`${HealthCheckFunctionArn}`). */
  readonly healthCheckFunction: lambda.IFunction;
  /** Probes one bot in one region (`${ProbeFunctionArn}`). */
  readonly probeFunction: lambda.IFunction;
  /**
   * The DR table the workflow reads and updates (`${TableName}`) and the history table it appends region changes to
   * (`${HistoryTableName}`); they grant the workflow role its access.
   */
  readonly tables: DrTables;
  /** CloudWatch namespace the workflow publishes to (`${MetricNamespace}`); the only one it may write. */
  readonly metricNamespace: string;
  /** Whether the 1-minute schedule starts executions. */
  readonly scheduleEnabled: boolean;
  /**
   * Include each state's input and output in the execution logs (level ALL either way).
   * @default false — about 3× the log volume (priced by `npm run cost`); turn on while investigating
   */
  readonly logExecutionData?: boolean;
  /**
   * How long execution logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The health-check state machine (Express, all events logged with execution data, X-Ray tracing) loaded from the
 * ASL file with every placeholder substituted, its least-privilege role, and the EventBridge Scheduler schedule
 * that starts one execution a minute.
 */
export class HealthCheckWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: scheduler.Schedule;
  public readonly scheduleRole: iam.Role;

  constructor(scope: Construct, id: string, props: HealthCheckWorkflowProps) {
    super(scope, id);
    const definition = readFileSync(props.definitionFile, 'utf8');
    const substitutions = aslSubstitutions({
      healthCheckFunctionArn: props.healthCheckFunction.functionArn,
      probeFunctionArn: props.probeFunction.functionArn,
      tableName: props.tables.table.tableName,
      historyTableName: props.tables.historyTable.tableName,
      metricNamespace: props.metricNamespace,
    });
    checkSubstitutions(definition, substitutions, props.definitionFile);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'lexdr health-check workflow',
    });
    const fns = [props.healthCheckFunction, props.probeFunction];
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeHealthCheckFunctions',
        actions: ['lambda:InvokeFunction'],
        resources: fns.flatMap((f) => [f.functionArn, `${f.functionArn}:*`]),
      }),
    );
    props.tables.grantDecisionWrites(this.role);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishHealthMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': props.metricNamespace } },
      }),
    );

    const policy = this.role.node.findChild('DefaultPolicy');
    for (const f of fns) {
      const cfn = f.node.defaultChild;
      if (!(cfn instanceof CfnElement)) continue;
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(f).getLogicalId(cfn)}.Arn>:*]`,
        reason: `Step Functions may invoke a qualified ARN (version or alias) of ${f.node.path}; scoped to that one function.`,
      });
    }
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `cloudwatch:PutMetricData has no resource type; the statement is limited to namespace "${props.metricNamespace}" by the cloudwatch:namespace condition. X-Ray and log-delivery actions (added by CDK for tracing and logging) do not support resource-level permissions.`,
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/lexdr-health-check-${Stack.of(this).stackName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'lexdr health check: probes every bot in every region and keeps the DR table on a healthy region.',
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: substitutions,
      stateMachineType: sfn.StateMachineType.EXPRESS,
      role: this.role,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        includeExecutionData: props.logExecutionData ?? false,
      },
    });

    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: starts the lexdr health check',
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Starts the lexdr health check once a minute (the execution loops through the cycles).',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        role: this.scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({}),
        retryAttempts: 0,
      }),
      enabled: props.scheduleEnabled,
    });
  }
}
