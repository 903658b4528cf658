/**
 * `lexdr simulate --calls N`: callers arrive in real time at the running local system while a region fault is
 * injected and then detected by the real workflow. Each caller walks the rendered contact flow: the real lookup
 * over HTTP, then a real Lex conversation turn in the region the flow picks — spoken (RecognizeUtterance with the
 * shipped probe recording), as callers speak, so a fault that breaks only speech fails them — retrying the fallback
 * region on any bot error, as Connect would. The flow's reports of those errors go, without the caller waiting, to
 * the local report function (`report` in the endpoints file) as the ContactFlowEvent Connect would send.
 * Prints calls served, served after the retry, sent to agents, dropped, and the reports sent.
 * While it runs: on a terminal one progress line redrawn after every caller, otherwise a line every 3 s (stderr).
 */
import type { Command } from 'commander';
import { readConfigFile } from '../../infra/config';
import { buildSettings } from '../../infra/settings';
import { lexClientFactory } from '../../core/lex-clients';
import { simulateLoad } from '../../flows/load-sim';
import type { LoadResult } from '../../flows/load-sim';
import { contactFlowEvent } from '../../flows/simulate';
import { CALLER_BOT_TIMEOUT_MS, LOCAL_ACCOUNT, localContactFlow, spokenBotOutcome } from '../../local/spoken-caller';
import type { CliContext } from '../lib/context';
import { withTarget } from '../lib/context';
import { CliError, EXIT, UsageError } from '../lib/errors';
import type { GlobalOptions } from '../lib/target';

/** How long the local report function may take to take a report (it answers 202 at once). */
const REPORT_TIMEOUT_MS = 3000;
/** Without a terminal, a progress line at most this often (env LEXDR_PROGRESS_MS), and after the last caller. */
export const PROGRESS_MS = 3000;

interface SimulateOptions {
  calls: string;
  rate: string;
  faultAt: string;
  faultRegion?: string;
  faultMode: string;
  keepFault?: boolean;
  lookupFault: string;
  json?: boolean;
}

/** How the simulated lookup Lambda fails for every caller (`--lookup-fault`): the flow must still serve them. */
const LOOKUP_FAULTS = ['none', 'error', 'timeout'] as const;

