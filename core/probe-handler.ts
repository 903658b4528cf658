/** The probe Lambda's adapter: validates the Map item and spec, probes with real SDK clients, logs the outcome. */
import { randomUUID } from 'node:crypto';
import { InvalidInputError, describeIssues } from './errors';
import { lexClientFactory } from './lex-clients';
import type { LexClientOptions } from './lex-clients';
import { logger } from './powertools';
import type { ProbeResult } from './probe-core';
import { probe, probeEventSchema } from './probe-core';

/** Upper bound of any probe's timeout; each probe sets its own, shorter one. */
const MAX_TIMEOUT_MS = 10_000;

export function createProbeHandler(
  deps: { lexEndpoints?: Record<string, string>; credentials?: LexClientOptions['credentials'] } = {},
) {
  const clients = lexClientFactory({
    endpoints: deps.lexEndpoints ?? {},
    timeoutMs: MAX_TIMEOUT_MS,
    ...(deps.credentials ? { credentials: deps.credentials } : {}),
  });
  return async (event: unknown): Promise<ProbeResult> => {
    const parsed = probeEventSchema.safeParse(event);
    if (!parsed.success)
      throw new InvalidInputError(`invalid probe request: ${describeIssues(parsed.error.issues, event)}`);
    let error: Error | undefined;
    const result = await probe(
      { ...parsed.data.spec, ...parsed.data.target },
      {
        ...clients,
        now: () => performance.now(),
        sessionId: () => `lexdr-probe-${randomUUID()}`,
        onError: (err) => (error = err as Error),
        onCleanupError: (err, req) =>
          logger.warn('probe session cleanup failed', { region: req.region, bot: req.bot, error: err as Error }),
      },
    );
    if (result.ok) logger.debug('probe passed', { ...result });
    else logger.warn('probe failed', { ...result, ...(error ? { error } : {}) });
    return result;
  };
}
