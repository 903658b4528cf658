/**
 * A region's injected fault (see `FaultMode`): the current fault, the requests parked by `hang` and the
 * pending `slow` delays, and the errors the fault modes answer with (the same for every API; `nospeech`: for the
 * speech APIs).
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { ErrorKind } from './protocol';
import type { Fault } from './types';
import { LEX_FAULT_MODES } from './types';

/** `slow` without `latencyMs`. */
export const DEFAULT_SLOW_MS = 3000;

export const faultSchema = z.object({
  mode: z.enum(LEX_FAULT_MODES, { error: `mode must be one of ${LEX_FAULT_MODES.join(', ')}` }),
  latencyMs: z
    .number({ error: 'latencyMs must be a number of milliseconds 0–600000' })
    .int({ error: 'latencyMs must be a whole number of milliseconds 0–600000' })
    .min(0, { error: 'latencyMs must be 0–600000' })
    .max(600_000, { error: 'latencyMs must be 0–600000' })
    .optional(),
});

/** The fault modes that answer with an error, and its kind. */
export const FAULT_ERRORS: Partial<Record<Fault['mode'], ErrorKind>> = {
  down: 'internal',
  throttled: 'throttled',
  notfound: 'notfound',
};

/** The fault modes that fail speech recognition only, and the error they answer it with. */
export const SPEECH_FAULT_ERRORS: Partial<Record<Fault['mode'], ErrorKind>> = { nospeech: 'internal' };

/** The message of a fault mode's error (`down`, `throttled`, `notfound`, `nospeech`). */
export function faultMessage(f: Fault, region: string): string {
  if (f.mode === 'down') return `Lex in ${region} is unavailable (injected fault)`;
  if (f.mode === 'nospeech') return `Speech recognition in ${region} is unavailable (injected fault)`;
  if (f.mode === 'throttled') return `Rate exceeded in ${region} (injected fault)`;
  return `Bot alias not found in ${region} (injected fault)`;
}

/** The error `f` answers a request with, if any; `speech`: the request recognises speech (audio input). */
export function faultError(
  f: Fault,
  region: string,
  speech: boolean,
): { kind: ErrorKind; message: string } | undefined {
  const kind = FAULT_ERRORS[f.mode] ?? (speech ? SPEECH_FAULT_ERRORS[f.mode] : undefined);
  return kind && { kind, message: faultMessage(f, region) };
}

export class RegionFaults {
  private fault: Fault = { mode: 'none' };
  private closed = false;
  /** Wakes requests parked by `hang` (on fault change or close). */
  private readonly parked = new Set<() => void>();
  /** Pending `slow` delays, cleared on close. */
  private readonly delays = new Set<{ handle: NodeJS.Timeout; wake: () => void }>();

  constructor(private readonly region: string) {}

  get current(): Fault {
    return this.fault;
  }

  get closing(): boolean {
    return this.closed;
  }

  /** Sets the fault (normalised: `latencyMs` only when given) and wakes the parked requests unless it is `hang`. */
  set(f: Fault): Fault {
    this.fault = { mode: f.mode, ...(f.latencyMs !== undefined && { latencyMs: f.latencyMs }) };
    if (this.fault.mode !== 'hang') this.wakeParked();
    return this.fault;
  }

  /**
   * The error the fault answers a request with, if any: every request (`down`, `throttled`, `notfound`), or a speech
   * request (`nospeech`).
   */
  error(speech: boolean): { kind: ErrorKind; message: string } | undefined {
    return faultError(this.fault, this.region, speech);
  }

  /**
   * Holds a request the fault does not fail: `hang` parks it until the fault changes, `slow` delays it.
   * Resolves false when the request should be dropped (closing, or the client gone); undefined when the
   * fault holds nothing.
   */
  hold(req: IncomingMessage): Promise<boolean> | undefined {
    if (this.fault.mode === 'hang') return this.waitWhileHung(req);
    if (this.fault.mode === 'slow') return this.sleep(this.fault.latencyMs ?? DEFAULT_SLOW_MS).then(() => !this.closed);
    return undefined;
  }

  /** Wakes every parked request and pending delay; from now on requests are dropped. */
  close(): void {
    this.closed = true;
    this.wakeParked();
    for (const d of [...this.delays]) d.wake();
  }

  private wakeParked(): void {
    for (const wake of [...this.parked]) wake();
    this.parked.clear();
  }

  /** Parks the request while the region hangs; false if it should be dropped (closing or client gone). */
  private async waitWhileHung(req: IncomingMessage): Promise<boolean> {
    while (this.fault.mode === 'hang' && !this.closed) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.parked.delete(wake);
          req.socket.off('close', wake);
          resolve();
        };
        this.parked.add(wake);
        req.socket.once('close', wake);
      });
      if (req.socket.destroyed) return false;
    }
    return !this.closed;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const entry = {
        handle: setTimeout(() => {
          this.delays.delete(entry);
          resolve();
        }, ms),
        wake: () => {
          clearTimeout(entry.handle);
          this.delays.delete(entry);
          resolve();
        },
      };
      this.delays.add(entry);
    });
  }
}
