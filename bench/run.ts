/**
 * `npm run bench`: lexdr's performance figures, each next to its goal, written to bench/REPORT.md.
 * A figure that misses its goal is reported as MISSED with the reason.
 *
 *   npm run bench                      # everything (the detection trials take several minutes)
 *   npm run bench -- --trials 3        # fewer detection trials
 *   npm run bench -- --only lookup,scale,cost
 */
import '../local/polyfills';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { STATE_PAYLOAD_LIMIT_BYTES } from '../core/aws-limits';
import { logger } from '../core/powertools';
import { benchCost } from './lib/cost';
import { benchDetection, projectConfig } from './lib/detection';
import type { DetectionPlan } from './lib/detection';
import { detectionFigures, noSwitchFigures } from './lib/detection-report';
import { forgedFlood, healthyCalls, textOnlyUnderSpeechFault } from './lib/reports';
import type { LexdrConfigInput } from '../infra/config';
import type { FaultMode } from '../local/lex';
import { benchLookup, coldShare } from './lib/lookup';
import type { LookupFigures } from './lib/lookup';
import { benchScale, largestDeployableBots } from './lib/scale';
import type { ScaleFigures } from './lib/scale';
import type { Figure } from './lib/stats';
import { iqr, median, round } from './lib/stats';

const ROOT = join(__dirname, '..');
const PARTS = ['detection', 'reports', 'lookup', 'scale', 'cost'] as const;

/** Detection goals without callers (the schedule's probes alone). */
const PROBE_GOALS_MS = { down: 10_000, throttled: 10_000, notfound: 10_000, hang: 12_000, wrongintent: 12_000 };
/** Detection goals with callers arriving at ≥ 1 call/s, whose reports start a check at once. */
const CALLER_GOALS_MS = { down: 3_000, throttled: 3_000, notfound: 3_000, hang: 6_000, nospeech: 6_000 };
/** Median share of callers who needed the flow's retry in the 15 s after a fault, with callers' reports. */
const RETRIED_GOAL_PERCENT = 10;
/** A speech-only fault with no callers: the periodic speech probe's period plus a detection. */
const SPEECH_PERIOD_MINUTES = 1;
/** Monthly cost at the default config (the cost model), reports and their checks included. */
const COST_GOAL_USD = 15;

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'not installed';
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ms = (x: number, d = 3) => `${x.toFixed(d)} ms`;
const usd = (x: number) => `$${x.toFixed(2)}`;

/**
 * The lookup's own share of its cold start. Lambda's own init takes hundreds of milliseconds; a few milliseconds
 * more of ours is worth one schema library for the whole product.
 */
const LOOKUP_OWN_SHARE_GOAL_MS = 25;

function lookupFigures(l: LookupFigures): Figure[] {
  const share = coldShare(l);
  const ratio = l.naive.p99 / l.cached.p99;
  return [
    {
      name: `Lookup, warm, p99 (${l.calls.toLocaleString('en-US')} calls, cached item)`,
      value: ms(l.cached.p99),
      goal: '≤ 1 ms',
      met: l.cached.p99 <= 1,
      note: `p50 ${ms(l.cached.median)}, max ${ms(l.cached.max, 1)}`,
    },
    {
      name: 'Lookup p99: naive read-every-call handler ÷ lexdr (side by side)',
      value: `${round(ratio, 1)}×`,
      goal: '≥ 20×',
      met: ratio >= 20,
      note: `naive p50 ${ms(l.naive.median)}, p99 ${ms(l.naive.p99)} (GetItem on every call, same client, same local DynamoDB)`,
    },
    {
      name: 'Lookup bundle (esbuild, node22, minified; the SDK external, the logger installed beside it)',
      value: `${(l.bundleBytes / 1024).toFixed(1)} KiB`,
      goal: '—',
      met: null,
    },
    {
      name: `Lookup cold start: our code's share of the init (the bundle's require − the AWS SDK client alone, side by side, ${l.requireMs.length} each, in processes that loaded the SDK first)`,
      value: ms(share.sdkLoaded, 1),
      goal: `≤ ${LOOKUP_OWN_SHARE_GOAL_MS} ms`,
      // Met only when the fresh-process difference is too.
      met: share.sdkLoaded <= LOOKUP_OWN_SHARE_GOAL_MS && share.fresh <= LOOKUP_OWN_SHARE_GOAL_MS,
      note: `the bundle ${ms(median(l.ownRequireMs), 1)} − the client alone ${ms(median(l.clientAfterSdkMs), 1)} (medians). From fresh processes, the SDK's own load included: bundle require median ${ms(median(l.requireMs), 1)} (min ${ms(Math.min(...l.requireMs), 1)}, max ${ms(Math.max(...l.requireMs), 1)}), @aws-sdk/client-dynamodb + @smithy/node-http-handler and a DynamoDBClient made of them alone ${ms(median(l.sdkRequireMs), 1)} (interquartile range ${ms(iqr(l.sdkRequireMs), 1)}): a difference of ${ms(share.fresh, 1)}, within the SDK load's own spread`,
    },
  ];
}

