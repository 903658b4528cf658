import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC } from '../../core/cycle-metrics';

/** One bot in one region, as the Lex V2 runtime metrics name it. */
export interface DashboardBot {
  /** Bot name (the health-check metrics' `Bot` dimension). */
  readonly bot: string;
  /** Region the bot runs in. */
  readonly region: string;
  /** Lex V2 bot ID. */
  readonly botId: string;
  /** Lex V2 bot alias ID. */
  readonly botAliasId: string;
  /** Lex V2 locale. */
  readonly localeId: string;
}

/** Properties of {@link DrDashboard}. */
export interface DrDashboardProps {
  /** Namespace of the health-check metrics. */
  readonly metricNamespace: string;
  /** The Connect region (the `ConnectRegion` dimension). */
  readonly connectRegion: string;
  /** Bot regions in priority order. */
  readonly regions: readonly string[];
  /** Every bot in every region. */
  readonly bots: readonly DashboardBot[];
  /** The health-check workflow. */
  readonly stateMachine: sfn.IStateMachine;
  /** The Connect lookup function. */
  readonly lookupFunction: lambda.IFunction;
  /**
   * Dashboard name.
   * @default 'lexdr-<connectRegion>'
   */
  readonly dashboardName?: string;
}

/** Lex V2 runtime operations shown per bot: the probes' calls and Connect's streaming call. */
const LEX_OPERATIONS = ['RecognizeText', 'PutSession', 'StartConversation'] as const;
const LEX_METRICS = [
  ['RuntimeRequestCount', 'Sum'],
  ['RuntimeSystemErrors', 'Sum'],
  ['RuntimeThrottledEvents', 'Sum'],
  ['RuntimeRequestLatency', 'p99'],
] as const;

/** The operations dashboard: active region, probes, region changes, workflow, lookup and each region's Lex. */
export class DrDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** Console address of the dashboard. */
  public readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: DrDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    const ns = props.metricNamespace;
    const dims = { ConnectRegion: props.connectRegion };
    const m = (metricName: string, statistic: string, dimensionsMap: Record<string, string>, label?: string) =>
      new cloudwatch.Metric({ namespace: ns, metricName, statistic, dimensionsMap, period, ...(label && { label }) });
    const name = props.dashboardName ?? `lexdr-${props.connectRegion}`;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: name,
      defaultInterval: Duration.hours(3),
    });

    const regionLegend = props.regions.map((r, i) => `${i} = ${r}`).join(', ');
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# lexdr — Connect ${props.connectRegion}\nActive region index: ${regionLegend}, -1 = no healthy region. Regions in priority order: ${props.regions.join(' → ')}.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Active region (index; -1 = none healthy)',
        left: [
          m(METRIC.ActiveRegionIndex, 'Maximum', dims, 'active region (max)'),
          m(METRIC.ActiveRegionIndex, 'Minimum', dims, 'active region (min)'),
        ],
        leftYAxis: { min: -1, max: Math.max(1, props.regions.length - 1) },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Region changes and no-healthy-region',
        left: [
          m(METRIC.RegionChanges, 'Sum', dims, 'region changes'),
          m(METRIC.NoHealthyRegion, 'Maximum', dims, 'no healthy region'),
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Probes that could not run (lexdr blind: callers are held where they are)',
        left: [...new Set(props.bots.map((b) => b.region))].map((region) =>
          m(METRIC.ProbeErrors, 'Sum', { ...dims, Region: region }, region),
        ),
        leftYAxis: { min: 0 },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Callers' reports of bot failures, and the checks they started",
        left: props.bots.map((b) =>
          m(METRIC.CallerReportedFailures, 'Sum', { ...dims, Bot: b.bot, Region: b.region }, `${b.bot} ${b.region}`),
        ),
        right: props.regions.map((region) =>
          m(METRIC.CallerReportChecks, 'Sum', { ...dims, Region: region }, `checks ${region}`),
        ),
        leftYAxis: { min: 0 },
        rightYAxis: { min: 0 },
        width: 12,
      }),
    );
    const probeDims = props.bots.map((b) => ({ ...dims, Bot: b.bot, Region: b.region }));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Probe success (share of probes passed) per bot and region',
        left: probeDims.map((d) => m(METRIC.ProbeSuccess, 'Average', d, `${d.Bot} ${d.Region}`)),
        leftYAxis: { min: 0, max: 1 },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Probe latency p90 (ms) per region, every bot',
        left: [...new Set(props.bots.map((b) => b.region))].map((region) =>
          m(METRIC.ProbeLatency, 'p90', { ...dims, Region: region }, region),
        ),
        width: 12,
      }),
    );
    const sm = props.stateMachine;
    const fn = props.lookupFunction;
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Health-check workflow executions',
        left: [
          sm.metricStarted({ period, label: 'started' }),
          sm.metricSucceeded({ period, label: 'succeeded' }),
          sm.metricFailed({ period, label: 'failed' }),
          sm.metricTimedOut({ period, label: 'timed out' }),
          sm.metricThrottled({ period, label: 'throttled' }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Connect lookup: invocations and errors',
        left: [fn.metricInvocations({ period, label: 'invocations' }), fn.metricErrors({ period, label: 'errors' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Connect lookup: duration p99 (ms)',
        left: [fn.metricDuration({ period, statistic: 'p99', label: 'p99' })],
        width: 8,
      }),
    );
    for (const region of props.regions) {
      const inRegion = props.bots.filter((b) => b.region === region);
      const widgets = LEX_METRICS.map(
        ([metricName, statistic]) =>
          new cloudwatch.GraphWidget({
            title: `Lex V2 ${region}: ${metricName} (${statistic})`,
            region,
            left: inRegion.flatMap((b) =>
              LEX_OPERATIONS.map(
                (op) =>
                  new cloudwatch.Metric({
                    namespace: 'AWS/Lex',
                    metricName,
                    statistic,
                    period,
                    region,
                    label: `${b.bot} ${op}`,
                    dimensionsMap: {
                      BotId: b.botId,
                      BotAliasId: b.botAliasId,
                      LocaleId: b.localeId,
                      Operation: op,
                      ...(op === 'StartConversation' && { InputMode: 'Speech' }),
                    },
                  }),
              ),
            ),
            width: 6,
          }),
      );
      this.dashboard.addWidgets(...widgets);
    }
    const here = Stack.of(this).region;
    this.dashboardUrl = `https://${here}.console.aws.amazon.com/cloudwatch/home?region=${here}#dashboards:name=${name}`;
  }
}
