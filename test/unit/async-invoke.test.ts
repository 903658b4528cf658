/** Lambda's asynchronous invocation as the local system plays it (local/async-invoke.ts): queue, concurrency, retry, age. */
import type { AttemptEnd } from '../../local/async-invoke';
import { AsyncQueueFullError, asyncInvoker } from '../../local/async-invoke';

function setup(o: {
  run: (e: number) => Promise<string>;
  concurrency?: number;
  maxQueued?: number;
  maxAgeMs?: number;
}) {
  const ends: AttemptEnd<number, string>[] = [];
  const invoker = asyncInvoker<number, string>({
    run: o.run,
    concurrency: o.concurrency ?? 2,
    maxQueued: o.maxQueued ?? 100,
    retryAttempts: 1,
    retryDelayMs: 5,
    maxEventAgeMs: o.maxAgeMs ?? 60_000,
    onAttempt: (a) => ends.push(a),
  });
  return { invoker, ends };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('asyncInvoker', () => {
  it('returns at once and runs events at most `concurrency` at a time', async () => {
    let running = 0;
    let most = 0;
    const { invoker, ends } = setup({
      concurrency: 2,
      run: async (e) => {
        running += 1;
        most = Math.max(most, running);
        await sleep(10);
        running -= 1;
        return `done ${e}`;
      },
    });
    for (let i = 0; i < 6; i += 1) invoker.invoke(i);
    expect(ends).toEqual([]); // nobody waited
    await invoker.drain();
    expect(most).toBe(2);
    expect(ends.map((a) => a.result).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `done ${i}`));
    expect(invoker.pending()).toBe(0);
  });

  it('retries a failed attempt once, then gives up and says so', async () => {
    let calls = 0;
    const { invoker, ends } = setup({
      run: async () => {
        calls += 1;
        throw Object.assign(new Error('boom'), { name: 'Lambda.ServiceException' });
      },
    });
    invoker.invoke(1);
    await invoker.drain();
    expect(calls).toBe(2);
    expect(ends.map((a) => [a.attempt, a.error?.name, a.retrying])).toEqual([
      [1, 'Lambda.ServiceException', true],
      [2, 'Lambda.ServiceException', false],
    ]);
  });

  it('a retry that succeeds ends the event', async () => {
    let calls = 0;
    const { invoker, ends } = setup({
      run: async () => {
        calls += 1;
        if (calls === 1) throw new Error('first fails');
        return 'ok';
      },
    });
    invoker.invoke(1);
    await invoker.drain();
    expect(ends.map((a) => [a.attempt, a.result ?? a.error?.message])).toEqual([
      [1, 'first fails'],
      [2, 'ok'],
    ]);
  });

  it('refuses an event when the queue is full (TooManyRequestsException), and drops events past their age', async () => {
    const { invoker, ends } = setup({
      concurrency: 1,
      maxQueued: 2,
      maxAgeMs: 20,
      run: () => sleep(30).then(() => 'ok'),
    });
    invoker.invoke(1); // runs
    invoker.invoke(2); // waits
    invoker.invoke(3); // waits
    expect(() => invoker.invoke(4)).toThrow(AsyncQueueFullError);
    await invoker.drain();
    // 2 and 3 waited past the maximum event age behind 1: dropped, never run.
    expect(ends.map((a) => [a.event, a.result ?? a.error?.message.slice(0, 13)])).toEqual([
      [1, 'ok'],
      [2, 'event dropped'],
      [3, 'event dropped'],
    ]);
  });

  it('close drops what waits and cancels retries', async () => {
    const { invoker, ends } = setup({ concurrency: 1, run: () => sleep(5).then(() => 'ok') });
    invoker.invoke(1);
    invoker.invoke(2);
    invoker.close();
    await invoker.drain();
    expect(ends.map((a) => a.event)).toEqual([1]);
    expect(() => invoker.invoke(3)).toThrow(AsyncQueueFullError);
  });
});
