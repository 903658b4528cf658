import { faultyLambda } from '../../local/lambda-faults';

describe('a local function, as Lambda runs it', () => {
  it('fails an invoke that runs past the function timeout with Sandbox.Timedout', async () => {
    const fn = faultyLambda(() => new Promise<string>(() => undefined), { timeoutMs: 20 });
    await expect(fn.handler({})).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
  });

  it('answers normally within the timeout, and fails with the injected fault by its Step Functions name', async () => {
    const fn = faultyLambda(async (e: { action?: string }) => `ok ${e.action}`, { timeoutMs: 1000, faultTimeoutMs: 5 });
    await expect(fn.handler({ action: 'plan' })).resolves.toBe('ok plan');
    fn.setFault({ mode: 'throttled', actions: ['decide'], first: 1 });
    await expect(fn.handler({ action: 'plan' })).resolves.toBe('ok plan');
    await expect(fn.handler({ action: 'decide' })).rejects.toMatchObject({ name: 'Lambda.TooManyRequestsException' });
    await expect(fn.handler({ action: 'decide' })).resolves.toBe('ok decide'); // only the first
    fn.setFault({ mode: 'timeout' });
    await expect(fn.handler({})).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    expect(fn.failed()).toBe(1);
  });
});
