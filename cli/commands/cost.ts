/** `lexdr cost`: the monthly cost model of the configured deployment (cdk.json), from `infra/cost.ts`. */
import type { Command } from 'commander';
import { readConfigFile } from '../../infra/config';
import type { LexdrConfig } from '../../infra/config';
import { estimateMonthlyCost, formatCostReport } from '../../infra/cost';
import type { CliContext } from '../lib/context';
import { UsageError } from '../lib/errors';

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
    .option('--json', 'print the estimate as JSON')
    .action((opts: { calls?: string; json?: boolean }) => {
      let config: LexdrConfig;
      try {
        config = readConfigFile();
      } catch (err) {
        throw new UsageError(`cdk.json: ${(err as Error).message}`);
      }
      const calls = count(opts.calls, '--calls');
      const estimate = estimateMonthlyCost(config, calls !== undefined ? { callsPerMonth: calls } : {});
      ctx.io.out(opts.json ? JSON.stringify(estimate, null, 2) : formatCostReport(config, estimate));
    });
}
