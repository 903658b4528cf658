/** The cost estimate (`infra/cost.ts`) as the plain-text report `lexdr cost` and `npm run cost` print. */
import { confirmDelaySeconds, confirmationsPerCycle } from '../core/cycle-plan';
import type { LexdrConfig } from './config';
import type { CostEstimate, CostLine } from './cost';

const usd = (n: number) => (n < 0 ? '-' : '') + '$' + Math.abs(n).toFixed(2);
const qty = (n: number) =>
  n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 });

function table(lines: readonly CostLine[]): string[] {
  const rows = lines.map((l) => [l.service, l.item, `${qty(l.quantity)} ${l.unit}`, usd(l.usd)]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map(
    (r) =>
      `  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}  ${r[3]!.padStart(9)}`,
  );
}

/** The estimate as a plain-text report. */
export function formatCostReport(config: LexdrConfig, e: CostEstimate): string {
  const b = e.basis;
  return [
    `lexdr monthly cost at list prices (us-east-1, 30 days) — ${config.regions.length} regions × ${config.bots.length} bot(s), ` +
      `cadence ${config.cadenceSeconds} s, probe "${config.probe.method}", NLU every ${config.probe.nluEveryMinutes} min`,
    `  ${qty(b.executions)} executions, ${qty(b.cycles)} cycles, ${qty(b.probes)} probes (${qty(b.nluProbes)} NLU), ${qty(b.lambdaInvocations)} Lambda requests`,
    '',
    ...table(e.lines),
    `  ${'Total'.padEnd(20)}${usd(e.totalUsd).padStart(9)}`,
    '',
    'Always-free tiers remove:',
    ...table(e.freeTier),
    `  ${'Total after free tiers'.padEnd(24)}${usd(e.totalAfterFreeTierUsd).padStart(9)}`,
    '',
    'The 2020 design (Lambda every 5 minutes, PostText to the primary, DynamoDB write each run):',
    ...table(e.original.lines),
    `  ${'Total'.padEnd(20)}${usd(e.original.totalUsd).padStart(9)}`,
    '',
    `The health check itself (workflow, Lambdas, Lex probes, table, schedule): ${usd(e.healthCheckUsd)} a month, beside the 2020 design's ${usd(e.original.totalUsd)}.`,
    '',
    'Worst-case time from a region failing to the DR table naming another one:',
    `  lexdr:    ${e.detectionSeconds.lexdr} s (${confirmationsPerCycle(config) >= config.failThreshold - 1 ? `cadence ${config.cadenceSeconds} s + ${config.failThreshold} probes of at most ${config.probe.timeoutMs / 1000} s, each failure confirmed ${confirmDelaySeconds(config)} s later + write` : `failThreshold ${config.failThreshold} × cadence ${config.cadenceSeconds} s + probe timeout ${config.probe.timeoutMs / 1000} s + write`}; the lookup's cache adds up to ${config.lookupCacheSeconds} s)`,
    `  original: ${e.detectionSeconds.original} s (5-minute schedule + probe timeout; one failure switches)`,
    '',
    `Callers' reports: ${qty(e.basis.reports)} a month starting ${qty(e.basis.checks)} checks (the model's healthy-operation assumption; an outage adds one check per report burst, rate-limited to one per ${config.callerReports.minIntervalSeconds} s per region).`,
    'Not included: Lex traffic of real callers, Amazon Connect, data transfer, taxes. Prices change: check the AWS pricing pages.',
  ].join('\n');
}
