/**
 * What lexdr costs a month at public list prices (us-east-1), next to the 2020 design it replaces, and how fast
 * each notices a failed region. Pure: `estimateMonthlyCost(config, usage)` → lines; `formatCostReport` → text.
 * Run `npx tsx infra/cost.ts [path/to/cdk.json]` to print the report for a config.
 */
import { worstDetectionSeconds } from '../core/cycle-plan';
import { formatCostReport } from './cost-format';
import type { LexdrConfig } from './config';
import { cyclesPerExecution, readConfigFile } from './config';
import type { ReportUsage } from './cost-reports';
import { reportCost } from './cost-reports';
import {
  CW_LOGS_PER_GB,
  CW_PER_ALARM,
  CW_PER_API_REQUEST,
  CW_PER_DASHBOARD,
  CW_PER_METRIC,
  DDB_PER_RRU,
  DDB_PER_WRU,
  EXECUTION_TAIL_SECONDS,
  FREE,
  HEALTH_CHECK_MS,
  KMS_PER_KEY,
  LAMBDA_ARM_PER_GB_SECOND,
  LAMBDA_PER_REQUEST,
  LAMBDA_X86_PER_GB_SECOND,
  LEX_SPEECH_REQUEST,
  LEX_STREAMING_TEXT_REQUEST,
  LEX_TEXT_REQUEST,
  LIVENESS_PROBE_MS,
  LOG_BYTES_PER_EVENT,
  LOG_BYTES_PER_EVENT_WITH_DATA,
  LOG_EVENTS_PER_CYCLE,
  LOOKUP_MS,
  NLU_PROBE_MS,
  ORIGINAL_RUN_MS,
  SCHEDULER_PER_INVOCATION,
  SFN_EXPRESS_BLOCK_MB,
  SFN_EXPRESS_PER_GB_SECOND,
  SFN_EXPRESS_PER_REQUEST,
  SPEECH_PROBE_MS,
  STREAM_PROBE_MS,
  WRITE_SECONDS,
  XRAY_PER_TRACE,
} from './prices';
import { HEALTH_CHECK_FUNCTION, LOOKUP_FUNCTION, PROBE_FUNCTION } from './stacks/sizing';

// Prices, free tiers and the durations the model assumes: infra/prices.ts (re-exported here).
export * from './prices';

/** How lexdr is used: the parts of the bill that depend on traffic rather than on the config. */
export interface Usage extends ReportUsage {
  /** Days in the month. @default 30 */
  readonly days?: number;
  /** Contacts that reach the lookup per month (each one Lambda call; reads mostly served from its cache). @default 0 */
  readonly callsPerMonth?: number;
  /** Writes to the DR table per month (only when health counters or the region change). @default 500 */
  readonly stateWritesPerMonth?: number;
}

export interface CostLine {
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  /** What the always-free tiers take off the total. */
  readonly freeTier: readonly CostLine[];
  readonly freeTierUsd: number;
  readonly totalAfterFreeTierUsd: number;
  /**
   * The health check itself — workflow, Lambdas, Lex probes, table, schedule — the part that does what the 2020 design
   * did (without the operators' dashboard, alarms, logs and keys).
   */
  readonly healthCheckUsd: number;
  /** The 2020 design (a Lambda every 5 minutes sending PostText to the primary, writing DynamoDB each run). */
  readonly original: { readonly lines: readonly CostLine[]; readonly totalUsd: number };
  /** Worst-case seconds from a region failing to the DR table naming another region. */
  readonly detectionSeconds: { readonly lexdr: number; readonly original: number };
  /** Numbers the lines are built from. */
  readonly basis: {
    readonly executions: number;
    readonly cycles: number;
    readonly probes: number;
    readonly nluProbes: number;
    readonly lambdaInvocations: number;
    readonly customMetrics: number;
    readonly alarms: number;
    /** Callers' reports a month, and the checks they start. */
    readonly reports: number;
    readonly checks: number;
  };
}

const gb = (mb: number) => mb / 1024;

