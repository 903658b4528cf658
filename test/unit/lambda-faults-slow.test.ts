/** The local `slow` fault of lexdr's functions, as FIS's add-delay action: the invoke starts late, within the timeout. */
import { faultyLambda, lambdaFaultSchema } from '../../local/lambda-faults';

describe('a slow function (the local counterpart of aws:lambda:invocation-add-delay)', () => {
  it('starts each invoke delayMs late and then runs it, when the delay fits in the timeout', async () => {
    const ran: number[] = [];
    const fn = faultyLambda(async () => void ran.push(Date.now()), { timeoutMs: 1000 });
    fn.setFault({ mode: 'slow', delayMs: 80 });
    const t0 = Date.now();
    await fn.handler({});
    expect(ran[0]! - t0).toBeGreaterThanOrEqual(75);
    expect(fn.failed()).toBe(1);
  });

  it('fails with Sandbox.Timedout at the timeout, without running the code, when the delay is past it', async () => {
    let ran = false;
    const fn = faultyLambda(async () => void (ran = true), { timeoutMs: 40 });
    fn.setFault({ mode: 'slow', delayMs: 200 });
    const t0 = Date.now();
    await expect(fn.handler({})).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    expect(Date.now() - t0).toBeLessThan(150);
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toBe(false);
  });

  it('takes delayMs with mode slow only', () => {
    expect(lambdaFaultSchema.safeParse({ mode: 'slow', delayMs: 4000 }).success).toBe(true);
    expect(lambdaFaultSchema.safeParse({ mode: 'error', delayMs: 4000 }).success).toBe(false);
    expect(lambdaFaultSchema.safeParse({ mode: 'slow', delayMs: -1 }).success).toBe(false);
  });
});
