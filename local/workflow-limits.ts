/**
 * The AWS limits the local runner enforces where aws-local-stepfunctions does not (the limits themselves are in
 * core/aws-limits.ts), so that a run here fails where a run on AWS would:
 * - Step Functions' 256 KiB on every state's output and every task's input and result (`States.DataLimitExceeded`,
 *   which no `Catch` handles);
 * - Lambda's 6 MB synchronous payload, on a request (`Lambda.RequestEntityTooLargeException`) and on a response (the
 *   function error `Function.ResponseSizeTooLarge`, an ordinary, catchable task error);
 * - Express's 5-minute cap on an execution (`States.Timeout`).
 */
import { LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES, STATE_PAYLOAD_LIMIT_BYTES } from '../core/aws-limits';

/** UTF-8 size of a value's JSON, as Step Functions measures payloads. */
export function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v ?? null), 'utf8');
}

/** Step Functions' terminal error for a payload over 256 KB: no Catch handles it. */
export class DataLimitExceededError extends Error {
  override name = 'States.DataLimitExceeded';
}

/** How an execution ends when a limit stops it, whatever its definition catches. */
export interface LimitFailure {
  status: 'FAILED' | 'TIMED_OUT';
  error: string;
  cause: string;
}

/**
 * Measures every payload of one execution against the state limit and keeps the largest (as the 256 KB limit
 * measures them: UTF-8 bytes of the JSON).
 */
export class StatePayloadMeter {
  /** The largest payload measured so far, in bytes. */
  largest = 0;

  /** Measures `v` (`what` names it in the cause); the execution's failure when it is over the limit. */
  measure(what: string, v: unknown): LimitFailure | undefined {
    const n = jsonBytes(v);
    this.largest = Math.max(this.largest, n);
    if (n <= STATE_PAYLOAD_LIMIT_BYTES) return undefined;
    return {
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: `${what} has a size exceeding the maximum number of bytes service limit (${STATE_PAYLOAD_LIMIT_BYTES}).`,
    };
  }
}

/** The end of an execution that ran past the duration cap (`maxMs`: Express's, or a test's shorter one). */
export function durationExceeded(maxMs: number): LimitFailure {
  return {
    status: 'TIMED_OUT',
    error: 'States.Timeout',
    cause: `The execution ran longer than the Express maximum of ${maxMs / 1000} s.`,
  };
}

/** A Lambda request payload as JSON; throws `Lambda.RequestEntityTooLargeException` over the synchronous limit. */
export function lambdaRequestJson(payload: unknown): string {
  const request = JSON.stringify(payload ?? null);
  if (Buffer.byteLength(request, 'utf8') > LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES)
    throw Object.assign(
      new Error(`Request must be smaller than ${LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES} bytes for the Invoke operation`),
      { name: 'Lambda.RequestEntityTooLargeException' },
    );
  return request;
}

/** A Lambda response payload as JSON; throws the function error `Function.ResponseSizeTooLarge` over the limit. */
export function lambdaResponseJson(out: unknown): string {
  const response = JSON.stringify(out ?? null);
  if (Buffer.byteLength(response, 'utf8') > LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES)
    throw Object.assign(
      new Error(
        `Response payload size exceeded maximum allowed payload size (${LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES} bytes).`,
      ),
      { name: 'Function.ResponseSizeTooLarge' },
    );
  return response;
}
