/**
 * Callers' reports of bot failures, and the rule that turns a burst of them into an immediate health check.
 *
 * Where a caller meets a bot failure (the contact flow's error branch of a bot block, the Twilio bridge's failed
 * turn), lexdr is told `{connectRegion, lexRegion, bot, contact, kind, time}`. Reports never move callers: a burst
 * of them for the active region (`contacts` distinct contacts within `windowSeconds`) starts the real workflow at
 * once for that region (`reported` in the execution input), at most once per `minIntervalSeconds`, and only a probe
 * that fails there can move callers — through the same hysteresis, conditional write, history and metrics as any
 * failover. The burst stands for every failed observation but the last (see hysteresis.ts); the probe adds that one.
 *
 * One window item per Connect region and bot region (`<connectRegion>#reports#<lexRegion>` in the DR table) holds the
 * recent contacts (bounded, deduplicated per contact: Connect's and Lambda's retries of one report count once) and
 * the last trigger, written conditionally on its version.
 */
import { z } from 'zod';
import { InvalidInputError, describeIssues } from './errors';
import type { ReportRule } from './settings';

export type { ReportRule } from './settings';

/** How a caller met the failure: the bot block's error branch, or no answer from the caller within its limit. */
export const REPORT_KINDS = ['error', 'no-input'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** At most this many contacts are kept per window item (older ones drop first): the item stays a few KB. */
export const REPORT_MAX_TRACKED = 100;
/** A contact's report is recognised as a repeat for this long (Lambda retries an async event for up to a minute). */
export const REPORT_DEDUPE_SECONDS = 300;

export const DEFAULT_REPORT_RULE: ReportRule = {
  enabled: true,
  contacts: 1,
  windowSeconds: 30,
  minIntervalSeconds: 15,
  confirmWith: 'speech',
};

/** A Connect contact ID (a UUID) or a Twilio call SID. */
const contactIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a contact ID: letters, digits and "-" (≤ 64)');
const nameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'letters, digits, "_" or "-" (1–100)');

/** What the contact flow's report action sends: Connect's ContactFlowEvent. */
const connectReportSchema = z.object({
  Name: z.literal('ContactFlowEvent'),
  Details: z.object({
    ContactData: z.object({ ContactId: contactIdSchema }).passthrough(),
    Parameters: z
      .object({
        bot: nameSchema,
        lexRegion: z.string().min(1).max(30),
        kind: z.enum(REPORT_KINDS),
        block: z.string().max(50).optional(),
      })
      .passthrough(),
  }),
});

/** What the Twilio bridge sends when a caller's turn fails. */
const bridgeReportSchema = z
  .object({
    source: z.literal('twilio-bridge'),
    callSid: z.string().regex(/^CA[0-9a-f]{32}$/, 'a Twilio call SID: CA + 32 hex digits'),
    bot: nameSchema,
    lexRegion: z.string().min(1).max(30),
    kind: z.enum(REPORT_KINDS),
  })
  .strict();

export interface CallerReport {
  source: 'connect' | 'twilio-bridge';
  contactId: string;
  bot: string;
  lexRegion: string;
  kind: ReportKind;
  /** The bot block that failed (Connect). */
  block?: string;
  /** Epoch ms the report function received it. */
  at: number;
}

/** Validates a report against the deployment's regions and bots; throws InvalidInputError naming what is wrong. */
export function parseReport(
  event: unknown,
  known: { regions: readonly string[]; bots: readonly string[] },
  now: number,
): CallerReport {
  const fromBridge = typeof event === 'object' && event !== null && 'source' in event;
  const r = fromBridge ? bridgeReportSchema.safeParse(event) : connectReportSchema.safeParse(event);
  if (!r.success) throw new InvalidInputError(`invalid caller report: ${describeIssues(r.error.issues, event)}`);
  const report: CallerReport =
    'source' in r.data
      ? {
          source: 'twilio-bridge',
          contactId: r.data.callSid,
          bot: r.data.bot,
          lexRegion: r.data.lexRegion,
          kind: r.data.kind,
          at: now,
        }
      : {
          source: 'connect',
          contactId: r.data.Details.ContactData.ContactId,
          bot: r.data.Details.Parameters.bot,
          lexRegion: r.data.Details.Parameters.lexRegion,
          kind: r.data.Details.Parameters.kind,
          ...(r.data.Details.Parameters.block ? { block: r.data.Details.Parameters.block } : {}),
          at: now,
        };
  if (!known.regions.includes(report.lexRegion))
    throw new InvalidInputError(
      `invalid caller report: lexRegion "${report.lexRegion}" is not a configured region (${known.regions.join(', ')})`,
    );
  if (!known.bots.includes(report.bot))
    throw new InvalidInputError(
      `invalid caller report: bot "${report.bot}" is not configured (${known.bots.join(', ')})`,
    );
  return report;
}