function positive(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new UsageError(`--${name} "${v}": must be a number > 0 and ≤ ${max}`);
  return n;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('simulate')
    .description('Simulated callers through the contact flow against `npm start`, across an injected region fault.')
    .option('--calls <n>', 'callers in all', '300')
    .option('--rate <perSecond>', 'callers arriving per second', '5')
    .option('--fault-at <seconds>', 'inject the fault this many seconds after the first caller', '10')
    .option('--fault-region <region>', 'region to break (default: the active one)')
    .option('--fault-mode <mode>', 'down | throttled | notfound | hang | wrongintent', 'down')
    .option('--keep-fault', 'leave the fault in place at the end')
    .option(
      '--lookup-fault <mode>',
      `the lookup Lambda fails for every caller: ${LOOKUP_FAULTS.join(' | ')} (the flow falls back to the bots by their deployed aliases)`,
      'none',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExit code 1 when any caller was dropped.')
    .action(async (opts: SimulateOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (g.aws) throw new UsageError('simulate runs against the local system (`npm start`) only');
      const calls = positive('calls', opts.calls, 100_000);
      if (!Number.isInteger(calls)) throw new UsageError(`--calls "${opts.calls}": must be a whole number`);
      const rate = positive('rate', opts.rate, 100);
      const faultAtMs = positive('fault-at', opts.faultAt, 3600) * 1000;
      if (!['down', 'throttled', 'notfound', 'hang', 'wrongintent', 'nospeech'].includes(opts.faultMode))
        throw new UsageError(
          `--fault-mode "${opts.faultMode}": must be down, throttled, notfound, hang, wrongintent or nospeech`,
        );

      await withTarget(ctx, { ...g, local: true }, {}, async (t) => {
        const local = t.local!;
        const config = readConfigFile();
        const settings = buildSettings(
          config,
          (bot, region) => {
            const ids = local.bots.find((b) => b.name === bot.name)?.regions[region];
            if (!ids) throw new UsageError(`the local system has no ${bot.name} bot in ${region}: restart npm start`);
            return { botId: ids.botId, botAliasId: ids.botAliasId };
          },
          LOCAL_ACCOUNT,
        );
        const { flow, instanceArn } = localContactFlow(settings);
        const lex = lexClientFactory({
          endpoints: local.lex,
          timeoutMs: CALLER_BOT_TIMEOUT_MS,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        });
        if (!(LOOKUP_FAULTS as readonly string[]).includes(opts.lookupFault))
          throw new UsageError(`--lookup-fault "${opts.lookupFault}": must be one of ${LOOKUP_FAULTS.join(', ')}`);
        const lookup = async (params: Record<string, string>, contactId: string) => {
          if (opts.lookupFault === 'error')
            throw Object.assign(new Error('simulated lookup failure'), { name: 'Lambda.ServiceException' });
          if (opts.lookupFault === 'timeout') return new Promise<never>(() => undefined); // past the flow's limit
          const res = await fetch(local.lookup, {
            method: 'POST',
            body: JSON.stringify(contactFlowEvent(params, { contactId, instanceArn })),
            signal: AbortSignal.timeout(3000),
          });
          if (!res.ok) throw new Error(`lookup answered HTTP ${res.status}`);
          return res.json();
        };
        // The flow's asynchronous report, as Connect sends it; nobody waits for it but the final tally.
        const reportUrl = local.report;
        if (!reportUrl) ctx.io.err('the local system has no report endpoint (restart npm start): reports are not sent');
        const report = reportUrl
          ? async (params: Record<string, string>, c: { contactId: string }) => {
              const res = await fetch(reportUrl, {
                method: 'POST',
                body: JSON.stringify(contactFlowEvent(params, { contactId: c.contactId, instanceArn })),
                signal: AbortSignal.timeout(REPORT_TIMEOUT_MS),
              });
              await res.arrayBuffer();
              if (!res.ok) throw new Error(`report answered HTTP ${res.status}`);
            }
          : undefined;
        const spoken = spokenBotOutcome({
          settings,
          lexV2: (r) => lex.lexV2(r),
          sessionPrefix: `lexdr-sim-${process.pid}`,
        });
        const botOutcome = (aliasArn: string, c: { region: string }) => spoken(aliasArn, c.region);

        const status = async () =>
          (await (await fetch(`${local.control}/status`)).json()) as { item?: { lexRegion?: string } };
        const before = (await status()).item?.lexRegion ?? settings.regions[0]!;
        const faultRegion = opts.faultRegion ?? (before === 'err' ? settings.regions[0]! : before);
        if (!settings.regions.includes(faultRegion))
          throw new UsageError(`--fault-region "${faultRegion}": must be one of ${settings.regions.join(', ')}`);
        const setFault = async (mode: string) => {
          const res = await fetch(`${local.lex[faultRegion]}/_lexdr/fault`, {
            method: 'PUT',
            body: JSON.stringify({ mode }),
          });
          if (!res.ok) throw new CliError(`could not set the fault: HTTP ${res.status} ${await res.text()}`);
        };

        const started = Date.now();
        const gapMs = 1000 / rate;
        const sleepUntil = (ms: number) =>
          new Promise<void>((r) => setTimeout(r, Math.max(0, started + ms - Date.now())));
        let switchedAt: number | undefined;
        const since = () => `t+${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s`;
        const progressMs = Number(ctx.io.env.LEXDR_PROGRESS_MS ?? PROGRESS_MS);
        let lastLineAt: number | undefined;
        const timeline = [
          ...Array.from({ length: calls }, (_, i) => ({
            atMs: Math.round(i * gapMs),
            run: () => sleepUntil(Math.round(i * gapMs)),
          })),
          {
            atMs: faultAtMs,
            run: async () => {
              await setFault(opts.faultMode);
              ctx.io.err(`${since()}  fault "${opts.faultMode}" injected in ${faultRegion}`);
            },
          },
        ];
        ctx.io.err(
          `${calls} caller(s) at ${rate}/s (about ${Math.ceil(calls / rate)} s); fault "${opts.faultMode}" in ${faultRegion} at t+${faultAtMs / 1000} s`,
        );
        let result: LoadResult;
        try {
          result = await simulateLoad({
            flow,
            calls,
            arrivalsPerSecond: rate,
            timeline,
            lookup: async (params, c) => {
              const answer = (await lookup(params, c.contactId)) as { lexRegion?: string };
              if (switchedAt === undefined && answer.lexRegion !== faultRegion && Date.now() - started >= faultAtMs)
                switchedAt = Date.now() - started;
              return answer;
            },
            botOutcome,
            ...(report && { report }),
            progressEvery: 1,
            onProgress: (p) => {
              const line =
                `${since()}  ${p.calls}/${p.total} calls: ${p.served} served (${p.servedByFallback} after a retry), ` +
                `${p.queuedToAgents} to agents, ${p.dropped} dropped, ${p.reportsSent} report(s)`;
              // A terminal gets one line redrawn after every call; a log gets a line every few seconds.
              if (ctx.io.isTTY) return ctx.io.progress(line);
              const now = ctx.io.now().getTime();
              if (lastLineAt !== undefined && now - lastLineAt < progressMs && p.calls < p.total) return;
              lastLineAt = now;
              ctx.io.err(line);
            },
          });
        } finally {
          if (!opts.keepFault) await setFault('none').catch(() => undefined);
        }
        const summary = {
          ...result,
          faultRegion,
          faultMode: opts.faultMode,
          faultAtSeconds: faultAtMs / 1000,
          lookupSwitchedAfterFaultSeconds: switchedAt === undefined ? null : (switchedAt - faultAtMs) / 1000,
        };
        if (opts.json) ctx.io.out(JSON.stringify(summary, null, 2));
        else {
          ctx.io.out(`calls                ${result.calls}`);
          ctx.io.out(
            `served               ${result.served}  (${Object.entries(result.servedByRegion)
              .map(([r, n]) => `${r}: ${n}`)
              .join(', ')})`,
          );
          ctx.io.out(`served after retry   ${result.servedByFallback}  (the flow's retry in the fallback region)`);
          ctx.io.out(`sent to agents       ${result.queuedToAgents}`);
          ctx.io.out(
            `reports sent         ${result.reportsSent}  (callers' bot failures, to the report function${result.reportsFailed ? `; ${result.reportsFailed} failed` : ''}${result.reportsNotDelivered ? `; ${result.reportsNotDelivered} not sent: no report endpoint` : ''})`,
          );
          ctx.io.out(
            `dropped              ${result.dropped}${result.dropped ? `  ${JSON.stringify(result.dropReasons)}` : ''}`,
          );
          ctx.io.out(
            `lookup moved off ${faultRegion}: ${summary.lookupSwitchedAfterFaultSeconds === null ? 'not within the run' : `${summary.lookupSwitchedAfterFaultSeconds.toFixed(1)} s after the fault`}`,
          );
        }
        if (result.dropped > 0) throw new CliError(`${result.dropped} caller(s) dropped`, EXIT.failure);
      });
    });
}
