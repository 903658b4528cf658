/**
 * What the handlers know of the deployment: built once from the validated config (infra/config.ts) and the
 * bots' per-region IDs, passed as the LEXDR_SETTINGS environment variable, and read once at handler load.
 */
import { z } from 'zod';
import { SettingsError, describeIssues } from './errors';

export const PROBE_METHODS = ['liveness', 'nlu', 'v1-putsession', 'v1-posttext', 'stream'] as const;

export const botInRegionSchema = z.object({
  botId: z.string().min(1),
  botAliasId: z.string().min(1),
  botAliasArn: z.string().min(1),
});
export type BotInRegion = z.infer<typeof botInRegionSchema>;

export const settingsSchema = z.object({
  connectRegion: z.string().min(1),
  /** Bot regions in priority order. */
  regions: z.array(z.string().min(1)).min(2),
  bots: z
    .array(
      z.object({
        name: z.string().min(1),
        localeId: z.string().min(1),
        regions: z.record(z.string(), botInRegionSchema),
        v1: z.object({ botName: z.string(), botAlias: z.string() }).optional(),
      }),
    )
    .min(1),
  failThreshold: z.number().int().min(1),
  recoverThreshold: z.number().int().min(1),
  cadenceSeconds: z.number().int().min(1),
  cyclesPerExecution: z.number().int().min(1),
  nluEveryCycles: z.number().int().min(0),
  /** Re-probe a region that just failed within the same cycle, so failThreshold failures take seconds. @default true */
  confirmFailures: z.boolean().optional(),
  /** Seconds between a failed probe and its confirmation. @default 1 */
  confirmDelaySeconds: z.number().int().min(1).max(10).optional(),
  probe: z.object({
    method: z.enum(PROBE_METHODS),
    utterance: z.string().min(1),
    expectedIntent: z.string().min(1),
    expectedSlot: z.string().optional(),
    timeoutMs: z.number().int().positive(),
    latencyBudgetMs: z.number().int().positive(),
  }),
  lookupCacheSeconds: z.number().int().min(0),
});
export type Settings = z.infer<typeof settingsSchema>;

/** Validates settings; throws SettingsError naming each bad key. */
export function parseSettings(input: unknown): Settings {
  const r = settingsSchema.safeParse(input);
  if (!r.success) throw new SettingsError(`invalid lexdr settings: ${describeIssues(r.error.issues, input)}`);
  for (const bot of r.data.bots) {
    const missing = r.data.regions.filter((region) => !bot.regions[region]);
    if (missing.length > 0) throw new SettingsError(`bot ${bot.name} has no IDs for ${missing.join(', ')}`);
  }
  return r.data;
}

/** Reads LEXDR_SETTINGS (JSON) from an environment. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const raw = env.LEXDR_SETTINGS;
  if (!raw) throw new SettingsError('LEXDR_SETTINGS is not set (the stack sets it; locally `npm start` does)');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new SettingsError(`LEXDR_SETTINGS is not JSON: ${(e as Error).message}`);
  }
  return parseSettings(json);
}

/** Reads a required environment variable or fails at load with its name. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (!v) throw new SettingsError(`${name} is not set`);
  return v;
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
