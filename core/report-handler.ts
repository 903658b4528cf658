/**
 * The report function: a caller met a bot failure (the contact flow's report action, invoked asynchronously, or the
 * Twilio bridge). It records the report in its region's window item (conditional on the item's version; a repeat
 * of a contact is recognised and changes nothing), publishes `CallerReportedFailures`, and when the rule says so
 * starts the health-check workflow at once for that region (core/caller-reports.ts). Nobody waits on it: a
 * failure here costs callers nothing, and only the workflow's probe can move them.
 */
import { randomUUID } from 'node:crypto';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { CallerReport, ReportDecision, ReportOutcome, ReportWindow } from './caller-reports';
import { DEFAULT_REPORT_RULE, applyReport, emptyWindow, parseReport, reportWindowKey } from './caller-reports';
import { METRIC } from './cycle-metrics';
import { readItem } from './dr-item';
import type { DrTable } from './dr-table';
import { logger } from './powertools';
import type { Settings } from './settings';

/** Conflicting writers of one window item (reports arriving together) retry this many times, with jittered waits. */
export const REPORT_WRITE_ATTEMPTS = 8;
/** The wait before a retry of a conflicting write: up to this many ms per attempt so far, at random. */
export const REPORT_WRITE_BACKOFF_MS = 25;

/**
 * How the report function's Step Functions and CloudWatch clients are bounded (its DynamoDB client is the `report`
 * preset of core/dr-table.ts): a hanging service must not hold the function, or its async retries, until its timeout.
 */
export const REPORT_CLIENT_BOUNDS = { maxAttempts: 2, connectionTimeout: 500, requestTimeout: 1500 } as const;

