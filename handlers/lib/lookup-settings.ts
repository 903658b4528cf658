/**
 * What the lookup reads of the settings, and all it validates of them: a field only the health check reads cannot
 * stop callers' answers, and the lookup's cold start builds only this. The whole settings schema (settings.ts)
 * extends this one (`z.safeExtend`), so each field the lookup reads is checked alike everywhere, and every
 * `Settings` is a `LookupSettings`.
 */
import * as z from 'zod/mini';
import { atLeast0, atLeast1, nonEmpty, str } from './schema';
import { settingsParser } from './settings-item';

/** A bot as the lookup answers it: its name, its locale, and its alias in each region. */
export const lookupBotSchema = z.object({
  name: nonEmpty,
  localeId: nonEmpty,
  regions: z.record(str, z.object({ botAliasArn: nonEmpty })),
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
export type LookupSettings = z.infer<typeof lookupSettingsSchema>;

/** Validates the lookup's part of settings; throws SettingsError naming each bad key (as `parseSettings` does). */
export const parseLookupSettings = settingsParser(lookupSettingsSchema);
