/** A fast local system for integration tests: real servers, real ASL, real handlers, no real waiting. */
import type { LexdrConfigInput } from '../../infra/config';
import type { LocalSystem, LocalSystemOptions } from '../../local/system';
import { startLocalSystem } from '../../local/system';

export const FAST: LexdrConfigInput = {
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  cadenceSeconds: 10,
  failThreshold: 2,
  recoverThreshold: 3,
  probe: { method: 'liveness', nluEveryMinutes: 0, timeoutMs: 1000, latencyBudgetMs: 400 },
};

export async function startFast(
  config: LexdrConfigInput = FAST,
  o: Partial<LocalSystemOptions> = {},
): Promise<LocalSystem> {
  return startLocalSystem({ config, waitMs: 0, retryMs: 0, simulatedClock: true, ...o });
}

/** Runs `n` single-cycle executions and returns the records (each must succeed). */
export async function cycles(sys: LocalSystem, n: number, input: Record<string, unknown> = {}) {
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const r = await sys.runExecution({ ...input, cycles: 1 });
    if (r.status !== 'SUCCEEDED') throw new Error(`execution failed: ${r.error}: ${r.cause}`);
    out.push(r);
  }
  return out;
}
