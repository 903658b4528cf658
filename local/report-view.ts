/**
 * What the local status and dashboard show of callers' reports, per region: the reports the report function took in
 * the last minutes, and the checks they started — each with its execution, how it ended and what it found (the region
 * change it made, confirmed by which probe, or none). Pure: built from the function's records, the executions and the
 * history.
 */
import type { RegionChange } from '../core/dr-item-read';
import type { CheckStatus, ReportRecord } from './report-function';

/** How far back "recent" reaches. */
export const REPORT_VIEW_MINUTES = 5;
/** Checks listed per region, newest first. */
const CHECKS_SHOWN = 5;

export interface ReportCheckView {
  /** When the report that started it was taken (the system's clock). */
  at: string;
  executionArn: string;
  name: string;
  /** Distinct contacts that had reported the region when it started. */
  contacts: number;
  /** `RUNNING` until the execution ends, then its status. */
  status: CheckStatus | 'RUNNING';
  /**
   * `confirmed`: its probe failed and callers moved (`change`); `not-confirmed`: it ended with no change (the probe
   * passed, or the region was already left); `running`; `failed`: the execution failed.
   */
  outcome: 'running' | 'confirmed' | 'not-confirmed' | 'failed';
  change?: Pick<RegionChange, 'from' | 'to' | 'reason'> & { confirmedBy?: string };
}

export interface RegionReportsView {
  /** Reports taken in the last REPORT_VIEW_MINUTES (a contact's repeats not counted). */
  recent: number;
  /** Repeats of a contact recognised in that time (Connect's and Lambda's retries). */
  repeats: number;
  /** Attempts of the function that failed in that time (its faults, invalid events, the table). */
  failed: number;
  /** The latest report taken, ever (ISO), or null. */
  lastAt: string | null;
  checks: ReportCheckView[];
}

/** The execution's name inside its ARN (`…:express:<state machine>:<name>:<id>`). */
const nameOf = (arn: string) => arn.split(':').at(-2) ?? arn;

export function reportsView(
  regions: readonly string[],
  records: readonly ReportRecord[],
  /** How a check ended, by execution ARN; undefined while it runs. */
  checkStatus: (executionArn: string) => CheckStatus | undefined,
  history: readonly RegionChange[],
  now: Date,
): Record<string, RegionReportsView> {
  const from = now.getTime() - REPORT_VIEW_MINUTES * 60_000;
  const out: Record<string, RegionReportsView> = {};
  for (const region of regions) {
    const mine = records.filter((r) => r.lexRegion === region);
    const inWindow = mine.filter((r) => Date.parse(r.at) >= from);
    const taken = mine.filter((r) => r.result && r.result.outcome !== 'duplicate');
    const checks = mine
      .filter((r) => r.result?.executionArn)
      .slice(-CHECKS_SHOWN)
      .reverse()
      .map((r) => checkView(r, checkStatus, history));
    out[region] = {
      recent: inWindow.filter((r) => r.result && r.result.outcome !== 'duplicate').length,
      repeats: inWindow.filter((r) => r.result?.outcome === 'duplicate').length,
      failed: inWindow.filter((r) => r.error).length,
      lastAt: taken.at(-1)?.at ?? null,
      checks,
    };
  }
  return out;
}

function checkView(
  r: ReportRecord,
  checkStatus: (executionArn: string) => CheckStatus | undefined,
  history: readonly RegionChange[],
): ReportCheckView {
  const executionArn = r.result!.executionArn!;
  const status = checkStatus(executionArn);
  const change = history.find((c) => c.execution === executionArn);
  const outcome: ReportCheckView['outcome'] = change
    ? 'confirmed'
    : status === undefined
      ? 'running'
      : status === 'SUCCEEDED'
        ? 'not-confirmed'
        : 'failed';
  return {
    at: r.at,
    executionArn,
    name: nameOf(executionArn),
    contacts: r.result!.fresh,
    status: status ?? 'RUNNING',
    outcome,
    ...(change
      ? {
          change: {
            from: change.from,
            to: change.to,
            reason: change.reason,
            ...(change.reported ? { confirmedBy: change.reported.confirmedBy } : {}),
          },
        }
      : {}),
  };
}

/** How a region change started by callers' reports is told (history, status, dashboard): who reported, what confirmed. */
export function reportedText(r: { contacts: number; confirmedBy: string }): string {
  return `reported by ${r.contacts} caller${r.contacts === 1 ? '' : 's'}, confirmed by ${r.confirmedBy}`;
}

/** One line for a report-started check: what it found. */
export function checkText(c: Pick<ReportCheckView, 'outcome' | 'change' | 'status'>): string {
  switch (c.outcome) {
    case 'running':
      return 'running…';
    case 'confirmed':
      return `confirmed: ${c.change!.from} → ${c.change!.to}${c.change!.confirmedBy ? ` (${c.change!.confirmedBy})` : ''}`;
    case 'not-confirmed':
      return 'not confirmed: no change';
    case 'failed':
      return `execution ${c.status}`;
  }
}
