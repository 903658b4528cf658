/** Deterministic identifiers for the local Lex regions (real Lex IDs are 10 characters of [0-9A-Z]). */
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** 10 characters of [0-9A-Z] derived from `seed`: the same seed always gives the same ID. */
export function lexId(seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  let id = '';
  for (let i = 0; i < 10; i += 1) id += ALPHABET[(digest[i] ?? 0) % ALPHABET.length];
  return id;
}

/**
 * The bot and alias IDs of `botName` in a local region. Like real per-region bots, the IDs differ from
 * region to region; pass the same IDs to several regions to model a Global Resiliency replica instead.
 */
export function localBotIds(region: string, botName: string): { botId: string; botAliasId: string } {
  return { botId: lexId(`bot:${region}:${botName}`), botAliasId: lexId(`alias:${region}:${botName}`) };
}

/** A Lex V1-style session ID (Lex V1 makes one per user session). */
export function newV1SessionId(now: number): string {
  return `${new Date(now).toISOString()}-${randomBytes(4).toString('hex')}`;
}
