/**
 * Lambda's asynchronous invocation, as the local system plays it for the report function (Connect's `ASYNCHRONOUS`
 * InvokeLambdaFunction, the Twilio bridge's `Event` invoke): the caller gets its 202 at once and never the function's
 * result; the event waits in a queue, runs with bounded concurrency, a failed attempt is retried (`retryAttempts`,
 * after `retryDelayMs`) and an event older than `maxEventAgeMs` is dropped. Every attempt's end is told to `onAttempt`;
 * errors are reported there and logged, never returned to the caller.
 */

/** The queue is full: the event is refused at once (429, as Lambda answers `TooManyRequestsException`). */
export class AsyncQueueFullError extends Error {
  override name = 'TooManyRequestsException';
}

export interface AsyncInvokerOptions<E, R> {
  /** Runs one attempt (the function as Lambda runs it: with its faults and timeout). */
  run(event: E): Promise<R>;
  /** Attempts run at the same time. */
  concurrency: number;
  /** Events that may wait; one more is refused with AsyncQueueFullError. */
  maxQueued: number;
  /** Retries of a failed attempt (the function's `retryAttempts`). */
  retryAttempts: number;
  /** Wait before a retry (Lambda waits about a minute; the local system shortens it). */
  retryDelayMs: number;
  /** An event not started within this long is dropped (the function's `maxEventAge`). */
  maxEventAgeMs: number;
  /** Told after every attempt: its result or error, and whether another attempt follows. */
  onAttempt(a: AttemptEnd<E, R>): void;
}

export interface AttemptEnd<E, R> {
  event: E;
  /** 1 for the first attempt, 2… for Lambda's retries. */
  attempt: number;
  result?: R;
  error?: Error;
  /** Another attempt is scheduled after this failed one. */
  retrying: boolean;
}

interface Queued<E> {
  event: E;
  attempt: number;
  /** Wall-clock ms the event was accepted (its age counts from there, as Lambda's does). */
  acceptedAt: number;
}

export interface AsyncInvoker<E> {
  /** Queues one event; resolves nothing. Throws AsyncQueueFullError when the queue is full. */
  invoke(event: E): void;
  /** Events queued, running or waiting for a retry. */
  pending(): number;
  /** Resolves once nothing is queued, running or waiting for a retry. */
  drain(): Promise<void>;
  /** Drops what is queued and cancels waiting retries (running attempts end on their own). */
  close(): void;
}

export function asyncInvoker<E, R>(o: AsyncInvokerOptions<E, R>): AsyncInvoker<E> {
  const queue: Queued<E>[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let running = 0;
  let idle: (() => void)[] = [];
  let closed = false;

  const pending = () => queue.length + running + timers.size;
  const settle = () => {
    if (pending() > 0) return;
    const waiting = idle;
    idle = [];
    waiting.forEach((f) => f());
  };

  function pump(): void {
    while (!closed && running < o.concurrency && queue.length > 0) {
      const q = queue.shift()!;
      if (Date.now() - q.acceptedAt > o.maxEventAgeMs) {
        o.onAttempt({
          event: q.event,
          attempt: q.attempt,
          error: new Error(`event dropped: older than the maximum event age (${o.maxEventAgeMs} ms)`),
          retrying: false,
        });
        continue;
      }
      running += 1;
      void attempt(q).finally(() => {
        running -= 1;
        pump();
        settle();
      });
    }
    settle();
  }

  async function attempt(q: Queued<E>): Promise<void> {
    try {
      const result = await o.run(q.event);
      o.onAttempt({ event: q.event, attempt: q.attempt, result, retrying: false });
    } catch (err) {
      const retrying = !closed && q.attempt <= o.retryAttempts;
      o.onAttempt({ event: q.event, attempt: q.attempt, error: err as Error, retrying });
      if (!retrying) return;
      const t = setTimeout(() => {
        timers.delete(t);
        // A retry goes back into the queue: it waits its turn and its age still counts from the first acceptance.
        queue.push({ ...q, attempt: q.attempt + 1 });
        pump();
      }, o.retryDelayMs);
      timers.add(t);
    }
  }

  return {
    invoke(event) {
      if (closed) throw new AsyncQueueFullError('the function is shut down');
      if (queue.length >= o.maxQueued)
        throw new AsyncQueueFullError(`Rate Exceeded: ${queue.length} events are waiting for the function`);
      queue.push({ event, attempt: 1, acceptedAt: Date.now() });
      pump();
    },
    pending,
    drain: () => (pending() === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve))),
    close() {
      closed = true;
      queue.length = 0;
      timers.forEach((t) => clearTimeout(t));
      timers.clear();
      settle();
    },
  };
}
