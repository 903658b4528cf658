/**
 * The settings' schemas start here, with what the lookup reads of them — all it validates: a field only the health
 * check reads cannot stop callers' answers. The whole settings schema (settings.ts) extends this one, so each field
 * the lookup reads is checked alike everywhere, and every `Settings` is a `LookupSettings`.
 *
 * valibot, not zod, for the settings item and the lookup's Connect event: the lookup builds these schemas at every
 * cold start, where zod/mini's took about 6 ms and valibot's (plain objects) take under 1 ms.
 */
import * as v from 'valibot';
import { SettingsError, describeIssues } from './errors';
import type { SettingsParser } from './settings-item';

export const nonEmpty = v.pipe(v.string(), v.minLength(1));
export const atLeast0 = v.pipe(v.number(), v.integer(), v.minValue(0));
export const atLeast1 = v.pipe(v.number(), v.integer(), v.minValue(1));

/** A bot as the lookup answers it: its name, its locale, and its alias in each region. */
export const lookupBotSchema = v.object({
  name: nonEmpty,
  localeId: nonEmpty,
  regions: v.record(v.string(), v.object({ botAliasArn: nonEmpty })),
});

export const lookupSettingsSchema = v.object({
  connectRegion: nonEmpty,
  /** Bot regions in priority order. */
  regions: v.pipe(v.array(nonEmpty), v.minLength(2)),
  bots: v.pipe(v.array(lookupBotSchema), v.minLength(1)),
  failThreshold: atLeast1,
  lookupCacheSeconds: atLeast0,
});
/** The lookup's part of the settings. */
export type LookupSettings = v.InferOutput<typeof lookupSettingsSchema>;

/** A valibot issue as `describeIssues` reads it: its path of keys and its message. */
const issuesOf = (issues: readonly v.BaseIssue<unknown>[]) =>
  issues.map((i) => ({ path: (i.path ?? []).map((p) => p.key as PropertyKey), message: i.message }));

/**
 * A parser of settings from a schema of them: the schema's checks (SettingsError naming each bad key), then every
 * bot must have its IDs in every region.
 */
export function settingsParser<S extends LookupSettings>(schema: v.GenericSchema<unknown, S>): SettingsParser<S> {
  return (input) => {
    const r = v.safeParse(schema, input);
    if (!r.success) throw new SettingsError(`invalid lexdr settings: ${describeIssues(issuesOf(r.issues), input)}`);
    for (const bot of r.output.bots) {
      const missing = r.output.regions.filter((region) => !bot.regions[region]);
      if (missing.length > 0) throw new SettingsError(`bot ${bot.name} has no IDs for ${missing.join(', ')}`);
    }
    return r.output;
  };
}

/** Validates the lookup's part of settings; throws SettingsError naming each bad key (as `parseSettings` does). */
export const parseLookupSettings = settingsParser(lookupSettingsSchema);
