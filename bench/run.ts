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
import { RETRY_WINDOW_MS, benchDetection, projectConfig } from './lib/detection';
import type { DetectionFigures, DetectionPlan, DetectionRun } from './lib/detection';
import type { LexdrConfigInput } from '../infra/config';
import type { FaultMode } from '../local/lex';
import { benchLookup, coldShare } from './lib/lookup';
import type { LookupFigures } from './lib/lookup';
import { benchScale, largestDeployableBots } from './lib/scale';
import type { ScaleFigures } from './lib/scale';
import type { Figure } from './lib/stats';
import { distribution, iqr, median, round } from './lib/stats';

const ROOT = join(__dirname, '..');
const PARTS = ['detection', 'lookup', 'scale', 'cost'] as const;

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

/** Detection goals per fault mode: the share of callers hitting a failed bot falls with the time to move them. */
const DETECTION_GOAL_MS: Partial<Record<string, number>> = {
  down: 10_000,
  throttled: 10_000,
  notfound: 10_000,
  hang: 12_000,
  wrongintent: 12_000,
};

function configLine(c: DetectionRun['config']): string {
  return `cadence ${c.cadenceSeconds} s, failThreshold ${c.failThreshold}, failures confirmed inside the cycle: ${c.confirmFailures ? 'yes' : 'no'}, probe ${c.method} with timeout ${c.timeoutMs} ms, lookup cache ${c.lookupCacheSeconds} s`;
}

function detectionFigures(d: DetectionFigures): { figures: Figure[]; table: string[] } {
  const figures: Figure[] = [];
  const lines: string[] = [];
  for (const run of d.runs) {
    const modes = [...new Set(run.trials.map((t) => t.mode))];
    lines.push(`### ${run.label}`, '', `Config: ${configLine(run.config)}.`, '');
    lines.push(
      '| fault | trials | fault → lookup: min / median / p90 / max | fault → lexDR: median / max | callers retried (median / max) |',
    );
    lines.push('|---|---|---|---|---|');
    for (const mode of modes) {
      const ts = run.trials.filter((t) => t.mode === mode);
      const lookup = distribution(ts.map((t) => t.lookupMs));
      const table = distribution(ts.map((t) => t.tableMs));
      const retried = distribution(ts.map((t) => t.retryShare * 100));
      lines.push(
        `| ${mode} | ${ts.length} | ${s(lookup.min)} / ${s(lookup.median)} / ${s(lookup.p90)} / ${s(lookup.max)} | ${s(table.median)} / ${s(table.max)} | ${retried.median.toFixed(0)} % / ${retried.max.toFixed(0)} % |`,
      );
      const goal = DETECTION_GOAL_MS[mode];
      if (goal !== undefined && run.label.startsWith('default'))
        figures.push({
          name: `Fault → lookup answers the new region, worst of ${ts.length} \`${mode}\` trials (${run.label})`,
          value: s(lookup.max),
          goal: `≤ ${s(goal)}`,
          met: lookup.max <= goal,
          note: `min ${s(lookup.min)}, median ${s(lookup.median)}, p90 ${s(lookup.p90)}; callers needing the flow's retry in the ${RETRY_WINDOW_MS / 1000} s after the fault: median ${retried.median.toFixed(0)} %, max ${retried.max.toFixed(0)} %`,
        });
    }
    lines.push('');
    figures.push({
      name: `Executions failed during the trials (${run.label})`,
      value: String(run.failedExecutions),
      goal: '0',
      met: run.failedExecutions === 0,
    });
  }
  lines.push(
    'Every trial injects the fault at a random phase of the cycle. "Callers retried": the share of lookup answers, asked every 10 ms for ' +
      `${RETRY_WINDOW_MS / 1000} s from the fault, that still named the failed region — callers who met the failed bot first and were saved by the flow's retry.`,
    '',
    '| run | trial | fault | cycle phase at fault | fault → lexDR | fault → lookup | callers retried | change |',
    '|---|---|---|---|---|---|---|---|',
    ...d.runs.flatMap((run) =>
      run.trials.map(
        (t, i) =>
          `| ${run.label} | ${i + 1} | ${t.mode} | ${s(t.phaseMs)} | ${s(t.tableMs)} | ${s(t.lookupMs)} | ${(t.retryShare * 100).toFixed(0)} % | ${t.reason} → ${t.to} |`,
      ),
    ),
  );
  return { figures, table: lines };
}

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
    const plans: DetectionPlan[] = [
      { label: 'default config', config: projectConfig(), modes: each(['down', 'throttled', 'notfound', 'hang']) },
      {
        label: 'default config, NLU as the probe',
        config: projectConfig({ probe: { method: 'nlu' } as LexdrConfigInput['probe'] }),
        modes: each(['wrongintent']),
      },
      {
        // The defaults before failures were confirmed inside the cycle, side by side in the same run.
        label: 'previous default (10 s cadence, no confirmation, 5 s lookup cache)',
        config: projectConfig({
          cadenceSeconds: 10,
          confirmFailures: false,
          lookupCacheSeconds: 5,
          probe: { timeoutMs: 2500, latencyBudgetMs: 1500 } as LexdrConfigInput['probe'],
        }),
        modes: Array.from({ length: Math.min(trials, 5) }, () => 'down' as const),
      },
    ];
    log(`detection (${plans.reduce((n, p) => n + p.modes.length, 0)} trials in real time, many minutes)…`);
    const d = detectionFigures(await benchDetection(plans, log));
    figures.unshift(...d.figures);
    sections.push('## Detection → failover trials', '', ...d.table, '');
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
      name: 'Monthly cost, default config (cost model, list prices, before free tiers)',
      value: usd(c.lexdrUsd),
      goal: '—',
      met: null,
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
