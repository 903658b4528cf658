/**
 * The cost of callers' reports (core/caller-reports.ts), for the cost model (`infra/cost.ts`): the report function,
 * its window item, its metric, and the checks a burst starts — one Express execution of one cycle, its Lambda
 * calls and probes, a speech request when the rule confirms by speech. Healthy operation makes few reports (a caller
 * meeting a rare Lex error); an outage makes many, for minutes.
 */
import type { LexdrConfig } from './config';
import {
  CW_PER_API_REQUEST,
  CW_PER_METRIC,
  DDB_PER_RRU,
  DDB_PER_WRU,
  HEALTH_CHECK_MS,
  LAMBDA_ARM_PER_GB_SECOND,
  LAMBDA_PER_REQUEST,
  LEX_SPEECH_REQUEST,
  LIVENESS_PROBE_MS,
  SFN_EXPRESS_BLOCK_MB,
  SFN_EXPRESS_PER_GB_SECOND,
  SFN_EXPRESS_PER_REQUEST,
  SPEECH_PROBE_MS,
} from './prices';
import { HEALTH_CHECK_FUNCTION, PROBE_FUNCTION, REPORT_FUNCTION } from './stacks/sizing';

/** Report function duration (settings cached; three small DynamoDB calls, one PutMetricData). */
export const REPORT_MS = 60;
/** A report-started check: Express duration of its one cycle (plan, probes, decide, write, metrics). */
export const REPORT_CHECK_SECONDS = 3;
/** Reports a month in healthy operation (callers meeting a rare Lex error), the model's default. */
export const DEFAULT_REPORTS_PER_MONTH = 30;

export interface ReportUsage {
  /** Callers' reports a month. @default DEFAULT_REPORTS_PER_MONTH */
  readonly reportsPerMonth?: number;
  /** Checks they start a month (at most one per report, rate-limited). @default every report, when enabled */
  readonly reportChecksPerMonth?: number;
}

export interface ReportCost {
  readonly lines: { service: string; item: string; quantity: number; unit: string; usd: number }[];
  readonly lambdaRequests: number;
  readonly lambdaGbSeconds: number;
  readonly reports: number;
  readonly checks: number;
}

const gb = (mb: number) => mb / 1024;

export function reportCost(config: LexdrConfig, usage: ReportUsage): ReportCost {
  const reports = usage.reportsPerMonth ?? DEFAULT_REPORTS_PER_MONTH;
  const checks = usage.reportChecksPerMonth ?? (config.callerReports.enabled ? reports : 0);
  const pairs = config.bots.length * config.regions.length;
  const speech = config.callerReports.confirmWith === 'speech' ? checks * config.bots.length : 0;
  const otherProbes = checks * pairs - speech;
  const checkLambda = checks * 3; // plan, decide, metrics
  const lambdaRequests = reports + checkLambda + checks * pairs;
  const lambdaGbSeconds =
    (reports * REPORT_MS * gb(REPORT_FUNCTION.memoryMb) +
      checkLambda * HEALTH_CHECK_MS * gb(HEALTH_CHECK_FUNCTION.memoryMb) +
      speech * SPEECH_PROBE_MS * gb(PROBE_FUNCTION.memoryMb) +
      otherProbes * LIVENESS_PROBE_MS * gb(PROBE_FUNCTION.memoryMb)) /
    1000;
  const sfnGbSeconds = checks * REPORT_CHECK_SECONDS * gb(SFN_EXPRESS_BLOCK_MB);
  // A report reads lexDR (eventually consistent, ½ RRU) and its window (1 RRU), and writes the window (≤ 1 KB
  // in healthy operation, 1 WRU); a check reads lexDR once.
  const rru = reports * 1.5 + checks;
  const wru = reports;
  // CallerReportedFailures is published only while reports arrive: a custom metric is billed by the hours it gets
  // data, so each report costs at most one metric-hour per bot and region (and CallerReportChecks one per check).
  const metricHours = reports + checks;
  const lines = [
    {
      service: 'Lambda',
      item: "Callers' reports and the checks they start (requests)",
      quantity: lambdaRequests,
      unit: 'requests',
      usd: lambdaRequests * LAMBDA_PER_REQUEST,
    },
    {
      service: 'Lambda',
      item: "Callers' reports and checks (duration, arm64)",
      quantity: lambdaGbSeconds,
      unit: 'GB-s',
      usd: lambdaGbSeconds * LAMBDA_ARM_PER_GB_SECOND,
    },
    {
      service: 'Step Functions',
      item: `Report-started checks (${REPORT_CHECK_SECONDS} s × 64 MB)`,
      quantity: checks,
      unit: 'executions',
      usd: checks * SFN_EXPRESS_PER_REQUEST + sfnGbSeconds * SFN_EXPRESS_PER_GB_SECOND,
    },
    {
      service: 'Lex',
      item: 'Speech confirmations (RecognizeUtterance)',
      quantity: speech,
      unit: 'speech requests',
      usd: speech * LEX_SPEECH_REQUEST,
    },
    {
      service: 'DynamoDB',
      item: 'Report windows (reads and writes)',
      quantity: rru + wru,
      unit: 'RRU + WRU',
      usd: rru * DDB_PER_RRU + wru * DDB_PER_WRU,
    },
    {
      service: 'CloudWatch',
      item: "PutMetricData and metric-hours of callers' reports",
      quantity: reports,
      unit: 'requests',
      usd: reports * CW_PER_API_REQUEST + (metricHours * CW_PER_METRIC) / 730,
    },
  ];
  return { lines, lambdaRequests, lambdaGbSeconds, reports, checks };
}
