/** The runner's real-timer sleep: an execution's many Waits share one abort signal, so no listener may stay behind. */
import { getEventListeners } from 'node:events';
import { realSleep } from '../../local/workflow-runner';

test('a finished sleep leaves no abort listener on the shared signal', async () => {
  const stop = new AbortController();
  for (let i = 0; i < 12; i += 1) await realSleep(0, stop.signal);
  expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
});

test('an abort ends a pending sleep at once, rejecting', async () => {
  const stop = new AbortController();
  const t = performance.now();
  const sleeping = realSleep(10_000, stop.signal);
  stop.abort();
  await expect(sleeping).rejects.toThrow('aborted');
  expect(performance.now() - t).toBeLessThan(1000);
});
