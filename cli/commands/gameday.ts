/**
 * `lexdr gameday list` and `lexdr gameday run <name>`: the game days of `core/game-days.ts` — the probe function
 * failing or slow, the lookup slow (AWS FIS experiments on AWS; the same faults through the local control API
 * locally) and the active Lex region failing (lexdr's drill) — run against their expected outcome: at the end the
 * report names each expectation and what was observed (lexDR, the history, the alarms, the metrics, callers), and
 * the exit code is 1 when any expectation failed or the run did not complete (stopped by a stop condition).
 * `run` asks for confirmation like `failover` (`--yes` in scripts) and `--dry-run` says what it would do.
 */
import type { Command } from 'commander';
import type { GameDay } from '../../core/game-days';
import { GAME_DAYS, GAME_DAY_NAMES, describeExpectation, isoDuration } from '../../core/game-days';
import type { CliContext } from '../lib/context';
import { withTarget } from '../lib/context';
import { getItem } from '../lib/dr-table';
import { CliError, EXIT, UsageError } from '../lib/errors';
import { formatMs, parseDuration } from '../lib/format';
import type { GlobalOptions, Target } from '../lib/target';
import { alarmNames, findTemplate, runAws } from '../lib/gameday/aws-run';
import type { ExperimentTemplate } from '../lib/gameday/fis-client';
import { fisClient } from '../lib/gameday/fis-client';
import { localFault, runLocal } from '../lib/gameday/local-run';
import type { GameDayReport } from '../lib/gameday/verdict';
import { formatReport, judge, passed } from '../lib/gameday/verdict';

interface RunOptions {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  duration?: string;
  settle?: string;
}

function byName(name: string): GameDay {
  const g = GAME_DAYS.find((x) => x.name === name);
  if (!g) throw new UsageError(`game day "${name}": must be one of ${GAME_DAY_NAMES.join(', ')}`);
  return g;
}

async function confirm(ctx: CliContext, question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!ctx.io.interactive) throw new UsageError('not a terminal: pass --yes to confirm');
  if (!(await ctx.io.confirm(question))) throw new CliError('cancelled; nothing changed', EXIT.failure);
}

/** How the experiment is run on this target, in a sentence. */
function mechanism(g: GameDay, t: Target, template: ExperimentTemplate | undefined): string {
  if (g.fault.kind === 'drill')
    return `a drill: an execution of ${t.stateMachineArn ?? 'the health-check state machine'} in which the active region counts as failed`;
  if (t.kind === 'aws') {
    const a = Object.values(template?.actions ?? {})[0];
    return `FIS experiment template ${template?.id} (${a?.actionId ?? '?'} ${JSON.stringify(a?.parameters ?? {})})`;
  }
  const f = localFault(g.fault);
  return `local fault ${f.target} ${f.body.mode}${f.body.delayMs ? ` (delayMs ${f.body.delayMs})` : ''} through the control API, cleared at the end`;
}

function listText(): string {
  return GAME_DAYS.map((g) =>
    [
      `${g.name} — ${g.title}`,
      `  injects:  ${g.injects}`,
      `  runs:     ${g.fault.kind === 'drill' ? "lexdr's drill (both targets)" : `AWS FIS (${isoDuration(g.durationSeconds)}); locally the same fault through the control API`}`,
      `  expected: ${g.expected.map(describeExpectation).join('; ')}`,
      `  stops on: ${g.stopOn.length ? g.stopOn.join(', ') : 'nothing (it ends with its execution)'} — ${g.stopReason}`,
      `  proves:   ${g.proves}`,
    ].join('\n'),
  ).join('\n\n');
}

