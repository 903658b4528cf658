/**
 * `lexdr failover --to <region>` / `lexdr failback`: the manual pin on the lexDR item. The CLI only writes the
 * pin; the workflow's next cycle applies it (a region change recorded with reason `pinned`) and removes it if
 * the pinned region fails its probes.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { CliContext } from '../lib/context';
import { withTarget } from '../lib/context';
import type { Pin } from '../lib/dr-table';
import { clearPin, getItem, setPin } from '../lib/dr-table';
import { CliError, EXIT, UsageError } from '../lib/errors';
import { formatMs, parseDuration } from '../lib/format';
import type { GlobalOptions, Target } from '../lib/target';

export interface FailoverOptions {
  to: string;
  for?: string;
  reason?: string;
  by?: string;
  yes?: boolean;
}

function operator(ctx: CliContext, by?: string): string {
  if (by) return by;
  try {
    return userInfo().username || ctx.io.env.USER || 'unknown';
  } catch {
    return ctx.io.env.USER ?? 'unknown';
  }
}

async function confirm(ctx: CliContext, question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!ctx.io.interactive) throw new UsageError('not a terminal: pass --yes to confirm');
  if (!(await ctx.io.confirm(question))) throw new CliError('cancelled; nothing changed', EXIT.failure);
}

function nextCycle(t: Target): string {
  return t.kind === 'local'
    ? 'The next health-check cycle applies it (`npm start` runs an execution every minute).'
    : 'The next health-check cycle applies it (within one cadence; the running execution re-reads the item).';
}

export function buildPin(ctx: CliContext, t: Target, opts: FailoverOptions): Pin {
  if (t.regions?.length && !t.regions.includes(opts.to))
    throw new UsageError(`--to "${opts.to}": not a configured region (${t.regions.join(', ')})`);
  if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(opts.to))
    throw new UsageError(`--to "${opts.to}": must be a region name such as us-west-2`);
  const ms = parseDuration(opts.for ?? '30m', '--for', { min: 60_000, max: 7 * 86_400_000 });
  const reason = opts.reason ?? 'manual failover';
  if (reason.length > 200) throw new UsageError('--reason: at most 200 characters');
  return {
    region: opts.to,
    until: new Date(ctx.io.now().getTime() + ms).toISOString(),
    by: operator(ctx, opts.by),
    reason,
  };
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('failover')
    .description('Pin the active region by hand (the workflow applies it on its next cycle).')
    .requiredOption('--to <region>', 'the region to serve calls from')
    .option('--for <duration>', 'how long the pin holds (1m–7d)', '30m')
    .option('--reason <text>', 'why (recorded in the history)', 'manual failover')
    .option('--by <name>', 'who pins (default: your OS user)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nThe pin is dropped automatically if the pinned region fails its probes (reason pin-broken) or expires.\nExample: lexdr failover --to us-west-2 --for 2h --reason "us-east-1 maintenance" --yes',
    )
    .action(async (opts: FailoverOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      await withTarget(ctx, g, {}, async (t) => {
        const pin = buildPin(ctx, t, opts);
        const item = await getItem(t);
        const h = item?.regionHealth[pin.region];
        const current = item?.lexRegion ?? 'none';
        ctx.io.out(
          `Active region now: ${current}. ${pin.region}: ${h ? `fails ${h.fails}, passes ${h.passes} (${h.reason})` : 'no health recorded yet'}.`,
        );
        if (h && h.fails > 0)
          ctx.io.err(
            `warning: ${pin.region} is failing probes (${h.reason}); the workflow will not keep a pin on a failed region.`,
          );
        await confirm(
          ctx,
          `Pin Connect ${t.connectRegion} to Lex ${pin.region} until ${pin.until} (${formatMs(Date.parse(pin.until) - ctx.io.now().getTime())}) on ${t.where}?`,
          opts.yes,
        );
        await setPin(t, pin);
        ctx.io.out(`Pinned ${t.connectRegion} → ${pin.region} until ${pin.until} by ${pin.by}: ${pin.reason}.`);
        ctx.io.out(`${nextCycle(t)} It is recorded in the history with reason "pinned". Undo with \`lexdr failback\`.`);
      });
    });

  program
    .command('failback')
    .description('Remove the manual pin: the workflow returns to the best healthy region on its next cycles.')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (opts: { yes?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      await withTarget(ctx, g, {}, async (t) => {
        const item = await getItem(t);
        if (!item?.pin) {
          ctx.io.out(`No pin on ${t.connectRegion} (active region ${item?.lexRegion ?? 'none'}); nothing to do.`);
          return;
        }
        ctx.io.out(`Pinned to ${item.pin.region} by ${item.pin.by} until ${item.pin.until}: ${item.pin.reason}.`);
        await confirm(ctx, `Remove the pin on ${t.where}?`, opts.yes);
        await clearPin(t);
        ctx.io.out(
          `Pin removed. The next health-check cycle returns to the highest-priority healthy region (recorded as "failback").`,
        );
      });
    });
}
