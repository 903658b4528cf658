/**
 * A game day on AWS: the experiment template the stack deployed (`gameDays: true`), found by its tags, started with
 * FIS `StartExperiment` and followed with `GetExperiment` until it ends — its stop conditions are FIS's own — while
 * the lexDR item and lexdr's alarms are watched; then a settling time for the alarms (CloudWatch evaluates them a
 * minute or more after the fact) and the observation: lexDR, the history, the alarms' states and history, the
 * ProbeErrors metric. The drill (no FIS template: FIS cannot fail Lex) runs `lexdr drill`'s mechanism.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { GameDay, GameDayAlarm } from '../../../core/game-days';
import { GAME_DAY_ALARMS, GAME_DAY_TAGS } from '../../../core/game-days';
import { METRIC } from '../../../core/cycle-metrics';
import { STACK_NAMES } from '../../../core/contract';
import type { CliContext } from '../context';
import { getItem, queryHistory } from '../dr-table';
import { CliError, EXIT, TargetNotFoundError, explainError } from '../errors';
import { formatMs } from '../format';
import type { GlobalOptions, Target } from '../target';
import { callers, noCallers, readSettings } from './callers';
import type { ExperimentTemplate, FisClient, TemplateSummary } from './fis-client';
import { FINAL_STATUSES } from './fis-client';
import type { CallersSeen, Observation } from './verdict';
import { RunWatch, newChanges, runDrillGameDay } from './watch';

/** How often the callers are walked while an experiment about them runs (FIS's extension takes up to a minute to start). */
const WALK_EVERY_MS = 20_000;

const ours = (s: TemplateSummary, connectRegion: string) => s.tags[GAME_DAY_TAGS.connectRegion] === connectRegion;

/** The template of a game day for this Connect region, by its tags; exit 3 naming what to deploy when there is none. */
export async function findTemplate(fis: FisClient, name: string, connectRegion: string): Promise<ExperimentTemplate> {
  let all: TemplateSummary[];
  try {
    all = await fis.listTemplates();
  } catch (err) {
    throw explainError(err, 'AWS FIS (ListExperimentTemplates)');
  }
  const found = all.filter((s) => s.tags[GAME_DAY_TAGS.experiment] === name && ours(s, connectRegion));
  if (found.length === 0)
    throw new TargetNotFoundError(
      `no FIS experiment template tagged ${GAME_DAY_TAGS.experiment}=${name} for Connect ${connectRegion}: deploy the stack with "gameDays": true in cdk.json`,
    );
  if (found.length > 1)
    throw new CliError(
      `${found.length} FIS templates are tagged ${name} for ${connectRegion}: ${found.map((f) => f.id).join(', ')}`,
    );
  return fis.getTemplate(found[0]!.id);
}

/**
 * The CloudWatch names of lexdr's alarms: from the tags of this region's game-day templates, else (no game days
 * deployed) by the names CloudFormation gives them (`<stack>-Alarms<ID>…`).
 */
