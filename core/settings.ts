/**
 * What the handlers know of the deployment: built once per Connect region from the validated config
 * (infra/config.ts) and the bots' per-region IDs, and kept as one item of the DR table (`<connectRegion>#settings`)
 * that the stack writes at deploy time (and the local system at start). The health-check and lookup functions read
 * it once at cold start and re-read it at most once a minute; their environment holds only the table, the Connect
 * region and the bot regions — a few hundred bytes whatever the number of bots. (Lambda environment variables are
 * limited to 4 KB; an SSM parameter to 8 KB even in the Advanced tier, and there is no local SSM; the DR table
 * exists in both places and takes items up to 400 KB.) The probe function needs no settings: the Map hands each
 * invocation its request.
 */
import * as z from 'zod/mini';
import { atLeast0, atLeast1, lookupBotSchema, lookupSettingsSchema, nonEmpty, settingsParser } from './lookup-settings';

export * from './settings-item';

/**
 * `speech` is RecognizeUtterance with the shipped recording of the probe phrase (core/probe-recording.ts): what callers
 * do, and the only probe that notices a region whose speech recognition fails while its text API answers.
 */
export const PROBE_METHODS = ['liveness', 'nlu', 'v1-putsession', 'v1-posttext', 'stream', 'speech'] as const;

export const botInRegionSchema = z.object({
  botId: nonEmpty,
  botAliasId: nonEmpty,
  botAliasArn: nonEmpty,
});
export type BotInRegion = z.output<typeof botInRegionSchema>;

/** The caller-report rule (core/caller-reports.ts): when a burst of callers' reports starts a check. */
export const reportRuleSchema = z.strictObject({
  /** Start checks from reports; false: reports are only recorded and counted. */
  enabled: z.boolean(),
  /** Distinct contacts reporting the active region within `windowSeconds` that start a check. */
  contacts: z.number().check(z.int(), z.minimum(1), z.maximum(100)),
  windowSeconds: z.number().check(z.int(), z.minimum(5), z.maximum(600)),
  /** At most one report-started check per this many seconds, per bot region. */
  minIntervalSeconds: z.number().check(z.int(), z.minimum(5), z.maximum(3600)),
  /** `speech`: the check probes the reported region by speech (as callers speak); `probe`: the configured method. */
  confirmWith: z.enum(['speech', 'probe']),
});
export type ReportRule = z.output<typeof reportRuleSchema>;

/** The whole settings: the lookup's part (lookup-settings.ts), and what the health check and the bridge read. */
export const settingsSchema = z.extend(lookupSettingsSchema, {
  bots: z
    .array(
      z.extend(lookupBotSchema, {
        regions: z.record(z.string(), botInRegionSchema),
        v1: z.optional(z.object({ botName: z.string(), botAlias: z.string() })),
      }),
    )
    .check(z.minLength(1)),
  recoverThreshold: atLeast1,
  cadenceSeconds: atLeast1,
  cyclesPerExecution: atLeast1,
  nluEveryCycles: atLeast0,
  /** A cycle probes every region by speech every this many cycles (0 or absent: never). */
  speechEveryCycles: z.optional(atLeast0),
  /** Re-probe a region that just failed within the same cycle, so failThreshold failures take seconds. @default true */
  confirmFailures: z.optional(z.boolean()),
  /** Seconds between a failed probe and its confirmation. @default 1 */
  confirmDelaySeconds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(10))),
  /** Callers' reports of bot failures (core/caller-reports.ts). @default DEFAULT_REPORT_RULE */
  callerReports: z.optional(reportRuleSchema),
  probe: z.object({
    method: z.enum(PROBE_METHODS),
    utterance: nonEmpty,
    expectedIntent: nonEmpty,
    expectedSlot: z.optional(z.string()),
    timeoutMs: atLeast1,
    latencyBudgetMs: atLeast1,
  }),
});
export type Settings = z.output<typeof settingsSchema>;

/** Validates settings; throws SettingsError naming each bad key. */
export const parseSettings = settingsParser(settingsSchema);

/** Lex V2 bot alias ARN. */
export function botAliasArn(
  partition: string,
  region: string,
  account: string,
  botId: string,
  aliasId: string,
): string {
  return `arn:${partition}:lex:${region}:${account}:bot-alias/${botId}/${aliasId}`;
}
