/** The lookup Lambda's adapter: the DR table's lookup client (bounded reads) behind the pure lookup core. */
import type { DrTable } from './dr-table';
import { READ_TIMEOUT_MS, drTableSettings } from './dr-table';
import type { LookupAnswer } from './lookup-core';
import { createLookup } from './lookup-core';
import type { LookupSettings } from './lookup-settings';
import { parseLookupSettings } from './lookup-settings';
import type { logger as Logger } from './powertools';

type Level = 'warn' | 'error';
let loggerLoaded: Promise<typeof Logger> | undefined;
/**
 * Logs through the Powertools logger, loaded at its first use: the lookup logs only when something is wrong, so a
 * healthy cold start does without it (loading it and `new Logger` cost init time). Entries keep
 * their order: each waits on the same load.
 */
function log(level: Level, message: string, extra: Record<string, unknown>): void {
  loggerLoaded ??= import('./powertools').then((m) => m.logger);
  loggerLoaded.then(
    (logger) => logger[level](message, extra),
    (err: unknown) => console.error(message, extra, err),
  );
}

export type LookupHandlerDeps = {
  /** The DR table, through a client bounded for the lookup (`drTableClient('lookup')`). */
  table: DrTable;
  now?: () => number;
} & (
  | {
      /** Fixed settings (tests). */
      settings: LookupSettings;
    }
  | {
      /** Read the settings item of the DR table (at the first call, then at most once a minute). */
      settingsFromTable: {
        connectRegion: string;
        /** Bot regions in priority order: the answer while the settings cannot be read. */
        regions: readonly string[];
        /** @default a `createSettingsLoader` on this handler's client (consistent reads) */
        loadSettings?: () => Promise<LookupSettings>;
      };
    }
);

/** The lookup has never read its settings (a cold start while the table is unreadable). */
export class SettingsUnavailableError extends Error {
  override name = 'SettingsUnavailableError';
}

/** What the lookup would answer before it has ever read its settings (cold start while the table is unreadable). */
export function withoutSettingsAnswer(connectRegion: string, regions: readonly string[], err: unknown): LookupAnswer {
  const primary = regions[0] ?? '';
  return {
    lexRegion: primary,
    primaryCode: primary,
    connectRegion,
    botName: '',
    botAliasArn: '',
    localeId: '',
    fallbackRegion: regions[1] ?? '',
    fallbackBotAliasArn: '',
    status: 'default',
    detail: `settings unreadable (${(err as Error)?.name ?? 'Error'}): primary region`,
  };
}

export function createLookupHandler(deps: LookupHandlerDeps): (event: unknown) => Promise<LookupAnswer> {
  const { table } = deps;
  const now = deps.now ?? Date.now;
  const build = (settings: LookupSettings) =>
    createLookup({
      settings,
      now,
      getItem: (key) => table.getItem(key),
      readTimeoutMs: READ_TIMEOUT_MS,
      onError: (err, context) => log('error', 'lexDR read failed', { ...context, error: err as Error }),
    });
  const answer = async (lookup: (event: unknown) => Promise<LookupAnswer>, event: unknown) => {
    const a = await lookup(event);
    if (a.status !== 'ok') log('warn', 'lookup answered with a degraded status', { answer: a });
    return a;
  };

  if ('settings' in deps) {
    const lookup = build(deps.settings);
    return (event) => answer(lookup, event);
  }
  const { connectRegion, regions } = deps.settingsFromTable;
  const loadSettings =
    deps.settingsFromTable.loadSettings ??
    drTableSettings(table, {
      connectRegion,
      parse: parseLookupSettings,
      now,
      onStale: (err) => log('warn', 'settings re-read failed; using the last settings', { error: err as Error }),
    });
  // One lookup (and its cached lexDR item) per settings: rebuilt only when a deploy changed them.
  let built: { settings: LookupSettings; lookup: (event: unknown) => Promise<LookupAnswer> } | undefined;
  return async (event) => {
    let settings: LookupSettings;
    try {
      settings = await loadSettings();
    } catch (err) {
      // Without its settings the lookup knows no alias ARN to answer: it fails, and the contact flow's error branch
      // connects the caller to the bots by their deployed aliases (primary, then secondary).
      log('error', 'settings unreadable: the flow falls back to its deployed aliases', {
        connectRegion,
        answerWouldBe: withoutSettingsAnswer(connectRegion, regions, err).lexRegion,
        error: err as Error,
      });
      throw new SettingsUnavailableError(
        `lexdr settings for ${connectRegion} unreadable (${(err as Error)?.name ?? 'Error'}); the flow uses its deployed aliases`,
      );
    }
    if (built?.settings !== settings) built = { settings, lookup: build(settings) };
    return answer(built.lookup, event);
  };
}
