/** `lexdr cost`: the monthly cost model of the configured deployment (cdk.json), from `infra/cost.ts`. */
import type { Command } from 'commander';
import { readConfigFile } from '../../infra/config';
import type { LexdrConfig } from '../../infra/config';
import { estimateMonthlyCost, formatCostReport } from '../../infra/cost';
import type { CliContext } from '../lib/context';
import { UsageError } from '../lib/errors';

/** Decimals of every amount in `--json`: 1/100 of a cent, so cheap lines (a few cents a month) keep their size. */
export const JSON_DECIMALS = 4;

/**
 * The estimate for `--json`: every non-integer number (dollars, GB-seconds) rounded to JSON_DECIMALS, so the output
 * shows the model's precision rather than floating-point noise (`0.0432`, not `0.043199999999999995`). Each value is
 * rounded on its own: a total can differ from the sum of its rounded lines in the last decimal.
 */
export function roundForJson<T>(value: T, decimals = JSON_DECIMALS): T {
  const f = 10 ** decimals;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isInteger(v) ? v : Math.round(v * f) / f + 0;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

function count(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} "${text}": must be a whole number ≥ 0`);
  return n;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('cost')
    .description('Print the monthly cost model of the configured deployment (cdk.json context "lexdr").')
    .option('--calls <n>', 'contacts per month that reach the lookup')
    .option('--json', `print the estimate as JSON (amounts in USD, rounded to ${JSON_DECIMALS} decimals)`)
    .action((opts: { calls?: string; json?: boolean }) => {
      let config: LexdrConfig;
      try {
        config = readConfigFile();
      } catch (err) {
        throw new UsageError(`cdk.json: ${(err as Error).message}`);
      }
      const calls = count(opts.calls, '--calls');
      const estimate = estimateMonthlyCost(config, calls !== undefined ? { callsPerMonth: calls } : {});
      ctx.io.out(opts.json ? JSON.stringify(roundForJson(estimate), null, 2) : formatCostReport(config, estimate));
    });
}