export function register(program: Command, ctx: CliContext): void {
  const gameday = program
    .command('gameday')
    .description(
      "Game days: prove lexdr's static-stability promises with injected faults (AWS FIS, or the local system).",
    );

  gameday
    .command('list')
    .description('List the game days: what each injects, what it expects, what stops it.')
    .option('--json', 'print the definitions as JSON')
    .action((opts: { json?: boolean }) => {
      ctx.io.out(opts.json ? JSON.stringify(GAME_DAYS, null, 2) : listText());
    });

  gameday
    .command('run')
    .description('Run a game day and check its expected outcome (exit 1 when it fails).')
    .argument('<name>', GAME_DAY_NAMES.join(' | '))
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'say what would be injected and expected; change nothing')
    .option('--json', 'print the report as JSON')
    .option('--duration <duration>', "how long the fault lasts (local system and drill; on AWS the template's own)")
    .option('--settle <duration>', 'AWS: how long to wait after the run for alarms expected in ALARM', '3m')
    .addHelpText(
      'after',
      '\nLocally (after `npm start`) the fault goes through the control API; with --aws the stack must be deployed with\n"gameDays": true (FIS templates). Example: lexdr gameday run probe-function-fails --duration 2m --yes',
    )
    .action(async (name: string, opts: RunOptions, cmd: Command) => {
      const g = byName(name);
      const gOpts = cmd.optsWithGlobals<GlobalOptions>();
      const isFisOnAws = Boolean(gOpts.aws) && g.fault.kind === 'function';
      if (opts.duration !== undefined && isFisOnAws)
        throw new UsageError(
          `--duration: on AWS the FIS template's duration holds (${isoDuration(g.durationSeconds)}); redeploy to change it`,
        );
      const durationMs =
        opts.duration !== undefined
          ? parseDuration(opts.duration, '--duration', { min: 1000, max: 3_600_000 })
          : g.durationSeconds * 1000;
      const settleMs = parseDuration(opts.settle ?? '3m', '--settle', { min: 0, max: 3_600_000 });
      await withTarget(ctx, gOpts, { needsStateMachine: g.fault.kind === 'drill' }, async (t) => {
        const fis =
          t.kind === 'aws'
            ? fisClient({
                region: gOpts.region ?? ctx.io.env.AWS_REGION ?? ctx.io.env.AWS_DEFAULT_REGION ?? t.connectRegion,
                ...((gOpts.endpointUrl ?? ctx.io.env.LEXDR_ENDPOINT_URL)
                  ? { endpoint: gOpts.endpointUrl ?? ctx.io.env.LEXDR_ENDPOINT_URL }
                  : {}),
              })
            : undefined;
        const template =
          fis && g.fault.kind === 'function' ? await findTemplate(fis, g.name, t.connectRegion) : undefined;
        const item = await getItem(t);
        const how = mechanism(g, t, template);
        const lasting = isFisOnAws ? isoDuration(g.durationSeconds) : formatMs(durationMs);
        const plan = [
          `Game day ${g.name} on ${t.where}: ${g.title}.`,
          `Callers are on ${item?.lexRegion ?? t.regions?.[0] ?? 'the primary'} now.`,
          `Injects: ${how}, for ${lasting}.`,
          `Expected: ${g.expected.map(describeExpectation).join('; ')}.`,
          `Stops on: ${g.stopOn.length ? g.stopOn.join(', ') : 'nothing (it ends with its execution)'}.`,
        ];
        if (opts.dryRun) {
          ctx.io.out(
            opts.json
              ? JSON.stringify(
                  {
                    dryRun: true,
                    name: g.name,
                    where: t.where,
                    injects: how,
                    lasting,
                    expected: g.expected,
                    stopOn: g.stopOn,
                  },
                  null,
                  2,
                )
              : [...plan, 'Dry run: nothing was changed.'].join('\n'),
          );
          return;
        }
        if (!opts.json) ctx.io.out(plan.join('\n'));
        await confirm(ctx, `Run game day ${g.name} on ${t.where} (${lasting})?`, opts.yes);
        const observation =
          t.kind === 'aws'
            ? await runAws(ctx, t, g, {
                g: gOpts,
                fis: fis!,
                ...(template ? { template } : {}),
                alarmNames: await alarmNames(t, gOpts, fis!),
                settleMs,
                durationMs,
                quiet: Boolean(opts.json),
              })
            : await runLocal(ctx, t, g, { durationMs, quiet: Boolean(opts.json) });
        const verdicts = judge(g, observation);
        const report: GameDayReport = {
          name: g.name,
          target: t.kind,
          where: t.where,
          passed: passed(verdicts, observation),
          end: observation.end,
          verdicts,
          observation,
        };
        ctx.io.out(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
        if (!report.passed)
          throw new CliError(
            `game day ${g.name} failed: ${verdicts.filter((v) => !v.ok).length} expectation(s) not met${report.end.status !== 'completed' ? `; the run ended ${report.end.status}` : ''}`,
            EXIT.failure,
          );
      });
    });
}
