import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC } from '../../core/cycle-metrics';

/** Properties of {@link DrAlarms}. */
export interface DrAlarmsProps {
  /** Where every alarm (and its return to OK) is sent. */
  readonly topic: sns.ITopic;
  /** Namespace of the health-check metrics. */
  readonly metricNamespace: string;
  /** The Connect region (the `ConnectRegion` dimension). */
  readonly connectRegion: string;
  /** Bot regions in priority order. */
  readonly regions: readonly string[];
  /** Bot names (the `Bot` dimension). */
  readonly bots: readonly string[];
  /** The health-check workflow. */
  readonly stateMachine: sfn.IStateMachine;
  /** The Connect lookup function. */
  readonly lookupFunction: lambda.IFunction;
  /**
   * Consecutive minutes with at least one failed probe before a bot/region alarm fires.
   * @default 3
   */
  readonly probeFailingMinutes?: number;
  /**
   * Whether the "health check not running" alarm notifies. Turn off while the schedule is disabled.
   * @default true
   */
  readonly heartbeatActionsEnabled?: boolean;
  /**
   * p99 duration of the lookup above which the latency alarm fires.
   * @default Duration.seconds(2)
   */
  readonly lookupLatencyThreshold?: Duration;
}

/** The alarms an on-call team needs for lexdr, each notifying the topic on ALARM and OK. */
export class DrAlarms extends Construct {
  public readonly noHealthyRegion: cloudwatch.Alarm;
  public readonly notOnPrimary: cloudwatch.Alarm;
  public readonly healthCheckNotRunning: cloudwatch.Alarm;
  public readonly healthCheckBlind: cloudwatch.Alarm;
  public readonly probeFailing: cloudwatch.Alarm[] = [];
  public readonly workflow: cloudwatch.Alarm[] = [];
  public readonly lookupErrors: cloudwatch.Alarm;
  public readonly lookupLatency: cloudwatch.Alarm;
  /**
   * An alarm on a metric nothing publishes, so it stays OK on its own: `lexdr verify` sets it to ALARM
   * (SetAlarmState) to prove that CloudWatch can notify the topic, and it returns to OK at its next evaluation.
   */
  public readonly notificationTest: cloudwatch.Alarm;
  public readonly all: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DrAlarmsProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const action = new actions.SnsAction(props.topic);
    const dims = { ConnectRegion: props.connectRegion };
    const metric = (metricName: string, statistic: string, dimensionsMap: Record<string, string> = dims) =>
      new cloudwatch.Metric({ namespace: props.metricNamespace, metricName, statistic, dimensionsMap, period: minute });
    /** An alarm notifying the topic on ALARM and OK; unless `p` says otherwise: ≥ 1 in one period, missing data OK. */
    const alarm = (alarmId: string, p: AlarmOptions): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...p,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.all.push(a);
      return a;
    };

    this.noHealthyRegion = alarm('NoHealthyRegion', {
      alarmDescription: `lexdr: no region has every bot healthy; the lookup answers "err" and calls take the apology path (Connect ${props.connectRegion}).`,
      metric: metric(METRIC.NoHealthyRegion, 'Maximum'),
    });
    this.notOnPrimary = alarm('NotOnPrimary', {
      alarmDescription: `lexdr: calls are served from a non-primary region (${props.regions.slice(1).join(', ')}); the primary ${props.regions[0]} failed its probes.`,
      metric: metric(METRIC.ActiveRegionIndex, 'Maximum'),
    });
    const periods = props.probeFailingMinutes ?? 3;
    for (const bot of props.bots) {
      for (const region of props.regions) {
        this.probeFailing.push(
          alarm(`ProbeFailing-${bot}-${region}`, {
            alarmDescription: `lexdr: probes of ${bot} in ${region} failed in each of the last ${periods} minutes.`,
            metric: metric(METRIC.ProbeSuccess, 'Average', { ...dims, Bot: bot, Region: region }),
            comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluationPeriods: periods,
            datapointsToAlarm: periods,
          }),
        );
      }
    }
    const workflowMetrics: [string, cloudwatch.Metric][] = [
      ['ExecutionsFailed', props.stateMachine.metricFailed({ period: minute, statistic: 'Sum' })],
      ['ExecutionsTimedOut', props.stateMachine.metricTimedOut({ period: minute, statistic: 'Sum' })],
      ['ExecutionThrottled', props.stateMachine.metricThrottled({ period: minute, statistic: 'Sum' })],
    ];
    for (const [name, m] of workflowMetrics) {
      this.workflow.push(
        alarm(`Workflow${name}`, {
          alarmDescription: `lexdr: the health-check workflow reported ${name}; see its execution log.`,
          metric: m,
        }),
      );
    }
    this.healthCheckNotRunning = alarm('HealthCheckNotRunning', {
      alarmDescription:
        'lexdr: no health-check result for 3 minutes (schedule disabled, workflow failing before publishing, or metrics not delivered). The DR table is not being maintained.',
      metric: metric(METRIC.ActiveRegionIndex, 'SampleCount'),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      actionsEnabled: props.heartbeatActionsEnabled ?? true,
    });
    // lexdr's own probe function failing (throttled by a call surge, erroring, timing out): the check holds callers
    // where they are instead of failing over, and says so here.
    const blindMetrics = Object.fromEntries(
      props.regions.map((region, i) => [`r${i}`, metric(METRIC.ProbeErrors, 'Sum', { ...dims, Region: region })]),
    );
    this.healthCheckBlind = alarm('HealthCheckBlind', {
      alarmDescription:
        'lexdr: probes could not run (the probe function is throttled, failing or timing out) in each of the last 2 minutes. The health check holds callers on the active region and cannot fail over until probes run again.',
      metric: new cloudwatch.MathExpression({
        expression: `SUM([${Object.keys(blindMetrics).join(', ')}])`,
        usingMetrics: blindMetrics,
        label: 'probes that could not run',
        period: minute,
      }),
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
    });
    this.lookupErrors = alarm('LookupErrors', {
      alarmDescription:
        'lexdr: the Connect lookup function failed; Connect takes the flow error branch for those calls.',
      metric: props.lookupFunction.metricErrors({ period: minute, statistic: 'Sum' }),
    });
    const latency = props.lookupLatencyThreshold ?? Duration.seconds(2);
    this.lookupLatency = alarm('LookupLatency', {
      alarmDescription: `lexdr: the Connect lookup's p99 duration is above ${latency.toMilliseconds()} ms (Connect gives up after the flow's time limit).`,
      metric: props.lookupFunction.metricDuration({ period: Duration.minutes(5), statistic: 'p99' }),
      threshold: latency.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.notificationTest = alarm('NotificationTest', {
      alarmDescription:
        'lexdr: a test of the alarm path (CloudWatch → SNS → e-mail), set by `lexdr verify` (which sets it back to OK); nothing is wrong.',
      metric: metric(METRIC_NOTIFICATION_TEST, 'Maximum'),
    });
  }
}

/** An alarm's properties, with a threshold of 1 and one evaluation period unless given. */
type AlarmOptions = Omit<cloudwatch.AlarmProps, 'threshold' | 'evaluationPeriods'> &
  Partial<Pick<cloudwatch.AlarmProps, 'threshold' | 'evaluationPeriods'>>;

/** The metric of the notification-test alarm: lexdr never publishes it. */
const METRIC_NOTIFICATION_TEST = 'NotificationTest';