/** A client config bounded by REPORT_CLIENT_BOUNDS (`config` — endpoint, region, credentials — on top). */
export function boundedReportClient<C extends object>(config?: C) {
  const { maxAttempts, connectionTimeout, requestTimeout } = REPORT_CLIENT_BOUNDS;
  return {
    maxAttempts,
    requestHandler: new NodeHttpHandler({ connectionTimeout, requestTimeout, throwOnRequestTimeout: true }),
    ...config,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ReportHandlerDeps {
  table: DrTable;
  settings: () => Promise<Settings>;
  sfn: SFNClient;
  stateMachineArn: string;
  cloudwatch: CloudWatchClient;
  metricNamespace: string;
  now?: () => number;
}

export interface ReportResult {
  outcome: ReportOutcome;
  lexRegion: string;
  contactId: string;
  /** Distinct contacts in the window since the last check. */
  fresh: number;
  /** The execution a triggered check started. */
  executionArn?: string;
}

/** Thrown when the window item could not be written after REPORT_WRITE_ATTEMPTS conflicting attempts. */
export class ReportConflictError extends Error {
  override name = 'ReportConflictError';
}

/** Reads a window item as stored (the one reader: the report function and `lexdr status`). */
export function readWindow(item: Record<string, AttributeValue> | undefined): ReportWindow | null {
  if (!item) return null;
  const raw = unmarshall(item) as Partial<ReportWindow> & { connectRegion?: string };
  return {
    ...emptyWindow(),
    version: Number(raw.version ?? 0),
    recent: Object.fromEntries(Object.entries(raw.recent ?? {}).map(([k, v]) => [k, Number(v)])),
    lastTriggerAt: raw.lastTriggerAt === undefined || raw.lastTriggerAt === null ? null : Number(raw.lastTriggerAt),
    reports: Number(raw.reports ?? 0),
    triggers: Number(raw.triggers ?? 0),
    lastReportAt: raw.lastReportAt === undefined || raw.lastReportAt === null ? null : Number(raw.lastReportAt),
    ...(typeof raw.lastWrite === 'string' ? { lastWrite: raw.lastWrite } : {}),
  };
}

const isConflict = (err: unknown) => (err as Error)?.name === 'ConditionalCheckFailedException';

export function createReportHandler(deps: ReportHandlerDeps) {
  const now = deps.now ?? Date.now;

  /** Applies the report to its window, retrying when another report wrote the item first. */
  async function record(report: CallerReport, settings: Settings, key: string): Promise<ReportDecision> {
    const rule = settings.callerReports ?? DEFAULT_REPORT_RULE;
    const active = readItem(await deps.table.getItem(settings.connectRegion, { consistent: false }), settings);
    const activeRegion = active?.lexRegion ?? settings.regions[0]!;
    for (let attempt = 1; ; attempt++) {
      const prev = readWindow(await deps.table.getItem(key));
      const d = applyReport(prev, report, rule, activeRegion);
      if (!d.accepted) return d;
      const token = randomUUID();
      try {
        await deps.table.putItem(
          { ...marshall({ ...d.next, lastWrite: token }, { removeUndefinedValues: true }), connectRegion: { S: key } },
          prev
            ? { expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': { N: String(prev.version) } } }
            : { expression: 'attribute_not_exists(connectRegion)' },
        );
        return d;
      } catch (err) {
        if (!isConflict(err)) throw err;
        // Our own write may have landed and only its answer been lost: then this report is recorded as decided.
        const landed = readWindow(await deps.table.getItem(key));
        if (landed?.version === d.next.version && landed.lastWrite === token) return d;
        if (attempt >= REPORT_WRITE_ATTEMPTS)
          throw new ReportConflictError(`the window ${key} changed under ${attempt} attempts to record a report`);
        // Reports of one outage arrive together: spread the retries out instead of colliding again at once.
        await sleep(Math.random() * REPORT_WRITE_BACKOFF_MS * attempt);
      }
    }
  }

  async function publish(settings: Settings, report: CallerReport, triggered: boolean): Promise<void> {
    const dims = (extra: { Name: string; Value: string }[]) => [
      { Name: 'ConnectRegion', Value: settings.connectRegion },
      ...extra,
    ];
    const data = [
      {
        MetricName: METRIC.CallerReportedFailures,
        Dimensions: dims([
          { Name: 'Bot', Value: report.bot },
          { Name: 'Region', Value: report.lexRegion },
        ]),
        Unit: 'Count' as const,
        Value: 1,
      },
      ...(triggered
        ? [
            {
              MetricName: METRIC.CallerReportChecks,
              Dimensions: dims([{ Name: 'Region', Value: report.lexRegion }]),
              Unit: 'Count' as const,
              Value: 1,
            },
          ]
        : []),
    ];
    try {
      await deps.cloudwatch.send(new PutMetricDataCommand({ Namespace: deps.metricNamespace, MetricData: data }));
    } catch (err) {
      // The report is recorded and the check started either way: a lost datapoint is logged, not retried.
      logger.error('CallerReportedFailures not published', { error: err as Error, report });
    }
  }

  return async (event: unknown): Promise<ReportResult> => {
    const settings = await deps.settings();
    const report = parseReport(event, { regions: settings.regions, bots: settings.bots.map((b) => b.name) }, now());
    const key = reportWindowKey(settings.connectRegion, report.lexRegion);
    const d = await record(report, settings, key);
    const result: ReportResult = {
      outcome: d.outcome,
      lexRegion: report.lexRegion,
      contactId: report.contactId,
      fresh: d.fresh,
    };
    if (!d.accepted) {
      logger.info('repeated report', { ...result });
      return result;
    }
    if (d.trigger) {
      try {
        const out = await deps.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: deps.stateMachineArn,
            name: `reports-${report.lexRegion}-${d.next.lastTriggerAt}`,
            input: JSON.stringify({ reported: d.trigger }),
          }),
        );
        result.executionArn = out.executionArn;
        logger.info('callers reported the active region failing: check started', { ...result, burst: d.trigger });
      } catch (err) {
        // The schedule's probes go on; the rate limit holds this region's next report-started check back a while.
        logger.error('report-started check could not start', { error: err as Error, burst: d.trigger });
      }
    } else logger.info('caller report recorded', { ...result, kind: report.kind, block: report.block });
    await publish(settings, report, result.executionArn !== undefined);
    return result;
  };
}
