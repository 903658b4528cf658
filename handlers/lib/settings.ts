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
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { SettingsError, describeIssues } from './errors';

export const PROBE_METHODS = ['liveness', 'nlu', 'v1-putsession', 'v1-posttext', 'stream'] as const;

// zod/mini: the same checks and messages as zod's chained API, but only what they use is bundled, and each shared
// schema is built once — the lookup builds these at every cold start.
const str = z.string();
const nonEmpty = z.string().check(z.minLength(1));
const atLeast0 = z.number().check(z.int(), z.minimum(0));
const atLeast1 = z.number().check(z.int(), z.minimum(1));
const positiveInt = z.number().check(z.int(), z.positive());
// zod/mini loads no locale of its own: the English messages zod's chained API sets, so errors read alike everywhere.
z.config(en());

export const botInRegionSchema = z.object({
  botId: nonEmpty,
  botAliasId: nonEmpty,
  botAliasArn: nonEmpty,
});
export type BotInRegion = z.infer<typeof botInRegionSchema>;

export const settingsSchema = z.object({
  connectRegion: nonEmpty,
  /** Bot regions in priority order. */
  regions: z.array(nonEmpty).check(z.minLength(2)),
  bots: z
    .array(
      z.object({
        name: nonEmpty,
        localeId: nonEmpty,
        regions: z.record(str, botInRegionSchema),
        v1: z.optional(z.object({ botName: str, botAlias: str })),
      }),
    )
    .check(z.minLength(1)),
  failThreshold: atLeast1,
  recoverThreshold: atLeast1,
  cadenceSeconds: atLeast1,
  cyclesPerExecution: atLeast1,
  nluEveryCycles: atLeast0,
  /** Re-probe a region that just failed within the same cycle, so failThreshold failures take seconds. @default true */
  confirmFailures: z.optional(z.boolean()),
  /** Seconds between a failed probe and its confirmation. @default 1 */
  confirmDelaySeconds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(10))),
  probe: z.object({
    method: z.enum(PROBE_METHODS),
    utterance: nonEmpty,
    expectedIntent: nonEmpty,
    expectedSlot: z.optional(str),
    timeoutMs: positiveInt,
    latencyBudgetMs: positiveInt,
  }),
  lookupCacheSeconds: atLeast0,
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

/** Reads LEXDR_SETTINGS (JSON) from an environment (the Twilio bridge's container, which has no 4 KB limit). */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const raw = env.LEXDR_SETTINGS;
  if (!raw) throw new SettingsError('LEXDR_SETTINGS is not set (the stack sets it; locally `npm start` does)');
  return parseSettingsJson(raw, 'LEXDR_SETTINGS');
}

function parseSettingsJson(raw: string, source: string): Settings {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new SettingsError(`${source} is not JSON: ${(e as Error).message}`);
  }
  return parseSettings(json);
}

// ---------- the settings item of the DR table ----------

/** Environment variables of the functions that read the settings item (names shared by the stack and handlers). */
export const SETTINGS_ENV = {
  /** The DR table. */
  table: 'TABLE_NAME',
  /** The Connect region whose `lexDR` item and settings item the function reads. */
  connectRegion: 'LEXDR_CONNECT_REGION',
  /** Bot regions in priority order, comma-separated: what the lookup answers when it cannot read the settings. */
  regions: 'LEXDR_REGIONS',
} as const;

/** Attribute of the settings item holding the settings as JSON. */
export const SETTINGS_ATTRIBUTE = 'settings';

/** Partition key (`connectRegion`) of a Connect region's settings item, beside its `lexDR` item keyed by the region. */
export function settingsItemKey(connectRegion: string): string {
  return `${connectRegion}#settings`;
}

/** The settings item as DynamoDB attributes (`settingsJson` may hold CloudFormation tokens at synth time). */
export function settingsItem(connectRegion: string, settingsJson: string): Record<string, AttributeValue> {
  return { connectRegion: { S: settingsItemKey(connectRegion) }, [SETTINGS_ATTRIBUTE]: { S: settingsJson } };
}

/** Reads the settings out of a settings item; throws SettingsError saying what is missing or wrong. */
export function readSettingsItem(
  raw: Record<string, AttributeValue> | undefined,
  connectRegion: string,
  tableName = 'the DR table',
): Settings {
  const key = settingsItemKey(connectRegion);
  if (!raw) throw new SettingsError(`no settings item "${key}" in ${tableName} (the stack writes it on deploy)`);
  const json = raw[SETTINGS_ATTRIBUTE]?.S;
  if (json === undefined)
    throw new SettingsError(`settings item "${key}" has no string attribute "${SETTINGS_ATTRIBUTE}"`);
  const settings = parseSettingsJson(json, `settings item "${key}"`);
  if (settings.connectRegion !== connectRegion)
    throw new SettingsError(
      `settings item "${key}" is for Connect region ${settings.connectRegion}, not ${connectRegion}`,
    );
  return settings;
}

export interface SettingsLoaderDeps {
  /** GetItem of the DR table by `connectRegion` (consistent read). */
  getItem(key: string): Promise<Record<string, AttributeValue> | undefined>;
  connectRegion: string;
  tableName?: string;
  now(): number;
  /** Re-read the item when the last read is older than this (a deploy that adds a bot reaches warm functions). @default 60 000 */
  maxAgeMs?: number;
  /** Called when a re-read fails and the last settings stay in use. */
  onStale?(err: unknown): void;
}

/**
 * Settings read from the DR table once and cached: re-read at most once per `maxAgeMs`, a failed re-read keeps
 * the last settings (and is retried after `maxAgeMs`), concurrent callers share one read. Only a first read that
 * fails throws.
 */
export function createSettingsLoader(deps: SettingsLoaderDeps): () => Promise<Settings> {
  const maxAgeMs = deps.maxAgeMs ?? 60_000;
  let last: { settings: Settings; json: string; at: number } | undefined;
  let inflight: Promise<Settings> | undefined;
  const read = async (): Promise<Settings> => {
    const settings = readSettingsItem(
      await deps.getItem(settingsItemKey(deps.connectRegion)),
      deps.connectRegion,
      deps.tableName,
    );
    const json = JSON.stringify(settings);
    // Unchanged settings keep their identity, so what a caller built from them stays valid.
    last = { settings: last?.json === json ? last.settings : settings, json, at: deps.now() };
    return last.settings;
  };
  return async () => {
    if (last && deps.now() - last.at < maxAgeMs) return last.settings;
    inflight ??= read()
      .catch((err: unknown) => {
        if (!last) throw err;
        deps.onStale?.(err);
        last = { ...last, at: deps.now() };
        return last.settings;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
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
