/**
 * OrderFlowers fulfillment Lambda (the bot's fulfillment code hook). A thin adapter: reads its settings
 * once at load, builds the deliberately slow order back end and hands each event to the core.
 *
 * Environment:
 * - FULFILLMENT_DELAY_MS: how long placing an order takes (default 3000) — long enough that Lex's
 *   fulfillment progress updates are heard.
 * - FULFILLMENT_FAIL_RATE: share of orders that fail, 0–1 (default 0).
 */
import { z } from 'zod';
import { createSlowBackend, fulfillOrder } from './fulfillment-core';
import type { LexV2CodeHookResponse } from './fulfillment-core';
import { logger } from '../core/powertools';

/** The fulfillment Lambda's environment is malformed. */
export class FulfillmentSettingsError extends Error {
  override name = 'FulfillmentSettingsError';
}

const envSchema = z.object({
  FULFILLMENT_DELAY_MS: z.coerce.number().int().min(0).max(900_000).default(3000),
  FULFILLMENT_FAIL_RATE: z.coerce.number().min(0).max(1).default(0),
});

/** Reads the fulfillment settings; throws {@link FulfillmentSettingsError} naming the bad variable and value. */
export function fulfillmentSettings(env: NodeJS.ProcessEnv = process.env): { delayMs: number; failRate: number } {
  const r = envSchema.safeParse({
    FULFILLMENT_DELAY_MS: env.FULFILLMENT_DELAY_MS || undefined,
    FULFILLMENT_FAIL_RATE: env.FULFILLMENT_FAIL_RATE || undefined,
  });
  if (!r.success)
    throw new FulfillmentSettingsError(
      r.error.issues
        .map((i) => `${i.path.join('.')}: got ${JSON.stringify(env[String(i.path[0])])}; ${i.message}`)
        .join('; '),
    );
  return { delayMs: r.data.FULFILLMENT_DELAY_MS, failRate: r.data.FULFILLMENT_FAIL_RATE };
}

const settings = fulfillmentSettings();
const placeOrder = createSlowBackend({
  ...settings,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

export const handler = async (event: unknown): Promise<LexV2CodeHookResponse> =>
  fulfillOrder(event, { placeOrder, logger });