function scaleFigures(x: ScaleFigures): Figure[] {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return x.runs.flatMap((r) => [
    {
      name: `One cycle, ${x.bots} bots × ${x.regions} regions (${x.probes} probes, ${r.method}), median of ${r.cycleMs.length}`,
      value: s(median(r.cycleMs)),
      goal: '≤ 10 s',
      met: median(r.cycleMs) <= 10_000 && r.allPassed,
      note: `max ${s(Math.max(...r.cycleMs))}${r.allPassed ? '; every probe passed' : '; NOT every probe passed, an execution failed or a state passed 256 KiB'}`,
    },
    {
      name: `Largest state, ${x.bots} × ${x.regions} (${r.method}), a full-minute execution, healthy / every region down${x.workflowOnly ? ' (the workflow alone: one stack cannot deploy this size)' : ''}`,
      value: `${kib(r.peakStateBytes)} / ${kib(r.peakFailingStateBytes)}`,
      goal: "≤ 256 KiB, ≤ the config reader's estimate",
      met:
        Math.max(r.peakStateBytes, r.peakFailingStateBytes) <= STATE_PAYLOAD_LIMIT_BYTES &&
        Math.max(r.peakStateBytes, r.peakFailingStateBytes) <= x.estimatedStateBytes,
      note: `on every state's output and every task's input and result; estimate ${kib(x.estimatedStateBytes)} (infra/limits.ts); monthly cost (cost model, per Connect region) $${x.monthlyUsd.toFixed(2)}, after free tiers $${x.monthlyAfterFreeTierUsd.toFixed(2)}`,
    },
  ]);
}

function row(f: Figure): string {
  const verdict = f.met === null ? '—' : f.met ? 'met' : '**MISSED**';
  return `| ${f.name} | ${f.value} | ${f.goal} | ${verdict} | ${f.note ?? ''} |`;
}

