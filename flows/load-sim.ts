/**
 * Many simulated calls through a rendered contact flow: callers arrive at a steady rate on a simulated clock,
 * each walks the flow with `simulateCall`, and the engine counts who was served (by which region, and whether
 * only after a retry), who went to agents, who was dropped, and the reports the flow sent on the way. The lookup,
 * the bots and the report function are parameters, so the same engine runs against the local system, against
 * fakes in tests, or in a what-if model.
 */
import { randomUUID } from 'node:crypto';
import type { FlowDocument } from './flow-schema';
import { parseFlow } from './flow-schema';
import type { BotOutcome, CallSimulation, TransferOutcome } from './simulate';
import { regionOfAliasArn, simulateCall } from './simulate';

/** A clock the simulation moves forward; hand `now` to anything that caches by time (the lookup does). */
export interface SimClock {
  now(): number;
  advanceTo(ms: number): void;
}

export function createSimClock(startMs = 0): SimClock {
  let t = startMs;
  return {
    now: () => t,
    advanceTo: (ms) => {
      if (ms > t) t = ms;
    },
  };
}

export interface LoadCallContext {
  /** 0-based call number. */
  call: number;
  /** Simulated time the caller arrived (ms on the simulation clock). */
  atMs: number;
  /** The call's contact ID (a UUID, unique per call), as Connect sends it in `Details.ContactData.ContactId`. */
  contactId: string;
}

/** What the report function is told of one asynchronous invocation: the call, and the action that made it. */
export interface LoadReportContext extends LoadCallContext {
  identifier: string;
  arn: string;
}

export interface LoadCounts {
  calls: number;
  served: number;
  /** Served, but only after a bot failed first (the flow's retry in the fallback region). */
  servedByFallback: number;
  queuedToAgents: number;
  dropped: number;
  /** Asynchronous invocations handed to `report` (the callers did not wait for them). */
  reportsSent: number;
}

export interface LoadProgress extends LoadCounts {
  /** Calls to simulate in all. */
  total: number;
  atMs: number;
}

export interface LoadResult extends LoadCounts {
  /** Served calls per bot region. */
  servedByRegion: Record<string, number>;
  /** Dropped calls per reason. */
  dropReasons: Record<string, number>;
  /** Reports that were rejected or had no answer within their action's time limit (counted once all settled). */
  reportsFailed: number;
  /** Asynchronous invocations made with no `report` to take them. */
  reportsNotDelivered: number;
  /** Simulated time from the first arrival to the last. */
  simulatedMs: number;
}

/** Something to do when the simulation clock reaches `atMs` (inject a fault, switch the table...). */
export interface TimelineEvent {
  atMs: number;
  run(): void | Promise<void>;
}

export interface LoadOptions {
  /** The rendered flow (content or parsed). */
  flow: string | FlowDocument;
  calls: number;
  arrivalsPerSecond: number;
  /** The lookup Lambda: gets the flow's invocation attributes, answers the flat string map. */
  lookup(params: Record<string, string>, context: LoadCallContext): Promise<unknown>;
  /** How a caller's conversation with the bot behind `aliasArn` ends. */
  botOutcome(
    aliasArn: string,
    context: LoadCallContext & { region: string; identifier: string },
  ): BotOutcome | Promise<BotOutcome>;
  /** The queue transfer. @default always 'ok' */
  transfer?(queueArn: string, context: LoadCallContext): TransferOutcome | Promise<TransferOutcome>;
  /**
   * The flow's ASYNCHRONOUS invocations (its reports of bot failures): gets the action's invocation attributes.
   * The caller goes on at once; a rejection, or no answer, changes nothing for them and is only counted.
   * @default none: invocations are counted as not delivered
   */
  report?(params: Record<string, string>, context: LoadReportContext): Promise<unknown>;
  /** Called every `progressEvery` calls and after the last. */
  onProgress?(progress: LoadProgress): void | Promise<void>;
  /** @default one twentieth of the calls */
  progressEvery?: number;
  /** Events run (in time order) before the first call arriving at or after their time. */
  timeline?: readonly TimelineEvent[];
  /** The simulation clock (pass the same one to the lookup's `now`). @default a clock starting at 0 */
  clock?: SimClock;
  /** Scale of the flow's Lambda time limits in real time. @default 1 */
  timeScale?: number;
}

