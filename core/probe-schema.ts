/**
 * The probe's contract with the workflow: the Map item and spec it takes, the result it gives and its reasons. Apart
 * from the probe itself (probe-core.ts), which imports the Lex runtime clients: the health check reads these schemas
 * and must not load the clients with them.
 */
import { z } from 'zod';
import { PROBE_METHODS } from './settings';

/**
 * Longest `detail` a probe result carries (an error's name and message, cut with "…"): a round's results ride in
 * the workflow's state, limited to 256 KiB for every bot and region together. The probe function logs the whole
 * error.
 */
export const PROBE_DETAIL_MAX_CHARS = 80;

export const probeReasons = [
  'ok',
  'drill',
  'timeout',
  'throttled',
  'not-found',
  'server-error',
  'unreachable',
  'access-denied',
  'client-error',
  'wrong-intent',
  'slow',
  'probe-error',
] as const;
export type ProbeReason = (typeof probeReasons)[number];

/** One bot in one region, as the cycle plans it: an item of the workflow's Map state. */
export const probeTargetSchema = z.object({
  bot: z.string().min(1),
  region: z.string().min(1),
  botId: z.string().min(1),
  botAliasId: z.string().min(1),
  localeId: z.string().min(1),
  method: z.enum(PROBE_METHODS),
  /** Set by a drill: report this region failed without calling Lex. Absent when false. */
  drillFail: z.boolean().optional(),
  v1: z.object({ botName: z.string(), botAlias: z.string() }).optional(),
});
export type ProbeTarget = z.infer<typeof probeTargetSchema>;

/** What every probe of an execution shares: the state carries it once, not once per bot and region. */
export const probeSpecSchema = z.object({
  utterance: z.string().min(1),
  expectedIntent: z.string().min(1),
  expectedSlot: z.string().optional(),
  timeoutMs: z.number().int().positive(),
  latencyBudgetMs: z.number().int().positive(),
});
export type ProbeSpec = z.infer<typeof probeSpecSchema>;

/** The probe function's event: the Map's item and the execution's probe spec (the Map's ItemSelector). */
export const probeEventSchema = z.object({ target: probeTargetSchema, spec: probeSpecSchema });
export type ProbeEvent = z.infer<typeof probeEventSchema>;

/** One probe: a target with the spec. */
export type ProbeRequest = ProbeTarget & ProbeSpec;

export interface ProbeResult {
  bot: string;
  region: string;
  method: ProbeRequest['method'];
  ok: boolean;
  reason: ProbeReason;
  /** Milliseconds of the probing call; -1 when Lex was not called. */
  latencyMs: number;
  detail?: string;
}
