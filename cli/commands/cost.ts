/**
 * `lexdr cost`: the monthly cost model of the configured deployment (cdk.json), from `infra/cost.ts`
 * (`estimateMonthlyCost(config)` and `formatCostReport(estimate)`).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readConfigFile } from '../../infra/config';
import type { LexdrConfig } from '../../infra/config';
import type { CliContext } from '../lib/context';
import { CliError, EXIT, UsageError } from '../lib/errors';

export interface CostModule {
  estimateMonthlyCost(config: LexdrConfig): unknown;
  formatCostReport(estimate: unknown): string;
}

/** Loaded by path so the CLI still builds when the cost model is absent. */
export const COST_MODULE = join(__dirname, '..', '..', 'infra', 'cost');

export function loadCostModule(path = COST_MODULE): CostModule {
  const load = createRequire(__filename);
  let mod: Partial<CostModule>;
  try {
    mod = load(path) as Partial<CostModule>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(path))
      throw new CliError('the cost model infra/cost.ts is not in this checkout', EXIT.failure);
    throw new CliError(`the cost model (infra/cost.ts) could not be loaded: ${e.message}`, EXIT.failure);
  }
  if (typeof mod.estimateMonthlyCost !== 'function' || typeof mod.formatCostReport !== 'function')
    throw new CliError('infra/cost.ts does not export estimateMonthlyCost and formatCostReport', EXIT.failure);
  return mod as CostModule;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('cost')
    .description('Print the monthly cost model of the configured deployment (cdk.json context "lexdr").')
    .option('--json', 'print the estimate as JSON')
    .action(async (opts: { json?: boolean }) => {
      let config: LexdrConfig;
      try {
        config = readConfigFile();
      } catch (err) {
        throw new UsageError(`cdk.json: ${(err as Error).message}`);
      }
      const cost = loadCostModule();
      const estimate = cost.estimateMonthlyCost(config);
      ctx.io.out(opts.json ? JSON.stringify(estimate, null, 2) : cost.formatCostReport(estimate));
    });
}