/** The services of the health check itself (the part comparable with the 2020 design). */
const HEALTH_CHECK_SERVICES = ['Step Functions', 'Lambda', 'Lex', 'DynamoDB', 'EventBridge'];

/** Number of alarms the stack creates for a config (see infra/constructs/dr-alarms.ts). */
export function alarmCount(c: Pick<LexdrConfig, 'bots' | 'regions'>): number {
  // no healthy region, not on primary, 3 workflow, not running, blind, lookup errors, lookup latency + one per bot/region
  return 9 + c.bots.length * c.regions.length;
}

/** Monthly cost of lexdr for a config at list prices. */
export function estimateMonthlyCost(config: LexdrConfig, usage: Usage = {}): CostEstimate {
  const days = usage.days ?? 30;
  const minutes = days * 24 * 60;
  const executions = minutes; // one scheduled execution a minute
  const cyclesPer = cyclesPerExecution(config);
  const cycles = executions * cyclesPer;
  const pairs = config.bots.length * config.regions.length;
  const probes = cycles * pairs;
  const alwaysNlu = config.probe.method === 'nlu' || config.probe.method === 'v1-posttext';
  // `stream` probes every cycle through StartConversation (the NLU check over the callers' API).
  const streamProbes = config.probe.method === 'stream' ? probes : 0;
  // `speech` probes every cycle by RecognizeUtterance (a speech request each); `speechEveryMinutes`, every so often.
  const speechProbes =
    config.probe.method === 'speech'
      ? probes
      : config.probe.speechEveryMinutes > 0
        ? Math.round(minutes / config.probe.speechEveryMinutes) * pairs
        : 0;
  const textNluProbes = alwaysNlu
    ? probes
    : streamProbes > 0 || config.probe.method === 'speech' || config.probe.nluEveryMinutes === 0
      ? 0
      : Math.round(minutes / config.probe.nluEveryMinutes) * pairs;
  const nluProbes = textNluProbes + streamProbes + speechProbes;
  const livenessProbes = probes - nluProbes;

  const lines: CostLine[] = [];
  const add = (service: string, item: string, quantity: number, unit: string, usd: number) =>
    lines.push({ service, item, quantity, unit, usd });

  // Step Functions Express
  const execSeconds = (cyclesPer - 1) * config.cadenceSeconds + EXECUTION_TAIL_SECONDS;
  const sfnGbSeconds = executions * execSeconds * gb(SFN_EXPRESS_BLOCK_MB);
  add('Step Functions', 'Express requests', executions, 'executions', executions * SFN_EXPRESS_PER_REQUEST);
  add(
    'Step Functions',
    `Express duration (${execSeconds} s × 64 MB)`,
    sfnGbSeconds,
    'GB-s',
    sfnGbSeconds * SFN_EXPRESS_PER_GB_SECOND,
  );

  // Lambda (health check + probes)
  // plan once, decide each cycle, make the metric data once
  const healthCalls = executions * (2 + cyclesPer);
  const invocations = healthCalls + probes;
  const lambdaGbSeconds =
    (healthCalls * HEALTH_CHECK_MS * gb(HEALTH_CHECK_FUNCTION.memoryMb) +
      livenessProbes * LIVENESS_PROBE_MS * gb(PROBE_FUNCTION.memoryMb) +
      textNluProbes * NLU_PROBE_MS * gb(PROBE_FUNCTION.memoryMb) +
      streamProbes * STREAM_PROBE_MS * gb(PROBE_FUNCTION.memoryMb) +
      speechProbes * SPEECH_PROBE_MS * gb(PROBE_FUNCTION.memoryMb)) /
    1000;
  add('Lambda', 'Requests (plan, decide, metrics, probes)', invocations, 'requests', invocations * LAMBDA_PER_REQUEST);
  add('Lambda', 'Duration (arm64)', lambdaGbSeconds, 'GB-s', lambdaGbSeconds * LAMBDA_ARM_PER_GB_SECOND);
  const calls = usage.callsPerMonth ?? 0;
  const lookupGbSeconds = (calls * LOOKUP_MS * gb(LOOKUP_FUNCTION.memoryMb)) / 1000;
  if (calls > 0) {
    add('Lambda', 'Connect lookup requests', calls, 'requests', calls * LAMBDA_PER_REQUEST);
    add(
      'Lambda',
      'Connect lookup duration (arm64)',
      lookupGbSeconds,
      'GB-s',
      lookupGbSeconds * LAMBDA_ARM_PER_GB_SECOND,
    );
  }

  // Lex
  add('Lex', 'Liveness probes (PutSession/GetSession/DeleteSession)', livenessProbes, 'probes', 0);
  add('Lex', 'NLU probes (RecognizeText)', textNluProbes, 'text requests', textNluProbes * LEX_TEXT_REQUEST);
  if (speechProbes > 0)
    add(
      'Lex',
      'Speech probes (RecognizeUtterance)',
      speechProbes,
      'speech requests',
      speechProbes * LEX_SPEECH_REQUEST,
    );
  if (streamProbes > 0)
    add(
      'Lex',
      'Stream probes (StartConversation, text)',
      streamProbes,
      'streaming text requests',
      streamProbes * LEX_STREAMING_TEXT_REQUEST,
    );

  // DynamoDB
  const reads = cycles; // one strongly consistent GetItem (1 RRU, item < 4 KB) per cycle
  const lookupReads = Math.min(calls, (minutes * 60) / Math.max(1, config.lookupCacheSeconds)) * 0.5;
  const writes = usage.stateWritesPerMonth ?? 500;
  add('DynamoDB', 'Reads (workflow, strongly consistent)', reads, 'RRU', reads * DDB_PER_RRU);
  if (calls > 0) add('DynamoDB', 'Reads (lookup, after its cache)', lookupReads, 'RRU', lookupReads * DDB_PER_RRU);
  add('DynamoDB', 'Writes (only on change; + history)', writes * 2, 'WRU', writes * 2 * DDB_PER_WRU);

  // CloudWatch
  // ProbeSuccess per bot and region, ProbeLatency per region, three per Connect region (ProbeErrors appears only
  // while probes cannot run).
  const customMetrics = pairs + config.regions.length + 3;
  const alarms = alarmCount(config);
  const logBytesPerEvent = config.logExecutionData ? LOG_BYTES_PER_EVENT_WITH_DATA : LOG_BYTES_PER_EVENT;
  const logGb = (cycles * LOG_EVENTS_PER_CYCLE * logBytesPerEvent) / 1024 ** 3;
  add('CloudWatch', 'PutMetricData (1 per execution)', executions, 'requests', executions * CW_PER_API_REQUEST);
  add(
    'CloudWatch',
    'Custom metrics (1 per bot-region, 1 per region, + 3)',
    customMetrics,
    'metrics',
    customMetrics * CW_PER_METRIC,
  );
  add('CloudWatch', 'Alarms', alarms, 'alarms', alarms * CW_PER_ALARM);
  add('CloudWatch', 'Dashboard', 1, 'dashboard', CW_PER_DASHBOARD);
  const logLabel = `Logs ingested (workflow level ALL${config.logExecutionData ? ' + data' : ''})`;
  add('CloudWatch', logLabel, logGb, 'GB', logGb * CW_LOGS_PER_GB);

  // Callers' reports and the checks they start
  const reported = reportCost(config, usage);
  lines.push(...reported.lines);

  // Others
  add('X-Ray', 'Workflow traces', executions, 'traces', executions * XRAY_PER_TRACE);
  add('EventBridge', 'Scheduler invocations', executions, 'invocations', executions * SCHEDULER_PER_INVOCATION);
  if (!config.alarmTopicArn) add('KMS', 'Alarm topic key', 1, 'key', KMS_PER_KEY);

  const totalUsd = sum(lines);

  // Always-free tiers: what each covers of this deployment's usage, at the price the usage is charged.
  const allInvocations = invocations + calls + reported.lambdaRequests;
  const allGbSeconds = lambdaGbSeconds + lookupGbSeconds + reported.lambdaGbSeconds;
  const freeTiers: [service: string, item: string, limit: number, used: number, unit: string, price: number][] = [
    ['CloudWatch', '10 metrics', FREE.cloudWatchMetrics, customMetrics, 'metrics', CW_PER_METRIC],
    ['CloudWatch', '10 alarms', FREE.cloudWatchAlarms, alarms, 'alarms', CW_PER_ALARM],
    ['CloudWatch', '3 dashboards', FREE.cloudWatchDashboards, 1, 'dashboard', CW_PER_DASHBOARD],
    ['CloudWatch', '1M API requests', FREE.cloudWatchApiRequests, executions, 'requests', CW_PER_API_REQUEST],
    ['CloudWatch', '5 GB logs', FREE.cloudWatchLogsGb, logGb, 'GB', CW_LOGS_PER_GB],
    ['Lambda', '1M requests', FREE.lambdaRequests, allInvocations, 'requests', LAMBDA_PER_REQUEST],
    ['Lambda', '400,000 GB-s', FREE.lambdaGbSeconds, allGbSeconds, 'GB-s', LAMBDA_ARM_PER_GB_SECOND],
    ['X-Ray', '100,000 traces', FREE.xrayTraces, executions, 'traces', XRAY_PER_TRACE],
    [
      'EventBridge',
      '14M scheduler invocations',
      FREE.schedulerInvocations,
      executions,
      'invocations',
      SCHEDULER_PER_INVOCATION,
    ],
  ];
  const freeTier: CostLine[] = freeTiers.map(([service, item, limit, used, unit, price]) => {
    const quantity = Math.min(limit, used);
    return { service, item, quantity, unit, usd: -quantity * price };
  });
  const freeTierUsd = sum(freeTier);

  // The 2020 design: a Lambda every 5 minutes, PostText to the primary, a DynamoDB write each run.
  const runs = minutes / 5;
  const originalGbSeconds = (runs * ORIGINAL_RUN_MS * gb(128)) / 1000;
  const originalLines: CostLine[] = [
    {
      service: 'Lex',
      item: 'PostText to the primary',
      quantity: runs,
      unit: 'text requests',
      usd: runs * LEX_TEXT_REQUEST,
    },
    { service: 'Lambda', item: 'Requests', quantity: runs, unit: 'requests', usd: runs * LAMBDA_PER_REQUEST },
    {
      service: 'Lambda',
      item: 'Duration (x86, 128 MB)',
      quantity: originalGbSeconds,
      unit: 'GB-s',
      usd: originalGbSeconds * LAMBDA_X86_PER_GB_SECOND,
    },
    { service: 'DynamoDB', item: 'Write each run', quantity: runs, unit: 'WRU', usd: runs * DDB_PER_WRU },
    { service: 'EventBridge', item: 'Rule invocations', quantity: runs, unit: 'invocations', usd: 0 },
  ];

  const probeTimeout = config.probe.timeoutMs / 1000;
  return {
    lines,
    totalUsd,
    freeTier,
    freeTierUsd,
    totalAfterFreeTierUsd: totalUsd + freeTierUsd,
    healthCheckUsd: sum(lines.filter((l) => HEALTH_CHECK_SERVICES.includes(l.service))),
    original: { lines: originalLines, totalUsd: sum(originalLines) },
    detectionSeconds: {
      lexdr: round(worstDetectionSeconds(config, WRITE_SECONDS), 1),
      original: round(5 * 60 + probeTimeout, 1),
    },
    basis: {
      executions,
      cycles,
      probes,
      nluProbes,
      lambdaInvocations: invocations,
      customMetrics,
      alarms,
      reports: reported.reports,
      checks: reported.checks,
    },
  };
}

function sum(lines: readonly CostLine[]): number {
  return lines.reduce((n, l) => n + l.usd, 0);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export { formatCostReport } from './cost-format';

if (require.main === module) {
  const config = readConfigFile(process.argv[2]);
  console.log(formatCostReport(config, estimateMonthlyCost(config)));
}
