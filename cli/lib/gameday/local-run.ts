/**
 * A game day on the local system (`npm start`): the experiment's fault injected through the control API — the same
 * fault FIS injects on AWS (`probe-function error`, `probe-function slow`, `lookup-function slow`) — for the run's
 * duration while the health check runs (executions started here, as the drill starts them, one minute of cycles
 * each), callers walked through the flow when the experiment is about them, then the fault cleared; the drill runs
 * `lexdr drill`'s mechanism. The stop conditions hold here too: a stop alarm's signal ends the run at once.
 */
import type { FunctionFault, GameDay } from '../../../core/game-days';
import type { CliContext } from '../context';
import { getItem, queryHistory } from '../dr-table';
import { UsageError } from '../errors';
import type { Target } from '../target';
import { localRequest } from '../target';
import { callers, noCallers, readSettings } from './callers';
import type { CallersSeen, Observation } from './verdict';
import { RunWatch, newChanges, runDrillGameDay } from './watch';

/** The local fault of the same effect as the FIS action (local/fault-modes.ts). */
export function localFault(f: FunctionFault): { target: string; body: { mode: string; delayMs?: number } } {
  return {
    target: f.function === 'probe' ? 'probe-function' : 'lookup-function',
    body: f.effect === 'error' ? { mode: 'error' } : { mode: 'slow', delayMs: f.delayMs! },
  };
}

/** Callers walked per walk (at once); one walk per execution of the run. */
const CALLERS_PER_WALK = 3;

interface ExecutionOutput {
  publish?: { MetricData?: { MetricName?: string; Values?: number[]; Counts?: number[] }[] };
}

/** A metric in an execution's published MetricData (its output): its datapoints and their sum (none: 0, 0). */
export function published(output: string | undefined, metric: string): { count: number; sum: number } {
  let o: ExecutionOutput;
  try {
    o = JSON.parse(output ?? '') as ExecutionOutput;
  } catch {
    return { count: 0, sum: 0 };
  }
  const data = Array.isArray(o.publish?.MetricData) ? o.publish.MetricData : [];
  let count = 0;
  let sum = 0;
  for (const d of data.filter((x) => x.MetricName === metric))
    (d.Values ?? []).forEach((v, i) => {
      const n = d.Counts?.[i] ?? 1;
      count += n;
      sum += v * n;
    });
  return { count, sum };
}

export async function runLocal(
  ctx: CliContext,
  t: Target,
  g: GameDay,
  o: { durationMs: number; quiet: boolean },
): Promise<Observation> {
  const { io } = ctx;
  if (!t.executions) throw new UsageError(`${t.where} cannot start executions: restart \`npm start\``);
  const settings = await readSettings(t);
  const regions = t.regions ?? settings.regions;
  const before = await getItem(t);
  const weekAgo = new Date(io.now().getTime() - 7 * 86_400_000).toISOString();
  const baseline = await queryHistory(t, weekAgo);
  const watch = new RunWatch(t, io, regions, {}, o.quiet);
  await watch.sample('starting');
  const failsBefore = Object.fromEntries(regions.map((r) => [r, before?.regionHealth[r]?.fails ?? 0]));
  const cadence = settings.cadenceSeconds;
  const totalCycles = Math.max(1, Math.ceil(o.durationMs / (cadence * 1000)));
  const perExecution = Math.min(30, Math.max(1, Math.round(60 / cadence)));
  const end: Observation['end'] = { status: 'completed' };
  const obs = (extra: Partial<Observation>): Observation => ({
    target: 'local',
    regions,
    before,
    after: null,
    regionsSeen: watch.regionsSeen,
    failsBefore,
    failsMax: watch.failsMax,
    history: [],
    alarms: watch.alarms,
    end,
    ...extra,
  });

  if (g.fault.kind === 'drill') {
    await runDrillGameDay(ctx, t, { name: g.name, before, regions, cycles: totalCycles, quiet: o.quiet, watch, end });
    return obs({ after: await getItem(t), history: await newChanges(t, baseline, weekAgo) });
  }

  const control = t.local?.control;
  if (!control) throw new UsageError('the local system lists no control endpoint: restart `npm start`');
  const fault = localFault(g.fault);
  const walking = g.expected.some((e) => e.kind === 'callers-served');
  const walker = walking ? await callers(t, {}, io, settings) : undefined;
  const seen: CallersSeen = noCallers(t);
  let probeErrors = 0;
  let notRunning = 0;
  // As FIS stops an experiment's actions on a stop condition: the fault goes at once, the run ends after the execution.
  let cleared = false;
  const clear = async () => {
    if (cleared) return;
    cleared = true;
    await localRequest(control, 'PUT', `/faults/${fault.target}`, { mode: 'none' }, t.local?.token);
    if (!o.quiet) io.out(`Cleared: ${fault.target}.`);
  };
  const stopOn = async () => {
    const stop = watch.firing(g.stopOn);
    if (!stop || end.status !== 'completed') return;
    Object.assign(end, { status: 'stopped', reason: `stop condition ${stop} (its local signal)` });
    await clear();
  };
  await localRequest(control, 'PUT', `/faults/${fault.target}`, fault.body, t.local?.token);
  if (!o.quiet)
    io.out(`Injected: ${fault.target} ${fault.body.mode}${fault.body.delayMs ? ` (${fault.body.delayMs} ms)` : ''}.`);
  try {
    for (let done = 0; done < totalCycles && end.status === 'completed';) {
      const cycles = Math.min(perExecution, totalCycles - done);
      done += cycles;
      const name = t.executions.nextName();
      let finished = false;
      const run = t.executions.run({ cycles }, name).finally(() => void (finished = true));
      const walk = walker?.walk(CALLERS_PER_WALK, seen);
      while (!finished) {
        await Promise.race([io.sleep(t.pollMs), run.catch(() => undefined)]);
        await watch.sample(`running (${done}/${totalCycles} cycles)`);
        await stopOn();
      }
      await walk;
      const r = await run.catch((err: Error) => ({ status: 'FAILED', error: err.name, output: undefined }));
      probeErrors += published(r.output, 'ProbeErrors').sum;
      // The heartbeat alarm's metric: an execution that published no ActiveRegionIndex left a minute unmonitored.
      if (published(r.output, 'ActiveRegionIndex').count === 0) notRunning += 1;
      await stopOn();
    }
  } finally {
    walker?.close();
    await clear();
  }
  watch.seen(
    'HealthCheckNotRunning',
    "local: every execution of the run published ActiveRegionIndex (the alarm's metric)",
    notRunning > 0,
    notRunning ? `${notRunning} execution(s) published none` : undefined,
  );
  if (walking)
    watch.seen(
      'LookupErrors',
      'local: the lookup answered every walked caller within its limit',
      seen.lookupGaveUp > 0,
    );
  await watch.sample(end.status);
  return obs({
    after: await getItem(t),
    history: await newChanges(t, baseline, weekAgo),
    probeErrors: { value: probeErrors, source: "local: summed from the run's executions' published MetricData" },
    ...(walking ? { callers: seen } : {}),
  });
}
