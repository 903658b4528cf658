/**
 * The report function in the local system: the real handler (`createReportHandler`) with real SDK clients over HTTP —
 * the DR table in the local DynamoDB (the functions' bounded client), StartExecution on the local Step Functions
 * endpoint (host prefixes off, as every client of a custom endpoint), PutMetricData on the local CloudWatch — wrapped
 * as Lambda runs it (timeout, fault injection: `report-function`), and invoked either synchronously (tests) or
 * asynchronously as Connect's report action does (a queue, Lambda's retry, nobody waiting).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SFNClient } from '@aws-sdk/client-sfn';
import { drTable, drTableClient, drTableSettings } from '../core/dr-table';
import { logger } from '../core/powertools';
import { boundedReportClient, createReportHandler } from '../core/report-handler';
import type { ReportResult } from '../core/report-handler';
import { parseSettings } from '../core/settings';
import type { Settings } from '../core/settings';
import type { LexdrConfig } from '../infra/config';
import { REPORT_FUNCTION } from '../infra/stacks/sizing';
import { asyncInvoker } from './async-invoke';
import { roleClient } from './dynamodb';
import { LOCAL_CREDENTIALS } from './http';
import { faultyLambda } from './lambda-faults';
import type { FaultyLambda } from './lambda-faults';
import type { ExecutionRecord } from './workflow-runner';

export type CheckStatus = ExecutionRecord['status'];

export type { ReportResult } from '../core/report-handler';

/** One run of the report function: what it was told, and what came of it. */
export interface ReportRecord {
  /** When the attempt ended, on the system's clock (ISO). */
  at: string;
  /** `sync`: invoked and waited on (`sys.report`); `async`: as Connect's report action invokes it. */
  invocation: 'sync' | 'async';
  /** 1, or 2… for Lambda's retries of an asynchronous event. */
  attempt: number;
  /** The region the event names, when it names one (also for an attempt that failed). */
  lexRegion?: string;
  /** The handler's result: the rule's outcome, and the check it started. */
  result?: ReportResult;
  /** Why the attempt failed (the function's fault, an invalid event, the table…). */
  error?: { name: string; message: string };
  /** A failed asynchronous attempt that Lambda retries. */
  retrying?: boolean;
}

export interface LocalReportFunctionOptions {
  config: Pick<LexdrConfig, 'tableName' | 'connectRegion' | 'metricNamespace'>;
  /** The local DynamoDB, Step Functions and CloudWatch endpoints. */
  urls: { dynamodb: string; stepfunctions: string; cloudwatch: string };
  /** Credentials of the DynamoDB and Step Functions clients (the token as access key ID when one is in force). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  stateMachineArn: string;
  /** The system's clock. */
  now: () => Date;
  /** How long a `timeout` fault takes. @default the function's timeout */
  functionTimeoutMs?: number;
  /** Wait before Lambda's retry of a failed asynchronous attempt. @default 1000 (Lambda waits about a minute) */
  retryDelayMs?: number;
  /** Asynchronous events run at the same time. @default 4 */
  concurrency?: number;
  /** Told after every attempt. */
  onRecord(r: ReportRecord): void;
}

export interface LocalReportFunction {
  /** The function as Lambda runs it, with fault injection. */
  fn: FaultyLambda<unknown, ReportResult>;
  /** A synchronous invoke: the handler's result, or the function's error. */
  invoke(event: unknown): Promise<ReportResult>;
  /** An asynchronous invoke: queued, nobody waits. Throws AsyncQueueFullError when too many events wait. */
  invokeAsync(event: unknown): void;
  /** Resolves once every asynchronous event has run (retries included). */
  drain(): Promise<void>;
  /** The latest attempts, oldest first (at most RECENT_REPORTS). */
  recent(): ReportRecord[];
  /** Told of the end of every report-started check (an execution with `reported` in its input). */
  executionEnded(e: { executionArn: string; status: CheckStatus }): void;
  /** How a check it started ended, by execution ARN; undefined while it runs (or when unknown). */
  checkStatus(executionArn: string): CheckStatus | undefined;
  /** Stops taking events; waits a little for the running ones, then closes the clients. */
  close(): Promise<void>;
}

/** Asynchronous events that may wait locally before a new one is refused (429). */
const MAX_QUEUED = 10_000;
/** Attempts kept for the dashboard and the status. */
export const RECENT_REPORTS = 500;
/** How long closing waits for running attempts before it closes their clients. */
const CLOSE_WAIT_MS = 2000;

