/**
 * The settings' schemas start here, with what the lookup reads of them — all it validates: a field only the health
 * check reads cannot stop callers' answers. The whole settings schema (settings.ts) extends this one, so each field
 * the lookup reads is checked alike everywhere, and every `Settings` is a `LookupSettings`.
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { SettingsError, describeIssues } from './errors';
import type { SettingsParser } from './settings-item';

// zod/mini, zod's functional API: the same checks and messages as its chained API, but only what a schema uses is
// bundled (the lookup's bundle would carry the whole chained API, some 450 KB). Import the namespace in each module:
// a re-exported namespace defeats the bundler's tree-shaking. zod/mini loads no locale: the English messages the
// chained API uses, so errors read alike everywhere.
z.config(en());

export const nonEmpty = z.string().check(z.minLength(1));
export const atLeast0 = z.number().check(z.int(), z.minimum(0));
export const atLeast1 = z.number().check(z.int(), z.minimum(1));

/** A bot as the lookup answers it: its name, its locale, and its alias in each region. */
export const lookupBotSchema = z.object({
  name: nonEmpty,
  localeId: nonEmpty,
  regions: z.record(z.string(), z.object({ botAliasArn: nonEmpty })),
});

export const lookupSettingsSchema = z.object({
  connectRegion: nonEmpty,
  /** Bot regions in priority order. */
  regions: z.array(nonEmpty).check(z.minLength(2)),
  bots: z.array(lookupBotSchema).check(z.minLength(1)),
  failThreshold: atLeast1,
  lookupCacheSeconds: atLeast0,
});
/** The lookup's part of the settings. */
export type LookupSettings = z.output<typeof lookupSettingsSchema>;

/**
 * A parser of settings from a schema of them: the schema's checks (SettingsError naming each bad key), then every
 * bot must have its IDs in every region.
 */
export function settingsParser<S extends LookupSettings>(schema: z.ZodMiniType<S>): SettingsParser<S> {
  return (input) => {
    const r = z.safeParse(schema, input);
    if (!r.success) throw new SettingsError(`invalid lexdr settings: ${describeIssues(r.error.issues, input)}`);
    for (const bot of r.data.bots) {
      const missing = r.data.regions.filter((region) => !bot.regions[region]);
      if (missing.length > 0) throw new SettingsError(`bot ${bot.name} has no IDs for ${missing.join(', ')}`);
    }
    return r.data;
  };
}

/** Validates the lookup's part of settings; throws SettingsError naming each bad key (as `parseSettings` does). */
export const parseLookupSettings = settingsParser(lookupSettingsSchema);