async function main() {
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('SILENT');
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '10' },
      only: { type: 'string', default: PARTS.join(',') },
      out: { type: 'string', default: join(__dirname, 'REPORT.md') },
    },
  });
  const only = new Set(values.only!.split(','));
  const unknown = [...only].filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`--only ${unknown.join(',')}: must be among ${PARTS.join(', ')}`);
  const trials = Number(values.trials);
  if (!Number.isInteger(trials) || trials < 1)
    throw new Error(`--trials "${values.trials}": must be a whole number ≥ 1`);

  const started = new Date();
  const sections: string[] = [];
  const figures: Figure[] = [];
  const log = (x: string) => console.log(x);

  // The long real-time trials first, on a quiet process.
  if (only.has('detection')) {
    const each = (modes: FaultMode[]) => modes.flatMap((m) => Array.from({ length: trials }, () => m));
    const few = Math.min(trials, 5);
    const times = (n: number, modes: FaultMode[]) => modes.flatMap((m) => Array.from({ length: n }, () => m));
    const reportsOff = projectConfig({ callerReports: { enabled: false } as LexdrConfigInput['callerReports'] });
    const plans: DetectionPlan[] = [
      {
        label: 'default config, callers at 1 call/s',
        config: projectConfig(),
        modes: each(['down', 'throttled', 'notfound', 'hang']),
        callersPerSecond: 1,
        goals: CALLER_GOALS_MS,
        retriedGoalPercent: RETRIED_GOAL_PERCENT,
      },
      {
        // Today's path, side by side in the same run: the same callers, reports recorded but starting nothing.
        label: 'probe only (callerReports off), callers at 1 call/s',
        config: reportsOff,
        modes: times(few, ['down', 'throttled', 'notfound', 'hang']),
        callersPerSecond: 1,
      },
      {
        label: 'default config, speech-only fault, callers at 1 call/s',
        config: projectConfig(),
        modes: times(few, ['nospeech']),
        callersPerSecond: 1,
        goals: { nospeech: CALLER_GOALS_MS.nospeech },
      },
      {
        label: `speech-only fault, no callers, a speech probe every ${SPEECH_PERIOD_MINUTES} min`,
        config: projectConfig({
          probe: { speechEveryMinutes: SPEECH_PERIOD_MINUTES } as LexdrConfigInput['probe'],
        }),
        modes: times(Math.min(trials, 3), ['nospeech']),
        goals: { nospeech: SPEECH_PERIOD_MINUTES * 60_000 + PROBE_GOALS_MS.down },
      },
      {
        label: 'default config, no callers',
        config: projectConfig(),
        modes: each(['down', 'throttled', 'notfound', 'hang']),
        goals: PROBE_GOALS_MS,
      },
      {
        label: 'default config, NLU as the probe, no callers',
        config: projectConfig({ probe: { method: 'nlu' } as LexdrConfigInput['probe'] }),
        modes: times(few, ['wrongintent']),
        goals: { wrongintent: PROBE_GOALS_MS.wrongintent },
      },
    ];
    log(`detection (${plans.reduce((n, p) => n + p.modes.length, 0)} trials in real time, many minutes)…`);
    const d = detectionFigures(await benchDetection(plans, log));
    figures.unshift(...d.figures);
    sections.push('## Detection → failover trials', '', ...d.table, '');
  }
  if (only.has('reports')) {
    log('reports never switch by themselves (healthy calls, a forged flood, a text-only config under a speech fault)…');
    const textOnly = projectConfig({
      callerReports: { confirmWith: 'probe' } as LexdrConfigInput['callerReports'],
    });
    const runs = [
      await healthyCalls(projectConfig(), 1000, 20),
      await forgedFlood(projectConfig(), 200, 20),
      await textOnlyUnderSpeechFault(textOnly, 1, 30),
    ];
    for (const r of runs) log(`  ${r.label}: ${r.switches} region changes, ${r.reports} reports, ${r.checks} checks`);
    const n = noSwitchFigures(runs);
    figures.push(...n.figures);
    sections.push(...n.table);
  }
  if (only.has('lookup')) {
    log('lookup…');
    figures.push(...lookupFigures(await benchLookup(20_000, log)));
  }
  if (only.has('scale')) {
    log('scale…');
    figures.push(...scaleFigures(await benchScale(50, 5, log)));
    const largest = largestDeployableBots();
    if (largest !== 50) figures.push(...scaleFigures(await benchScale(largest, 3, log)));
    const five = ['us-east-1', 'us-west-2', 'eu-west-2', 'eu-central-1', 'ap-southeast-2'];
    figures.push(...scaleFigures(await benchScale(100, 1, log, { regions: five })));
  }
  if (only.has('cost')) {
    const c = benchCost();
    figures.push({
      name: "Monthly cost, default config (cost model, list prices, before free tiers; callers' reports and their checks included)",
      value: usd(c.lexdrUsd),
      goal: `≤ ${usd(COST_GOAL_USD)}`,
      met: c.lexdrUsd <= COST_GOAL_USD,
      note: `after free tiers ${usd(c.lexdrAfterFreeTierUsd)}; the 2020 5-minute design ${usd(c.originalUsd)}; worst-case detection ${c.detectionSeconds.lexdr} s vs ${c.detectionSeconds.original} s (model)`,
    });
  }

  const missed = figures.filter((f) => f.met === false);
  const cpu = cpus();
  const report = [
    '# lexdr benchmarks',
    '',
    `Generated by \`npm run bench\` on ${started.toISOString().slice(0, 10)} (${started.toISOString()}).`,
    '',
    `- Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory, ${process.platform} ${process.arch}`,
    `- Node ${process.version}; aws-local-stepfunctions ${version('aws-local-stepfunctions')}, dynalite ${version('dynalite')}, ` +
      `@aws-sdk/client-dynamodb ${version('@aws-sdk/client-dynamodb')}, @aws-sdk/client-lex-runtime-v2 ${version('@aws-sdk/client-lex-runtime-v2')}, esbuild ${version('esbuild')}`,
    '- Everything local: local Lex regions, dynalite, local CloudWatch, the real ASL run by aws-local-stepfunctions, the real handlers. ' +
      'Medians over repeats; ratios measured side by side in the same run.',
    '',
    missed.length
      ? `**${missed.length} figure(s) MISSED their goal** (see the notes).`
      : 'Every figure with a goal met it.',
    '',
    '| figure | value | goal | verdict | notes |',
    '|---|---|---|---|---|',
    ...figures.map(row),
    '',
    ...sections,
  ].join('\n');
  writeFileSync(values.out!, report);
  console.log(`\n${report}\nwritten to ${values.out}`);
}

main().catch((err: Error) => {
  console.error(`bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
