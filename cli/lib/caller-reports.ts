/**
 * Callers' reports as `lexdr status` shows them, on either target: each bot region's window item in the DR table
 * (`<connectRegion>#reports#<lexRegion>`, read with the report function's own reader) against the rule in force (the
 * settings item's `callerReports`).
 */
import { DEFAULT_REPORT_RULE, reportWindowKey } from '../../core/caller-reports';
import type { ReportRule } from '../../core/caller-reports';
import { readWindow } from '../../core/report-handler';
import { SETTINGS_ATTRIBUTE, reportRuleSchema, settingsItemKey } from '../../core/settings';
import { getRawItem } from './dr-table';
import { relative, table } from './format';
import type { Target } from './target';

export interface RegionReports {
  /** Distinct contacts that reported the region within the rule's window, up to now. */
  inWindow: number;
  /** The latest report taken (ISO), or null. */
  lastReportAt: string | null;
  /** The latest check a burst of reports started (ISO), or null. */
  lastCheckAt: string | null;
  /** Reports taken in all (a contact's repeats not counted) and checks started in all. */
  reports: number;
  checks: number;
}

export interface CallerReportsStatus {
  /** The rule in force, and where it comes from: the settings item, or the default when the item has none. */
  rule: ReportRule;
  ruleFrom: 'settings' | 'default';
  regions: Record<string, RegionReports>;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The rule of the settings item; the default when the item or its `callerReports` is missing or unreadable. */
async function readRule(t: Target): Promise<{ rule: ReportRule; ruleFrom: CallerReportsStatus['ruleFrom'] }> {
  const json = (await getRawItem(t, settingsItemKey(t.connectRegion)))?.[SETTINGS_ATTRIBUTE]?.S;
  let raw: unknown;
  try {
    raw = json === undefined ? undefined : (JSON.parse(json) as { callerReports?: unknown }).callerReports;
  } catch {
    raw = undefined;
  }
  const r = reportRuleSchema.safeParse(raw);
  return r.success ? { rule: r.data, ruleFrom: 'settings' } : { rule: DEFAULT_REPORT_RULE, ruleFrom: 'default' };
}

export async function readCallerReports(
  t: Target,
  regions: readonly string[],
  now: Date,
): Promise<CallerReportsStatus> {
  const [{ rule, ruleFrom }, windows] = await Promise.all([
    readRule(t),
    Promise.all(regions.map(async (r) => readWindow(await getRawItem(t, reportWindowKey(t.connectRegion, r))))),
  ]);
  const from = now.getTime() - rule.windowSeconds * 1000;
  return {
    rule,
    ruleFrom,
    regions: Object.fromEntries(
      regions.map((region, i) => {
        const w = windows[i];
        const inWindow = w ? Object.values(w.recent).filter((at) => at >= from && at <= now.getTime()).length : 0;
        return [
          region,
          {
            inWindow,
            lastReportAt: iso(w?.lastReportAt ?? null),
            lastCheckAt: iso(w?.lastTriggerAt ?? null),
            reports: w?.reports ?? 0,
            checks: w?.triggers ?? 0,
          },
        ];
      }),
    ),
  };
}

/** The rule in words, and a row per region. */
export function formatCallerReports(c: CallerReportsStatus, active: string | null, now: Date): string {
  const { rule } = c;
  const head = rule.enabled
    ? `Callers' reports: ${rule.contacts} contact(s) within ${rule.windowSeconds} s start a check of the active region ` +
      `(at most one per ${rule.minIntervalSeconds} s), confirmed by ${rule.confirmWith === 'speech' ? 'a speech probe' : 'the configured probe'}` +
      `${c.ruleFrom === 'default' ? ' (default rule)' : ''}:`
    : "Callers' reports (recorded and counted only: checks from reports are off):";
  const rows = Object.entries(c.regions).map(([region, r]) => [
    `${region === active ? '*' : ' '} ${region}`,
    String(r.inWindow),
    r.lastReportAt ? relative(r.lastReportAt, now) : '-',
    r.lastCheckAt ? relative(r.lastCheckAt, now) : '-',
    `${r.reports} / ${r.checks}`,
  ]);
  return [
    head,
    table(rows, ['  region', `in ${rule.windowSeconds} s`, 'last report', 'last check', 'reports / checks']),
  ].join('\n');
}
