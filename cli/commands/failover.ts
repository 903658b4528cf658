/**
 * `lexdr failover --to <region>`: the manual pin on the lexDR item; the workflow's next cycle applies it (a region
 * change recorded with reason `pinned`) and removes it if the pinned region fails its probes.
 * `lexdr failback`: the operator's decision to return callers to the primary. When the primary's latest probes
 * pass, it switches lexRegion at once (a conditional write on the item's version, recorded in the history as
 * `failback`); otherwise it refuses with the reason. `--when-recovered` leaves it to the workflow's hysteresis
 * (recoverThreshold consecutive passes). `--wait` asks the real lookup until it answers the new region.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { CliContext } from '../lib/context';
import { withTarget } from '../lib/context';
import { readConfigFile } from '../../infra/config';
import type { DrItem, LookupClient, Pin } from '../lib/dr-table';
import {
  ItemChangedError,
  clearPinIfUnchanged,
  getItem,
  lookupClient,
  setPin,
  switchRegion,
  waitForLookup,
} from '../lib/dr-table';
import { CliError, EXIT, UsageError } from '../lib/errors';
import { formatMs, parseDuration } from '../lib/format';
import type { GlobalOptions, Target } from '../lib/target';

export interface WaitOptions {
  wait?: boolean;
  timeout?: string;
  lookupFunction?: string;
}

export interface FailbackOptions extends WaitOptions {
  yes?: boolean;
  by?: string;
  whenRecovered?: boolean;
}

export interface FailoverOptions {
  to: string;
  for?: string;
  reason?: string;
  by?: string;
  yes?: boolean;
  wait?: boolean;
  timeout?: string;
  lookupFunction?: string;
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

/** `--wait`: asks the real lookup until it answers `region`; prints one line per answer change and the time taken. */
async function waitUntilLookupAnswers(
  ctx: CliContext,
  t: Target,
  g: GlobalOptions,
  o: WaitOptions,
  region: string,
  defaultTimeout: string,
): Promise<void> {
  const timeoutMs = parseDuration(o.timeout ?? defaultTimeout, '--timeout', { min: 1000, max: 3_600_000 });
  let lookup: LookupClient | undefined;
  try {
    lookup = await lookupClient(t, { ...g, ...(o.lookupFunction ? { lookupFunction: o.lookupFunction } : {}) }, ctx.io);
    let last = '';
    const r = await waitForLookup(lookup, region, {
      io: ctx.io,
      pollMs: t.pollMs,
      timeoutMs,
      onWait: (a, ms) => {
        const now = `${a.lexRegion} (${a.status})`;
        if (now !== last) ctx.io.out(`Waiting: the lookup still answers ${now} after ${formatMs(ms)}…`);
        else ctx.io.progress(`Waiting: the lookup answers ${now}, ${formatMs(ms)}…`);
        last = now;
      },
    });
    if (!r.ok)
      throw new CliError(
        `the lookup still answers ${r.answer.lexRegion} (${r.answer.status}) after ${formatMs(r.elapsedMs)}, not ${region}`,
        EXIT.failure,
      );
    ctx.io.out(
      `The lookup answers ${region} (${(r.elapsedMs / 1000).toFixed(1)} s after the write): new calls go to ${region}.`,
    );
  } finally {
    lookup?.close();
  }
}

/** Why the primary cannot take callers back now, or null when its latest probes pass. */
export function refusal(item: DrItem, primary: string, now: Date): string | null {
  const h = item.regionHealth[primary];
  const d = item.drill;
  if (d && Date.parse(d.until) > now.getTime() && d.failRegions.includes(primary))
    return `a drill (${d.execution || 'running'}) fails ${primary} until ${d.until}`;
  if (!h) return `the item holds no probe results for ${primary}`;
  if (h.fails > 0)
    return `${primary} failed its latest probe (${h.reason}; ${h.fails} consecutive failure${h.fails === 1 ? '' : 's'})`;
  if (h.passes === 0) return `${primary} has no passing probe recorded yet`;
  return null;
}

