/**
 * Faults of lexdr's own Lambda functions, as Step Functions reports them to the Task that invoked the function:
 * the Lambda service throttling it, failing, or the function running past its timeout. The local workflow runner
 * invokes the wrapped handler, so the ASL's Retry and Catch see exactly the error names AWS gives them.
 */
import { z } from 'zod';
import { LAMBDA_FAULT_MODES } from './fault-modes';
import type { LambdaFaultMode } from './fault-modes';

export { FUNCTION_TARGETS, LAMBDA_FAULT_HELP, LAMBDA_FAULT_MODES } from './fault-modes';
export type { FunctionTarget, LambdaFaultMode } from './fault-modes';

export const lambdaFaultSchema = z
  .object({
    mode: z.enum(LAMBDA_FAULT_MODES),
    /** Only the next `first` invokes fail. @default every invoke */
    first: z.number().int().min(1).max(1_000_000).optional(),
    /** Only invokes whose payload `action` is one of these (the health-check function's plan/decide). */
    actions: z.array(z.string().max(40)).max(10).optional(),
    /** Mode `slow`: how late each invoke starts (FIS's `startupDelayMilliseconds`). @default SLOW_FAULT_DELAY_MS */
    delayMs: z.number().int().min(0).max(900_000).optional(),
  })
  .strict()
  .refine((f) => f.delayMs === undefined || f.mode === 'slow', { message: 'delayMs applies to mode slow only' });
export type LambdaFault = z.infer<typeof lambdaFaultSchema>;

/** How late an invoke starts under a `slow` fault without `delayMs`: past the contact flow's 3 s lookup limit. */
export const SLOW_FAULT_DELAY_MS = 4000;

/** Error names Step Functions gives a Lambda task for each fault. */
const ERRORS: Record<Exclude<LambdaFaultMode, 'none' | 'slow'>, { name: string; message: string }> = {
  throttled: { name: 'Lambda.TooManyRequestsException', message: 'Rate Exceeded.' },
  error: { name: 'Lambda.ServiceException', message: 'An error occurred (ServiceException): Internal error.' },
  timeout: { name: 'Sandbox.Timedout', message: 'Task timed out' },
};

/** As Lambda does: an invoke that runs past the function's timeout fails with `Sandbox.Timedout`. */
async function withinTimeout<R>(p: Promise<R>, ms: number): Promise<R> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(Object.assign(new Error(ERRORS.timeout.message), { name: ERRORS.timeout.name })), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

export interface FaultyLambda<E, R> {
  handler: (event: E) => Promise<R>;
  setFault(f: LambdaFault): void;
  fault(): LambdaFault;
  /** Invokes the injected fault applied to since it was set (failed, or started late). */
  failed(): number;
}

/**
 * Wraps a handler as Lambda runs it: an invoke past `timeoutMs` (the function's timeout) fails with
 * `Sandbox.Timedout`, and a fault can be injected (a `timeout` fault fails every invoke after `timeoutMs`).
 */
export function faultyLambda<E, R>(
  handler: (event: E) => Promise<R>,
  o: {
    /** The function's timeout. */
    timeoutMs: number;
    /** How long a `timeout` fault takes. @default timeoutMs */
    faultTimeoutMs?: number;
  },
): FaultyLambda<E, R> {
  let fault: LambdaFault = { mode: 'none' };
  let failed = 0;
  return {
    async handler(event: E): Promise<R> {
      const action = (event as { action?: unknown } | null)?.action;
      const applies =
        fault.mode !== 'none' &&
        (fault.first === undefined || failed < fault.first) &&
        (fault.actions === undefined || (typeof action === 'string' && fault.actions.includes(action)));
      if (!applies) return withinTimeout(handler(event), o.timeoutMs);
      failed += 1;
      if (fault.mode === 'slow') {
        // As FIS's extension delays the start: the delay counts against the timeout, and a timed-out invoke never runs.
        const delayMs = fault.delayMs ?? SLOW_FAULT_DELAY_MS;
        const late = new Promise<void>((resolve) => setTimeout(resolve, Math.min(delayMs, o.timeoutMs + 1)));
        return withinTimeout(
          late.then(() => (delayMs > o.timeoutMs ? new Promise<R>(() => undefined) : handler(event))),
          o.timeoutMs,
        );
      }
      const { name, message } = ERRORS[fault.mode as Exclude<LambdaFaultMode, 'none' | 'slow'>];
      if (fault.mode === 'timeout') await new Promise((r) => setTimeout(r, o.faultTimeoutMs ?? o.timeoutMs));
      throw Object.assign(new Error(message), { name });
    },
    setFault(f: LambdaFault) {
      fault = lambdaFaultSchema.parse(f);
      failed = 0;
    },
    fault: () => ({ ...fault }),
    failed: () => failed,
  };
}
