/**
 * The bridge's settings (regions, bots and their IDs per region), read from the settings item of the DR table as
 * every function reads them (core/dr-table.ts): once at start — a bridge that cannot read them does not start —
 * then at most once a minute, the last settings kept when a re-read fails. The per-call lookup is built from them:
 * one lookup (and its cached `lexDR` item) per settings object, rebuilt only when a re-read found changed settings,
 * as core/lookup-handler.ts does.
 */
import { SettingsError } from '../core/errors';
import type { LookupAnswer } from '../core/lookup-core';
import type { Settings } from '../core/settings';

/** What a call is routed by: the settings, and the lookup built from them. */
export interface Routing {
  readonly settings: Settings;
  lookup(event: unknown): Promise<LookupAnswer>;
}

export interface BridgeRoutingOptions {
  /** The settings, cached: `drTableSettings` (throws only when the first read fails). */
  loadSettings(): Promise<Settings>;
  /** Where the settings come from, for the start-up error (e.g. `item "us-east-1#settings" of lexDR`). */
  source: string;
  /** The bot that answers calls. @default the first bot of the settings read at start */
  botName?: string;
  /** The lexDR lookup for one settings object. */
  lookup(settings: Settings): (event: unknown) => Promise<LookupAnswer>;
  /** Re-read settings that cannot serve the bridge's bot, or a failed re-read: the last good settings stay in use. */
  onRejected?(err: unknown): void;
}

export interface BridgeRouting {
  /** The bot that answers calls (fixed at start). */
  readonly botName: string;
  /** The settings now and their lookup (re-read at most once a minute; never throws). */
  current(): Promise<Routing>;
}

/** Why `settings` cannot serve `botName`, or undefined. */
function unusable(settings: Settings, botName: string): string | undefined {
  if (settings.bots.some((b) => b.name === botName)) return undefined;
  return `LEXDR_BOT: got "${botName}"; must be one of ${settings.bots.map((b) => b.name).join(', ')}`;
}

/** Reads the settings now (throws SettingsError saying what is wrong: a bridge without settings must not start). */
export async function bridgeRouting(o: BridgeRoutingOptions): Promise<BridgeRouting> {
  let first: Settings;
  try {
    first = await o.loadSettings();
  } catch (err) {
    const e = err as Error;
    throw new SettingsError(`cannot read the bridge's settings (${o.source}): ${e?.name ?? 'Error'}: ${e?.message}`);
  }
  const botName = o.botName ?? first.bots[0]!.name;
  const problem = unusable(first, botName);
  if (problem) throw new SettingsError(problem);
  let built: Routing = { settings: first, lookup: o.lookup(first) };
  let rejected: Settings | undefined;
  return {
    botName,
    async current() {
      let settings: Settings;
      try {
        settings = await o.loadSettings();
      } catch (err) {
        o.onRejected?.(err);
        return built;
      }
      if (settings === built.settings || settings === rejected) return built;
      const why = unusable(settings, botName);
      if (why) {
        rejected = settings;
        o.onRejected?.(new SettingsError(`re-read settings refused, the last ones stay in use: ${why}`));
        return built;
      }
      built = { settings, lookup: o.lookup(settings) };
      return built;
    },
  };
}