/** The checkout's cdk.json recovery settings, for a hint (the system may run with others). */
function recoverHint(t: Target): string {
  try {
    const c = readConfigFile();
    if (c.connectRegion !== t.connectRegion) return '';
    return ` (this checkout's cdk.json: ${c.recoverThreshold} passes, one probe every ${c.cadenceSeconds} s ≈ ${formatMs(c.recoverThreshold * c.cadenceSeconds * 1000)})`;
  } catch {
    return '';
  }
}

const waitOptions = (c: Command, timeout: string): Command =>
  c
    .option('--wait', 'then ask the real lookup until it answers the new region')
    .option('--timeout <duration>', 'how long --wait waits', timeout)
    .option('--lookup-function <name>', 'the lookup Lambda (--aws; default: the stack output LookupFunctionArn)');

export function register(program: Command, ctx: CliContext): void {
  waitOptions(
    program
      .command('failover')
      .description('Pin the active region by hand (the workflow applies it on its next cycle).')
      .requiredOption('--to <region>', 'the region to serve calls from')
      .option('--for <duration>', 'how long the pin holds (1m–7d)', '30m')
      .option('--reason <text>', 'why (recorded in the history)', 'manual failover')
      .option('--by <name>', 'who pins (default: your OS user)')
      .option('-y, --yes', 'do not ask for confirmation'),
    '2m',
  )
    .addHelpText(
      'after',
      '\nThe pin is dropped automatically if the pinned region fails its probes (reason pin-broken) or expires.\nExample: lexdr failover --to us-west-2 --for 2h --reason "us-east-1 maintenance" --yes --wait',
    )
    .action(async (opts: FailoverOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      await withTarget(ctx, g, {}, async (t) => {
        const pin = buildPin(ctx, t, opts);
        const item = await getItem(t);
        const h = item?.regionHealth[pin.region];
        const current = item?.lexRegion ?? t.regions?.[0] ?? 'none';
        ctx.io.out(
          `Callers are on ${current} now. ${pin.region}: ${h ? `fails ${h.fails}, passes ${h.passes} (${h.reason})` : 'no health recorded yet'}.`,
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
        ctx.io.out(
          `Pinned Connect ${t.connectRegion} to Lex ${pin.region} until ${pin.until} by ${pin.by}: ${pin.reason}.`,
        );
        if (current === pin.region)
          ctx.io.out(
            `Callers are already on ${pin.region}; the pin keeps them there (the workflow neither fails back nor over while it holds, unless ${pin.region} fails its probes). Undo with \`lexdr failback\`.`,
          );
        else
          ctx.io.out(
            `Callers stay on ${current} until the next health-check cycle applies it and moves them to ${pin.region} (recorded in the history as "pinned"). Undo with \`lexdr failback\`.`,
          );
        if (opts.wait) await waitUntilLookupAnswers(ctx, t, g, opts, pin.region, '2m');
      });
    });

  waitOptions(
    program
      .command('failback')
      .description(
        'Return callers to the primary region now, if its latest probes pass (refuses with the reason otherwise).',
      )
      .option('--when-recovered', 'instead, let the workflow fail back after recoverThreshold consecutive passes')
      .option('--by <name>', 'who fails back (default: your OS user; recorded in the history)')
      .option('-y, --yes', 'do not ask for confirmation'),
    '1m',
  )
    .addHelpText(
      'after',
      '\nThe switch is a conditional write on the lexDR item version, so it cannot overwrite a concurrent workflow write;\nit removes any pin and is recorded in the history as "failback". Exit 1 when it refuses.\nExample: lexdr failback --yes --wait',
    )
    .action(async (opts: FailbackOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      await withTarget(ctx, g, {}, async (t) => {
        const primary = t.regions?.[0];
        if (!primary) throw new UsageError('the bot regions are not known: pass --regions (primary first)');
        const by = operator(ctx, opts.by);
        let confirmed = false;
        for (let attempt = 1; ; attempt += 1) {
          const item = await getItem(t);
          if (!item) {
            ctx.io.out(
              `No lexDR item for ${t.connectRegion} yet: the lookup answers the primary ${primary}. Nothing to do.`,
            );
            return;
          }
          const current = item.lexRegion;
          const pin = item.pin;
          const pinText = pin ? ` Pinned to ${pin.region} by ${pin.by} until ${pin.until}: ${pin.reason}.` : '';
          try {
            if (current === primary) {
              if (!pin) {
                ctx.io.out(`Callers are already on the primary ${primary}; nothing to do.`);
                return;
              }
              ctx.io.out(`Callers are on the primary ${primary}.${pinText}`);
              if (!confirmed) await confirm(ctx, `Remove the pin on ${t.where}?`, opts.yes);
              confirmed = true;
              await clearPinIfUnchanged(t, item);
              ctx.io.out(
                pin.region === primary
                  ? `Pin removed. Callers stay on ${primary}; the workflow follows the probes again.`
                  : `Pin to ${pin.region} removed before the workflow applied it. Callers stay on ${primary}.`,
              );
              return;
            }
            if (opts.whenRecovered) {
              const h = item.regionHealth[primary];
              const why = refusal(item, primary, ctx.io.now());
              const state = why
                ? `Now ${why}.`
                : `${primary} has passed ${h?.passes ?? 0} consecutive probe(s) so far.`;
              if (pin) {
                ctx.io.out(`Callers are on ${current}.${pinText}`);
                if (!confirmed) await confirm(ctx, `Remove the pin on ${t.where}?`, opts.yes);
                confirmed = true;
                await clearPinIfUnchanged(t, item);
                ctx.io.out('Pin removed.');
              }
              ctx.io.out(
                `Callers stay on ${current}. The workflow returns them to ${primary} once ${primary} has passed recoverThreshold consecutive probes${recoverHint(t)}, recorded as "failback". ${state}`,
              );
              return;
            }
            const why = refusal(item, primary, ctx.io.now());
            if (why)
              throw new CliError(
                `not failing back: ${why}. Callers stay on ${current}. Run it again once ${primary}'s probes pass (\`lexdr status\`), or use --when-recovered to let the workflow fail back after recoverThreshold passes.`,
                EXIT.failure,
              );
            const h = item.regionHealth[primary]!;
            ctx.io.out(`Callers are on ${current}. ${primary} passed its latest ${h.passes} probe(s).${pinText}`);
            if (!confirmed)
              await confirm(ctx, `Return Connect ${t.connectRegion} to Lex ${primary} now on ${t.where}?`, opts.yes);
            confirmed = true;
            const change = await switchRegion(t, item, {
              to: primary,
              reason: 'failback',
              detail: `by ${by} (lexdr failback): ${primary} passed its latest ${h.passes} probe(s)${pin ? `; pin to ${pin.region} removed` : ''}`,
              by,
              at: ctx.io.now(),
            });
            ctx.io.out(
              `Failed back: Connect ${t.connectRegion} → Lex ${primary} now (was ${change.from}), recorded in the history as "failback" by ${by}.`,
            );
            ctx.io.out(
              opts.wait
                ? `Asking the lookup until it answers ${primary} (it caches the item for a few seconds)…`
                : `The lookup answers ${primary} once its cache expires (lookupCacheSeconds); --wait shows it. If ${primary} fails again, the workflow fails over as usual.`,
            );
          } catch (err) {
            if (err instanceof ItemChangedError && attempt < 3) {
              ctx.io.out(`The item changed while writing (a health-check cycle wrote it); reading it again.`);
              continue;
            }
            throw err;
          }
          break;
        }
        if (opts.wait) await waitUntilLookupAnswers(ctx, t, g, opts, primary, '1m');
      });
    });
}
