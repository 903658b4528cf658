/**
 * The settings item of the DR table (`<connectRegion>#settings`, the settings as JSON) and its cached reading, for
 * any reader: each reader validates the part it uses — the health check the whole settings (`parseSettings` in
 * settings.ts), the lookup only what it answers from (`parseLookupSettings` in lookup-settings.ts), so a field only
 * the health check reads can never stop callers' answers, and the lookup builds only its own schema at cold start.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SettingsError } from './errors';

/** Attribute of the settings item holding the settings as JSON. */
export const SETTINGS_ATTRIBUTE = 'settings';

/** Validates settings JSON (throws SettingsError naming each bad key): the whole settings, or one reader's part. */
export type SettingsParser<S extends { connectRegion: string }> = (input: unknown) => S;

/** Partition key (`connectRegion`) of a Connect region's settings item, beside its `lexDR` item keyed by the region. */
export function settingsItemKey(connectRegion: string): string {
  return `${connectRegion}#settings`;
}

/** The settings item as DynamoDB attributes (`settingsJson` may hold CloudFormation tokens at synth time). */
export function settingsItem(connectRegion: string, settingsJson: string): Record<string, AttributeValue> {
  return { connectRegion: { S: settingsItemKey(connectRegion) }, [SETTINGS_ATTRIBUTE]: { S: settingsJson } };
}

export function parseSettingsJson<S extends { connectRegion: string }>(
  raw: string,
  source: string,
  parse: SettingsParser<S>,
): S {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new SettingsError(`${source} is not JSON: ${(e as Error).message}`);
  }
  return parse(json);
}

/** Reads the settings out of a settings item; throws SettingsError saying what is missing or wrong. */
export function readSettingsItem<S extends { connectRegion: string }>(
  raw: Record<string, AttributeValue> | undefined,
  connectRegion: string,
  parse: SettingsParser<S>,
  tableName = 'the DR table',
): S {
  const key = settingsItemKey(connectRegion);
  if (!raw) throw new SettingsError(`no settings item "${key}" in ${tableName} (the stack writes it on deploy)`);
  const json = raw[SETTINGS_ATTRIBUTE]?.S;
  if (json === undefined)
    throw new SettingsError(`settings item "${key}" has no string attribute "${SETTINGS_ATTRIBUTE}"`);
  const settings = parseSettingsJson(json, `settings item "${key}"`, parse);
  if (settings.connectRegion !== connectRegion)
    throw new SettingsError(
      `settings item "${key}" is for Connect region ${settings.connectRegion}, not ${connectRegion}`,
    );
  return settings;
}

export interface SettingsLoaderDeps<S extends { connectRegion: string }> {
  /** GetItem of the DR table by `connectRegion` (consistent read). */
  getItem(key: string): Promise<Record<string, AttributeValue> | undefined>;
  connectRegion: string;
  /** What this reader validates: `parseSettings` (the whole settings) or `parseLookupSettings` (the lookup's part). */
  parse: SettingsParser<S>;
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
export function createSettingsLoader<S extends { connectRegion: string }>(
  deps: SettingsLoaderDeps<S>,
): () => Promise<S> {
  const maxAgeMs = deps.maxAgeMs ?? 60_000;
  let last: { settings: S; json: string; at: number } | undefined;
  let inflight: Promise<S> | undefined;
  const read = async (): Promise<S> => {
    const settings = readSettingsItem(
      await deps.getItem(settingsItemKey(deps.connectRegion)),
      deps.connectRegion,
      deps.parse,
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
