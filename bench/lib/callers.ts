/**
 * Callers for the benchmark: they arrive at a steady rate, each at once (they do not wait for one another), and walk
 * the rendered contact flow as Connect would (flows/simulate.ts): the real lookup of the local system, a spoken turn
 * with the bot in the region it names (local/spoken-caller.ts), the flow's asynchronous report of a failed bot to the
 * local report function, and the retry in the fallback region.
 */
import { randomUUID } from 'node:crypto';
import { lexClientFactory } from '../../core/lex-clients';
import type { CallOutcome } from '../../flows/simulate';
import { contactFlowEvent, regionOfAliasArn, simulateCall } from '../../flows/simulate';
import { CALLER_BOT_TIMEOUT_MS, localContactFlow, spokenBotOutcome } from '../../local/spoken-caller';
import type { LocalSystem } from '../../local/system';

export interface CallerRecord {
  /** Arrival, on `performance.now()`. */
  atMs: number;
  /** Met a failed bot first and was served (or sent to agents) only after the flow's retry. */
  retried: boolean;
  outcome: CallOutcome['kind'];
  /** The region that served the caller. */
  region?: string;
  /** Reports the flow sent for this caller. */
  reports: number;
}

export interface Callers {
  /** Stops new arrivals; resolves with every caller once all have finished. */
  stop(): Promise<CallerRecord[]>;
}

/** Callers arriving every `1000 / perSecond` ms from now (the first after a random part of one gap). */
export function startCallers(sys: LocalSystem, perSecond: number): Callers {
  const settings = sys.settings;
  const { flow, instanceArn } = localContactFlow(settings);
  const lex = lexClientFactory({
    endpoints: Object.fromEntries(Object.entries(sys.lex).map(([r, l]) => [r, l.url])),
    timeoutMs: CALLER_BOT_TIMEOUT_MS,
    credentials: sys.credentials,
  });
  const spoken = spokenBotOutcome({ settings, lexV2: (r) => lex.lexV2(r), sessionPrefix: `bench-${process.pid}` });
  const records: Promise<CallerRecord>[] = [];

  const call = async (): Promise<CallerRecord> => {
    const atMs = performance.now();
    const contactId = randomUUID();
    const sim = await simulateCall(flow, {
      contactId,
      invokeLambda: (_arn, params) => sys.lookup(contactFlowEvent(params, { contactId, instanceArn })),
      invokeLambdaAsync: async (_arn, params) => sys.reportAsync(contactFlowEvent(params, { contactId, instanceArn })),
      bot: (aliasArn) => spoken(aliasArn, regionOfAliasArn(aliasArn)),
    });
    return {
      atMs,
      retried: sim.botAttempts.some((b) => b.result !== 'success'),
      outcome: sim.outcome.kind,
      ...(sim.outcome.kind === 'served' ? { region: sim.outcome.region } : {}),
      reports: sim.asyncInvocations.length,
    };
  };

  const gapMs = 1000 / perSecond;
  let timer: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    records.push(call());
    timer = setInterval(() => records.push(call()), gapMs);
  }, Math.random() * gapMs);
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      const out = await Promise.all(records);
      for (const r of Object.keys(sys.lex)) lex.lexV2(r).destroy();
      return out;
    },
  };
}
