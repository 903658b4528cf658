/**
 * Time for the local Lex regions: the clock and timers they run on (`LexTimer`), a scaled clock (bot time
 * running faster than the wall clock, so that tests of 12-second fulfillments with 5-second updates take a
 * second) and the per-intent fulfillment delay that makes a slow fulfillment Lambda on demand. Real seconds
 * are the default everywhere.
 */
import type { LexV2CodeHookEvent, LexV2CodeHookResponse } from '../../bot/fulfillment-core';

/** The clock and timers the engine uses; tests pass a faster one. */
export interface LexTimer {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimer: LexTimer = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** An invalid time scale. */
export class TimeScaleError extends Error {
  override name = 'TimeScaleError';
}

/**
 * Bot time running `scale` times faster than the wall clock (1 = real time). A timer that fires moves the
 * clock at least to its deadline (a real timer may fire a millisecond early), so `now()` never runs behind
 * what a fired timer promised.
 */
export function scaledTimer(scale: number): LexTimer {
  if (!Number.isFinite(scale) || scale < 1 || scale > 1000)
    throw new TimeScaleError(`time scale ${scale}: must be a number 1–1000 (1 = real seconds)`);
  if (scale === 1) return realTimer;
  const t0 = Date.now();
  let floor = t0;
  const timer: LexTimer = {
    now: () => Math.max(floor, t0 + (Date.now() - t0) * scale),
    setTimeout: (fn, ms) => {
      const deadline = timer.now() + ms;
      return setTimeout(() => {
        floor = Math.max(floor, deadline);
        fn();
      }, ms / scale);
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
  return timer;
}

export type Fulfill = (event: LexV2CodeHookEvent) => Promise<LexV2CodeHookResponse>;

/** The per-intent delay added before the fulfillment code hook runs (bot time). */
export interface FulfillmentDelays {
  /** The code hook with the delays applied. */
  fulfill: Fulfill;
  /** Sets (or, with `undefined`, clears) the delay for one intent. */
  set(intent: string, delayMs: number | undefined): void;
  all(): Record<string, number>;
  /** Releases every waiting fulfillment at once (region shutdown). */
  close(): void;
}

export function fulfillmentDelays(inner: Fulfill, timer: LexTimer): FulfillmentDelays {
  const delays = new Map<string, number>();
  const waiting = new Set<{ handle: unknown; wake: () => void }>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        handle: timer.setTimeout(() => entry.wake(), ms),
        wake: () => {
          timer.clearTimeout(entry.handle);
          waiting.delete(entry);
          resolve();
        },
      };
      waiting.add(entry);
    });
  return {
    fulfill: async (event) => {
      const ms = delays.get(event.sessionState.intent.name) ?? 0;
      if (ms > 0) await sleep(ms);
      return inner(event);
    },
    set: (intent, delayMs) => {
      if (delayMs === undefined) delays.delete(intent);
      else delays.set(intent, delayMs);
    },
    all: () => Object.fromEntries(delays),
    close: () => {
      for (const w of [...waiting]) w.wake();
    },
  };
}