export async function alarmNames(
  t: Target,
  g: GlobalOptions,
  fis: FisClient,
): Promise<Partial<Record<GameDayAlarm, string>>> {
  const names: Partial<Record<GameDayAlarm, string>> = {};
  const templates = (await fis.listTemplates().catch(() => [] as TemplateSummary[])).filter((s) =>
    ours(s, t.connectRegion),
  );
  for (const s of templates)
    for (const a of GAME_DAY_ALARMS) {
      const v = s.tags[GAME_DAY_TAGS.alarm(a)];
      if (v) names[a] = v;
    }
  const stack = g.stack ?? STACK_NAMES.healthCheck(t.connectRegion);
  for (const a of GAME_DAY_ALARMS.filter((x) => !names[x])) {
    const out = await t.cloudwatch
      .send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${stack}-Alarms${a}` }))
      .catch(() => undefined);
    const found = out?.MetricAlarms?.[0]?.AlarmName;
    if (found) names[a] = found;
  }
  return names;
}

/** The sum of one of lexdr's metrics over every bot region of the Connect region since `start`. */
async function metricSum(t: Target, regions: readonly string[], metric: string, start: Date, end: Date) {
  const out = await t.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(start.getTime() - 60_000),
      EndTime: end,
      MetricDataQueries: regions.map((r, i) => ({
        Id: `m${i}`,
        MetricStat: {
          Metric: {
            Namespace: t.metricNamespace,
            MetricName: metric,
            Dimensions: [
              { Name: 'ConnectRegion', Value: t.connectRegion },
              { Name: 'Region', Value: r },
            ],
          },
          Period: 60,
          Stat: 'Sum',
        },
      })),
    }),
  );
  return (out.MetricDataResults ?? []).reduce((n, r) => n + (r.Values ?? []).reduce((m, v) => m + v, 0), 0);
}

function operator(ctx: CliContext): string {
  try {
    return userInfo().username || ctx.io.env.USER || 'unknown';
  } catch {
    return ctx.io.env.USER ?? 'unknown';
  }
}

export interface AwsRunOptions {
  g: GlobalOptions;
  fis: FisClient;
  /** The experiment's template (FIS experiments). */
  template?: ExperimentTemplate;
  alarmNames: Partial<Record<GameDayAlarm, string>>;
  /** How long to keep watching the alarms after the run ends, for those expected in ALARM. */
  settleMs: number;
  durationMs: number;
  quiet: boolean;
}

export async function runAws(ctx: CliContext, t: Target, g: GameDay, o: AwsRunOptions): Promise<Observation> {
  const { io } = ctx;
  const walking = g.expected.some((e) => e.kind === 'callers-served');
  const settings = walking ? await readSettings(t) : undefined;
  const regions = t.regions ?? settings?.regions ?? [];
  const before = await getItem(t);
  const weekAgo = new Date(io.now().getTime() - 7 * 86_400_000).toISOString();
  const baseline = await queryHistory(t, weekAgo);
  const failsBefore = Object.fromEntries(regions.map((r) => [r, before?.regionHealth[r]?.fails ?? 0]));
  const watch = new RunWatch(t, io, regions, o.alarmNames, o.quiet);
  await watch.sample('starting');
  const start = io.now();
  const end: Observation['end'] = { status: 'completed' };
  const seen: CallersSeen = noCallers(t);

  if (g.fault.kind === 'drill') {
    const cycles = Math.max(1, Math.round(o.durationMs / 10_000));
    await runDrillGameDay(ctx, t, { name: g.name, before, regions, cycles, quiet: o.quiet, watch, end });
  } else {
    if (!o.template) throw new CliError(`game day ${g.name} needs its FIS template`, EXIT.failure);
    const walker = walking && settings ? await callers(t, o.g, io, settings) : undefined;
    let exp;
    try {
      exp = await o.fis.start(o.template.id, randomUUID(), {
        [GAME_DAY_TAGS.experiment]: g.name,
        'lexdr:started-by': operator(ctx),
      });
    } catch (err) {
      walker?.close();
      throw explainError(err, `AWS FIS (StartExperiment ${o.template.id})`);
    }
    if (!o.quiet) io.out(`Started FIS experiment ${exp.id} from template ${o.template.id}.`);
    const deadline = start.getTime() + o.durationMs + 10 * 60_000;
    let lastWalk = 0;
    try {
      while (!FINAL_STATUSES.includes(exp.state.status)) {
        await io.sleep(t.pollMs);
        exp = await o.fis.get(exp.id);
        await watch.sample(`experiment ${exp.state.status}`);
        if (walker && exp.state.status === 'running' && io.now().getTime() - lastWalk >= WALK_EVERY_MS) {
          lastWalk = io.now().getTime();
          await walker.walk(1, seen);
        }
        if (io.now().getTime() > deadline) {
          await o.fis.stop(exp.id).catch(() => undefined);
          throw new CliError(
            `experiment ${exp.id} still ${exp.state.status} after ${formatMs(deadline - start.getTime())}; asked FIS to stop it`,
          );
        }
      }
    } finally {
      walker?.close();
    }
    Object.assign(end, { status: exp.state.status, ...(exp.state.reason ? { reason: exp.state.reason } : {}) });
  }

  // CloudWatch evaluates the alarms after the fact: watch those expected in ALARM a while longer.
  const awaited = g.expected.flatMap((e) => (e.kind === 'alarm' && e.state === 'ALARM' ? [e.alarm] : []));
  const settleUntil = io.now().getTime() + o.settleMs;
  while (awaited.some((a) => !watch.alarms[a]?.everAlarm) && io.now().getTime() < settleUntil) {
    await io.sleep(t.pollMs);
    await watch.sample('settling (alarms)');
  }
  await watch.alarmHistory(start);
  let probeErrors: Observation['probeErrors'];
  if (g.expected.some((e) => e.kind === 'probe-errors'))
    try {
      const value = await metricSum(t, regions, METRIC.ProbeErrors, start, io.now());
      probeErrors = { value, source: `CloudWatch ${t.metricNamespace}/${METRIC.ProbeErrors}, Sum over the run` };
    } catch (err) {
      io.err(`warning: GetMetricData failed: ${(err as Error).message}`);
    }
  return {
    target: 'aws',
    regions,
    before,
    after: await getItem(t),
    regionsSeen: watch.regionsSeen,
    failsBefore,
    failsMax: watch.failsMax,
    history: await newChanges(t, baseline, weekAgo),
    alarms: watch.alarms,
    ...(probeErrors ? { probeErrors } : {}),
    ...(walking ? { callers: seen } : {}),
    end,
  };
}