/** The region an event names, for the record of an attempt that failed before the handler read it. */
function regionOf(event: unknown): string | undefined {
  const e = event as { lexRegion?: unknown; Details?: { Parameters?: { lexRegion?: unknown } } } | null;
  const r = e?.Details?.Parameters?.lexRegion ?? e?.lexRegion;
  return typeof r === 'string' && /^[a-z0-9-]{1,30}$/.test(r) ? r : undefined;
}

export async function startLocalReportFunction(o: LocalReportFunctionOptions): Promise<LocalReportFunction> {
  const region = o.config.connectRegion;
  const dynamo = drTableClient('report', {
    endpoint: o.urls.dynamodb,
    region,
    credentials: o.credentials,
    ...roleClient('lookup'),
  });
  // Bounded as handlers/report.ts bounds them (one definition in the core).
  const sfn = new SFNClient(
    boundedReportClient({
      endpoint: o.urls.stepfunctions,
      region,
      credentials: o.credentials,
      disableHostPrefix: true,
    }),
  );
  const cloudwatch = new CloudWatchClient(
    boundedReportClient({ endpoint: o.urls.cloudwatch, region, credentials: LOCAL_CREDENTIALS }),
  );
  const close = () => [dynamo, sfn, cloudwatch].forEach((c) => c.destroy());
  try {
    const table = drTable(dynamo, o.config.tableName);
    const settings = drTableSettings<Settings>(table, {
      connectRegion: region,
      parse: parseSettings,
      onStale: (err) => logger.warn('settings re-read failed; using the last settings', { error: err as Error }),
    });
    await settings(); // read once, as a warm function has them
    const handler = createReportHandler({
      table,
      settings,
      sfn,
      stateMachineArn: o.stateMachineArn,
      cloudwatch,
      metricNamespace: o.config.metricNamespace,
      now: () => o.now().getTime(),
    });
    const fn = faultyLambda(handler, {
      timeoutMs: REPORT_FUNCTION.timeoutSeconds * 1000,
      ...(o.functionTimeoutMs !== undefined ? { faultTimeoutMs: o.functionTimeoutMs } : {}),
    });
    const recent: ReportRecord[] = [];
    const ended = new Map<string, CheckStatus>();
    const record = (
      event: unknown,
      invocation: ReportRecord['invocation'],
      attempt: number,
      r: { result?: ReportResult; error?: Error; retrying?: boolean },
    ) => {
      const lexRegion = r.result?.lexRegion ?? regionOf(event);
      const rec: ReportRecord = {
        at: o.now().toISOString(),
        invocation,
        attempt,
        ...(lexRegion ? { lexRegion } : {}),
        ...(r.result ? { result: r.result } : {}),
        ...(r.error ? { error: { name: r.error.name, message: r.error.message } } : {}),
        ...(r.retrying ? { retrying: true } : {}),
      };
      recent.push(rec);
      if (recent.length > RECENT_REPORTS) recent.shift();
      o.onRecord(rec);
    };
    const queue = asyncInvoker<unknown, ReportResult>({
      run: (event) => fn.handler(event),
      concurrency: o.concurrency ?? 4,
      maxQueued: MAX_QUEUED,
      retryAttempts: REPORT_FUNCTION.retryAttempts,
      retryDelayMs: o.retryDelayMs ?? 1000,
      maxEventAgeMs: REPORT_FUNCTION.maxEventAgeSeconds * 1000,
      onAttempt: (a) => {
        // Nobody waits on an asynchronous invoke: its errors are logged (as in the function's log group), never returned.
        if (a.error)
          logger.error('report function failed', { error: a.error, attempt: a.attempt, retrying: a.retrying });
        record(a.event, 'async', a.attempt, a);
      },
    });
    return {
      fn,
      async invoke(event) {
        try {
          const result = await fn.handler(event);
          record(event, 'sync', 1, { result });
          return result;
        } catch (err) {
          record(event, 'sync', 1, { error: err as Error });
          throw err;
        }
      },
      invokeAsync: (event) => queue.invoke(event),
      drain: () => queue.drain(),
      recent: () => [...recent],
      executionEnded(e) {
        ended.set(e.executionArn, e.status);
        if (ended.size > RECENT_REPORTS) ended.delete(ended.keys().next().value!);
      },
      checkStatus: (arn) => ended.get(arn),
      async close() {
        queue.close();
        let t: NodeJS.Timeout | undefined;
        await Promise.race([queue.drain(), new Promise((resolve) => (t = setTimeout(resolve, CLOSE_WAIT_MS)))]);
        clearTimeout(t);
        close();
      },
    };
  } catch (err) {
    close();
    throw err;
  }
}
