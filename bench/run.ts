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
import { logger } from '../handlers/lib/powertools';
import { benchCost } from './lib/cost';
import { benchDetection } from './lib/detection';
import type { DetectionFigures } from './lib/detection';
import { benchLookup } from './lib/lookup';
import type { LookupFigures } from './lib/lookup';
import { benchScale, largestDeployableBots } from './lib/scale';
import type { ScaleFigures } from './lib/scale';
import type { Figure } from './lib/stats';
import { distribution, median, round } from './lib/stats';

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

function detectionFigures(d: DetectionFigures): { figures: Figure[]; table: string[] } {
  const down = d.trials.filter((t) => t.mode === 'down');
  const hang = d.trials.filter((t) => t.mode === 'hang');
  const lookup = distribution(down.map((t) => t.lookupMs));
  const table = distribution(down.map((t) => t.tableMs));
  const theory = d.config.failThreshold * d.config.cadenceSeconds * 1000;
  const figures: Figure[] = [
    {
      name: `Fault → lookup answers the new region, worst of ${down.length} \`down\` trials`,
      value: s(lookup.max),
      goal: '≤ 30 s',
      met: lookup.max <= 30_000,
      note: `min ${s(lookup.min)}, median ${s(lookup.median)}, p90 ${s(lookup.p90)}; fault → lexDR changed: min ${s(table.min)}, median ${s(table.median)}, p90 ${s(table.p90)}, max ${s(table.max)}`,
    },
    ...hang.map<Figure>((t) => ({
      name: 'Fault → lookup answers the new region, `hang` (the probe timeout adds)',
      value: s(t.lookupMs),
      goal: '≤ 30 s',
      met: t.lookupMs <= 30_000,
      note: `lexDR changed after ${s(t.tableMs)}; probe timeout ${d.config.timeoutMs} ms`,
    })),
    {
      name: 'Executions failed during the trials',
      value: String(d.failedExecutions),
      goal: '0',
      met: d.failedExecutions === 0,
    },
  ];
  const lines = [
    `Config: cadence ${d.config.cadenceSeconds} s, failThreshold ${d.config.failThreshold}, probe timeout ${d.config.timeoutMs} ms, lookup cache ${d.config.lookupCacheSeconds} s. ` +
      `Expected: lexDR changes between ${s(theory - d.config.cadenceSeconds * 1000)} and ${s(theory)} after the fault (plus the probe timeout for \`hang\`), the lookup up to ${d.config.lookupCacheSeconds} s later.`,
    '',
    '| trial | fault | cycle phase at fault | fault → lexDR | fault → lookup | change |',
    '|---|---|---|---|---|---|',
    ...d.trials.map(
      (t, i) =>
        `| ${i + 1} | ${t.mode} | ${s(t.phaseMs)} | ${s(t.tableMs)} | ${s(t.lookupMs)} | ${t.reason} → ${t.to} |`,
    ),
  ];
  return { figures, table: lines };
}

function lookupFigures(l: LookupFigures): Figure[] {
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
      name: 'Lookup bundle (esbuild, node22, SDK external, minified)',
      value: `${(l.bundleBytes / 1024).toFixed(1)} KiB`,
      goal: '—',
      met: null,
    },
    {
      name: 'Lookup bundle require time in a fresh node (cold-start proxy, median of 11)',
      value: ms(median(l.requireMs), 1),
      goal: '—',
      met: null,
      note: `min ${ms(Math.min(...l.requireMs), 1)}, max ${ms(Math.max(...l.requireMs), 1)}; includes loading @aws-sdk/client-dynamodb, as the Lambda runtime would`,
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
      name: `Largest state, ${x.bots} × ${x.regions} (${r.method}), a full-minute execution, healthy / every region down`,
      value: `${kib(r.peakStateBytes)} / ${kib(r.peakFailingStateBytes)}`,
      goal: "≤ 256 KiB, ≤ the config reader's estimate",
      met:
        Math.max(r.peakStateBytes, r.peakFailingStateBytes) <= 256 * 1024 &&
        Math.max(r.peakStateBytes, r.peakFailingStateBytes) <= x.estimatedStateBytes,
      note: `on every Lambda task's input and output; estimate ${kib(x.estimatedStateBytes)} (infra/limits.ts); monthly cost (cost model, per Connect region) $${x.monthlyUsd.toFixed(2)}, after free tiers $${x.monthlyAfterFreeTierUsd.toFixed(2)}`,
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
    log(`detection (${trials} + 1 trials in real time, several minutes)…`);
    const d = detectionFigures(await benchDetection(trials, log));
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