/** A burst that started a check: the execution input's `reported`, and the history's record of why it ran. */
export const reportedBurstSchema = z
  .object({
    region: z.string().min(1),
    contacts: z.number().int().min(1).max(REPORT_MAX_TRACKED),
    firstAt: z.iso.datetime(),
    lastAt: z.iso.datetime(),
  })
  .strict();
export type ReportedBurst = z.infer<typeof reportedBurstSchema>;

/** The window item of one bot region. */
export interface ReportWindow {
  version: number;
  /** Contact → epoch ms of its report. */
  recent: Record<string, number>;
  /** Epoch ms of the last report-started check (a check counts only reports after it). */
  lastTriggerAt: number | null;
  /** Reports accepted in all (repeats not counted). */
  reports: number;
  /** Checks started in all. */
  triggers: number;
  lastReportAt: number | null;
  /**
   * The token of the write that made this version (one per invocation of the report function): a write whose answer
   * was lost, retried and refused by its own condition, recognises that it landed — as the workflow's `lastWrite` does
   * for lexDR. (Not the contact: two deliveries of one contact's report racing each other must not both count.)
   */
  lastWrite?: string;
}

export const emptyWindow = (): ReportWindow => ({
  version: 0,
  recent: {},
  lastTriggerAt: null,
  reports: 0,
  triggers: 0,
  lastReportAt: null,
});

/** Why a report did or did not start a check. */
export type ReportOutcome = 'duplicate' | 'triggered' | 'below-threshold' | 'rate-limited' | 'not-active' | 'disabled';

export interface ReportDecision {
  outcome: ReportOutcome;
  /** The report was new (not a repeat of its contact): it is counted and written. */
  accepted: boolean;
  next: ReportWindow;
  /** Distinct contacts in the window since the last check (this one included). */
  fresh: number;
  trigger: ReportedBurst | null;
}

/** Applies one report to its region's window: dedupe, prune, count, and whether it starts a check. Pure. */
export function applyReport(
  prev: ReportWindow | null,
  report: Pick<CallerReport, 'contactId' | 'lexRegion' | 'at'>,
  rule: ReportRule,
  activeRegion: string,
): ReportDecision {
  const w = prev ?? emptyWindow();
  const now = report.at;
  const keepFrom = now - Math.max(REPORT_DEDUPE_SECONDS, rule.windowSeconds) * 1000;
  const seenAt = w.recent[report.contactId];
  if (seenAt !== undefined && seenAt >= keepFrom)
    return { outcome: 'duplicate', accepted: false, next: w, fresh: countFresh(w, rule, now), trigger: null };
  const kept = Object.entries(w.recent)
    .filter(([, at]) => at >= keepFrom && at <= now)
    .sort((a, b) => b[1] - a[1])
    .slice(0, REPORT_MAX_TRACKED - 1);
  const recent = Object.fromEntries([[report.contactId, now], ...kept]);
  const base: ReportWindow = {
    ...w,
    version: w.version + 1,
    recent,
    reports: w.reports + 1,
    lastReportAt: now,
  };
  const fresh = countFresh(base, rule, now);
  const result = (outcome: ReportOutcome, next = base, trigger: ReportedBurst | null = null): ReportDecision => ({
    outcome,
    accepted: true,
    next,
    fresh,
    trigger,
  });
  if (!rule.enabled) return result('disabled');
  if (report.lexRegion !== activeRegion) return result('not-active');
  if (fresh < rule.contacts) return result('below-threshold');
  if (w.lastTriggerAt !== null && now - w.lastTriggerAt < rule.minIntervalSeconds * 1000) return result('rate-limited');
  const times = freshTimes(base, rule, now);
  const trigger: ReportedBurst = {
    region: report.lexRegion,
    contacts: times.length,
    firstAt: new Date(Math.min(...times)).toISOString(),
    lastAt: new Date(Math.max(...times)).toISOString(),
  };
  return result('triggered', { ...base, lastTriggerAt: now, triggers: w.triggers + 1 }, trigger);
}

function freshTimes(w: ReportWindow, rule: ReportRule, now: number): number[] {
  const from = Math.max(now - rule.windowSeconds * 1000, w.lastTriggerAt === null ? -Infinity : w.lastTriggerAt + 1);
  return Object.values(w.recent).filter((at) => at >= from && at <= now);
}

const countFresh = (w: ReportWindow, rule: ReportRule, now: number) => freshTimes(w, rule, now).length;

/** The DR table key of a bot region's window item. */
export const reportWindowKey = (connectRegion: string, lexRegion: string) => `${connectRegion}#reports#${lexRegion}`;
/** The key prefix of every window item of a Connect region (the report function may write only these). */
export const reportWindowKeyPrefix = (connectRegion: string) => `${connectRegion}#reports#`;
