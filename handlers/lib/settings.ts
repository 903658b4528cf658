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
import * as v from 'valibot';
import { SettingsError } from './errors';
import { atLeast0, atLeast1, lookupBotSchema, lookupSettingsSchema, nonEmpty, settingsParser } from './lookup-settings';
import { parseSettingsJson } from './settings-item';

export * from './settings-item';

export const PROBE_METHODS = ['liveness', 'nlu', 'v1-putsession', 'v1-posttext', 'stream'] as const;

export const botInRegionSchema = v.object({
  botId: nonEmpty,
  botAliasId: nonEmpty,
  botAliasArn: nonEmpty,
});
export type BotInRegion = v.InferOutput<typeof botInRegionSchema>;

/** The whole settings: the lookup's part (lookup-settings.ts), and what the health check and the bridge read. */
export const settingsSchema = v.object({
  ...lookupSettingsSchema.entries,
  bots: v.pipe(
    v.array(
      v.object({
        ...lookupBotSchema.entries,
        regions: v.record(v.string(), botInRegionSchema),
        v1: v.optional(v.object({ botName: v.string(), botAlias: v.string() })),
      }),
    ),
    v.minLength(1),
  ),
  recoverThreshold: atLeast1,
  cadenceSeconds: atLeast1,
  cyclesPerExecution: atLeast1,
  nluEveryCycles: atLeast0,
  /** Re-probe a region that just failed within the same cycle, so failThreshold failures take seconds. @default true */
  confirmFailures: v.optional(v.boolean()),
  /** Seconds between a failed probe and its confirmation. @default 1 */
  confirmDelaySeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10))),
  probe: v.object({
    method: v.picklist(PROBE_METHODS),
    utterance: nonEmpty,
    expectedIntent: nonEmpty,
    expectedSlot: v.optional(v.string()),
    timeoutMs: atLeast1,
    latencyBudgetMs: atLeast1,
  }),
});
export type Settings = v.InferOutput<typeof settingsSchema>;

/** Validates settings; throws SettingsError naming each bad key. */
export const parseSettings = settingsParser(settingsSchema);

/** Reads LEXDR_SETTINGS (JSON) from an environment (the Twilio bridge's container, which has no 4 KB limit). */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const raw = env.LEXDR_SETTINGS;
  if (!raw) throw new SettingsError('LEXDR_SETTINGS is not set (the stack sets it; locally `npm start` does)');
  return parseSettingsJson(raw, 'LEXDR_SETTINGS', parseSettings);
}

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