export class LoadSimulationError extends Error {
  override name = 'LoadSimulationError';
}

/**
 * Runs `calls` simulated calls, in arrival order, and counts their outcomes. No caller waits for a report; the run
 * itself returns once every report has settled (or passed its time limit), so the counts are final.
 */
export async function simulateLoad(o: LoadOptions): Promise<LoadResult> {
  if (!Number.isInteger(o.calls) || o.calls < 1)
    throw new LoadSimulationError(`calls must be a whole number ≥ 1, got ${o.calls}`);
  if (!(o.arrivalsPerSecond > 0))
    throw new LoadSimulationError(`arrivalsPerSecond must be > 0, got ${o.arrivalsPerSecond}`);
  const flow = typeof o.flow === 'string' ? parseFlow(o.flow) : o.flow;
  const clock = o.clock ?? createSimClock();
  const start = clock.now();
  const gapMs = 1000 / o.arrivalsPerSecond;
  const every = o.progressEvery ?? Math.max(1, Math.floor(o.calls / 20));
  const timeline = [...(o.timeline ?? [])].sort((a, b) => a.atMs - b.atMs);
  const result: LoadResult = {
    calls: 0,
    served: 0,
    servedByFallback: 0,
    queuedToAgents: 0,
    dropped: 0,
    reportsSent: 0,
    reportsFailed: 0,
    reportsNotDelivered: 0,
    servedByRegion: {},
    dropReasons: {},
    simulatedMs: 0,
  };
  const reportsSettled: Promise<void>[] = [];
  const drop = (reason: string) => {
    result.dropped++;
    result.dropReasons[reason] = (result.dropReasons[reason] ?? 0) + 1;
  };

  for (let call = 0; call < o.calls; call++) {
    const atMs = start + Math.round(call * gapMs);
    while (timeline.length && timeline[0]!.atMs <= atMs) {
      const ev = timeline.shift()!;
      clock.advanceTo(ev.atMs);
      await ev.run();
    }
    clock.advanceTo(atMs);
    const ctx: LoadCallContext = { call, atMs, contactId: randomUUID() };
    const report = o.report;
    let sim: CallSimulation | undefined;
    try {
      sim = await simulateCall(flow, {
        contactId: ctx.contactId,
        invokeLambda: (_arn, params) => o.lookup(params, ctx),
        ...(report && {
          invokeLambdaAsync: (arn: string, params: Record<string, string>, c: { identifier: string }) => {
            result.reportsSent++;
            return report(params, { ...ctx, identifier: c.identifier, arn });
          },
        }),
        bot: (aliasArn, { identifier }) =>
          o.botOutcome(aliasArn, { ...ctx, region: regionOfAliasArn(aliasArn), identifier }),
        ...(o.transfer ? { transfer: (q: string) => o.transfer!(q, ctx) } : {}),
        ...(o.timeScale !== undefined ? { timeScale: o.timeScale } : {}),
      });
    } catch (e) {
      drop(`simulation failed: ${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? e}`);
    }
    result.calls++;
    if (sim) {
      const invocations = sim.asyncInvocations;
      reportsSettled.push(
        sim.asyncSettled.then(() => {
          result.reportsFailed += invocations.filter((i) => i.status === 'failed').length;
          result.reportsNotDelivered += invocations.filter((i) => i.status === 'not-delivered').length;
        }),
      );
      const out = sim.outcome;
      if (out.kind === 'served') {
        result.served++;
        result.servedByRegion[out.region] = (result.servedByRegion[out.region] ?? 0) + 1;
        if (sim.botAttempts.some((b) => b.result !== 'success')) result.servedByFallback++;
      } else if (out.kind === 'queued') result.queuedToAgents++;
      else drop(out.reason);
    }
    result.simulatedMs = atMs - start;
    if (o.onProgress && (result.calls % every === 0 || result.calls === o.calls)) {
      const { calls, served, servedByFallback, queuedToAgents, dropped, reportsSent } = result;
      await o.onProgress({
        calls,
        served,
        servedByFallback,
        queuedToAgents,
        dropped,
        reportsSent,
        total: o.calls,
        atMs,
      });
    }
  }
  await Promise.all(reportsSettled);
  return result;
}
