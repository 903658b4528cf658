/**
 * Amazon Connect's "which region now?": reads the lexDR item (cached for a few seconds) and answers a flat
 * string map. Never throws: a bad event or an unreadable table still gets a safe answer, with a status saying so.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { ERR, readItem } from './dr-item-read';
import { withTimeout } from './timeout';
import type { DrItem } from './dr-item-read';
import type { LookupSettings } from './lookup-settings';

/** The parts of a Connect ContactFlowEvent the lookup reads (the name, the flow's parameters). Parameters are optional. */
export const connectEventSchema = z.object({
  Name: z.optional(z.literal('ContactFlowEvent')),
  Details: z.object({
    Parameters: z.optional(
      z.looseObject({
        /** Seed-compatible: the Connect region whose lexDR item to read. */
        region: z.optional(z.string().check(z.maxLength(64))),
        /** The bot the flow is about to use (default: the first configured bot). */
        bot: z.optional(z.string().check(z.maxLength(100))),
      }),
    ),
  }),
});

export type LookupStatus = 'ok' | 'pinned' | 'err' | 'stale' | 'default' | 'bad-input';

/** Flat map of strings (Connect's STRING_MAP response validation). */
export interface LookupAnswer {
  [key: string]: string;
  /** Region to use now, or "err" when none is healthy. */
  lexRegion: string;
  /** Seed-compatible copy of lexRegion (the 2020 "Flower DR Flow" branches on it). */
  primaryCode: string;
  connectRegion: string;
  botName: string;
  botAliasArn: string;
  localeId: string;
  fallbackRegion: string;
  fallbackBotAliasArn: string;
  status: LookupStatus;
  detail: string;
}

export interface LookupDeps {
  settings: LookupSettings;
  /** GetItem of the lexDR item by connectRegion. */
  getItem(key: string): Promise<Record<string, AttributeValue> | undefined>;
  now(): number;
  /** Bound on one table read, well inside Connect's 8-second budget. */
  readTimeoutMs?: number;
  onError?(err: unknown, context: Record<string, unknown>): void;
}

interface Cached {
  item: DrItem | null;
  at: number;
}

/** The latest failed read: until a cache period has passed, calls answer from the last known item without reading. */
interface Failure {
  at: number;
  error: string;
}

class LookupTimeoutError extends Error {
  override name = 'LookupTimeoutError';
}

export function createLookup(deps: LookupDeps) {
  const { settings } = deps;
  const cacheMs = settings.lookupCacheSeconds * 1000;
  const readTimeoutMs = deps.readTimeoutMs ?? 700;
  /** How long a failed read keeps callers on the last known item before the table is tried again. */
  const retryAfterMs = Math.max(cacheMs, 1000);
  let cached: Cached | undefined;
  let failure: Failure | undefined;
  let inflight: Promise<DrItem | null> | undefined;

  async function load(): Promise<DrItem | null> {
    inflight ??= withTimeout(
      deps.getItem(settings.connectRegion),
      readTimeoutMs,
      () => new LookupTimeoutError(`table read exceeded ${readTimeoutMs} ms`),
    )
      .then((raw) => {
        const item = readItem(raw, settings);
        cached = { item, at: deps.now() };
        failure = undefined;
        return item;
      })
      .catch((err: unknown) => {
        failure = { at: deps.now(), error: (err as Error)?.name ?? 'Error' };
        throw err;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  function answerFor(
    botName: string,
    lexRegion: string,
    item: DrItem | null,
    status: LookupStatus,
    detail: string,
  ): LookupAnswer {
    const bot = settings.bots.find((b) => b.name === botName) ?? settings.bots[0]!;
    const arn = (r: string) => bot.regions[r]?.botAliasArn ?? '';
    const healthy = (r: string) => (item?.regionHealth[r]?.fails ?? 0) < settings.failThreshold;
    const others = settings.regions.filter((r) => r !== lexRegion);
    const fallback = lexRegion === ERR ? '' : (others.find(healthy) ?? others[0] ?? '');
    return {
      lexRegion,
      primaryCode: lexRegion,
      connectRegion: settings.connectRegion,
      botName: bot.name,
      botAliasArn: lexRegion === ERR ? '' : arn(lexRegion),
      localeId: bot.localeId,
      fallbackRegion: fallback,
      fallbackBotAliasArn: fallback ? arn(fallback) : '',
      status,
      detail,
    };
  }

  return async function lookup(event: unknown): Promise<LookupAnswer> {
    const primary = settings.regions[0]!;
    const parsed = z.safeParse(connectEventSchema, event);
    const params = parsed.success ? (parsed.data.Details.Parameters ?? {}) : {};
    let badInput: string | null = parsed.success ? null : 'not a Connect ContactFlowEvent';
    if (params.bot !== undefined && !settings.bots.some((b) => b.name === params.bot))
      badInput = `unknown bot "${params.bot}"`;
    if (params.region !== undefined && params.region !== settings.connectRegion)
      badInput = `region "${params.region}" is not this deployment's Connect region (${settings.connectRegion})`;
    const botName = params.bot ?? settings.bots[0]!.name;

    const known = await current();
    const { item } = known;
    const lexRegion =
      item && (item.lexRegion === ERR || settings.regions.includes(item.lexRegion)) ? item.lexRegion : primary;
    if (badInput) return answerFor(botName, lexRegion, item, 'bad-input', badInput);
    return answerFor(botName, lexRegion, item, known.status, known.detail);
  };

  /** The item to answer from: cached, read, or — when the table cannot be read — the last one read. */
  async function current(): Promise<{ item: DrItem | null; status: LookupStatus; detail: string }> {
    const unreadable = (errorName: string) => ({
      item: cached?.item ?? null,
      status: (cached ? 'stale' : 'default') as LookupStatus,
      detail: `lexDR unreadable (${errorName}): ${cached ? 'last known region' : 'primary region'}`,
    });
    const now = deps.now();
    let item: DrItem | null;
    if (cached && now - cached.at < cacheMs) item = cached.item;
    // The table failed moments ago: answer at once from what is known; one call per period tries again.
    else if (failure && now - failure.at < retryAfterMs) return unreadable(failure.error);
    else {
      try {
        item = await load();
      } catch (err) {
        deps.onError?.(err, { connectRegion: settings.connectRegion });
        return unreadable((err as Error)?.name ?? 'Error');
      }
    }
    if (item === null) return { item, status: 'default', detail: 'no lexDR item yet: primary region' };
    return { item, status: item.lexRegion === ERR ? 'err' : item.pin ? 'pinned' : 'ok', detail: '' };
  }
}
