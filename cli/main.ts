/**
 * `lexdr`: operate lexdr from a terminal or a script — status, fault injection (local), drills, the manual
 * pin (failover / failback), the region-change history and the cost model. Every command has `--help`.
 *
 * Exit codes: 0 ok · 1 failure, or a drill that did not fail over · 2 usage or bad input ·
 * 3 target not found or unreachable.
 */
import { Command, CommanderError, Option } from 'commander';
import * as bot from './commands/bot';
import * as cost from './commands/cost';
import * as drill from './commands/drill';
import * as failover from './commands/failover';
import * as flow from './commands/flow';
import * as fault from './commands/fault';
import * as gameday from './commands/gameday';
import * as history from './commands/history';
import * as preflight from './commands/preflight';
import * as simulate from './commands/simulate';
import * as status from './commands/status';
import * as verify from './commands/verify';
import type { CliContext, Register } from './lib/context';
import { defaultContext } from './lib/context';
import { CliError, EXIT } from './lib/errors';
import type { Io } from './lib/io';
import { nodeIo } from './lib/io';
import '../local/polyfills';

/** One entry per command file (`cli/commands/<name>.ts` exports `register(program, ctx)`). */
const COMMANDS: Register[] = [
  status.register,
  fault.register,
  drill.register,
  failover.register,
  history.register,
  cost.register,
  flow.register,
  simulate.register,
  bot.register,
  preflight.register,
  verify.register,
  gameday.register,
];

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('lexdr')
    .description('Operate lexdr: multi-region disaster recovery for Amazon Lex bots behind Amazon Connect.')
    .addOption(
      new Option('--local', 'use the local system started by `npm start` (default when .lexdr/local.json exists)'),
    )
    .addOption(new Option('--aws', 'use the deployed stack in your AWS account'))
    .addOption(
      new Option('--local-file <path>', 'endpoints file of the local system').default(undefined, '.lexdr/local.json'),
    )
    .addOption(
      new Option('--stack <name>', `CloudFormation stack of the health check (--aws)`).default(
        undefined,
        'Lexdr-HealthCheck-<connect region>',
      ),
    )
    .addOption(new Option('--region <region>', 'AWS region of the stack (--aws; default AWS_REGION)'))
    .addOption(new Option('--state-machine-arn <arn>', 'health-check state machine (env LEXDR_STATE_MACHINE_ARN)'))
    .addOption(new Option('--table <name>', 'lexDR table (env LEXDR_TABLE)'))
    .addOption(new Option('--history-table <name>', 'region-change history table (env LEXDR_HISTORY_TABLE)'))
    .addOption(new Option('--metric-namespace <ns>', 'CloudWatch namespace (env LEXDR_METRIC_NAMESPACE)'))
    .addOption(
      new Option('--connect-region <region>', 'Amazon Connect region: the lexDR key (env LEXDR_CONNECT_REGION)'),
    )
    .addOption(new Option('--regions <list>', 'bot regions in priority order, comma-separated (env LEXDR_REGIONS)'))
    .addOption(
      new Option('--endpoint-url <url>', 'send every AWS call to this endpoint (env LEXDR_ENDPOINT_URL)').hideHelp(),
    )
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 failure (or a drill that did not fail over), 2 usage or bad input, 3 target not found/unreachable.

Examples:
  lexdr status                          the local system (after \`npm start\`)
  lexdr fault us-east-1 down            break the primary's local Lex region
  lexdr drill --fail us-east-1 --wait   exercise a failover without touching any bot
  lexdr failback --yes --wait           back to the primary now, if its latest probes pass
  lexdr --aws --region us-east-1 status`,
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.io.err(s.replace(/\n$/, '')),
    });
  for (const register of COMMANDS) register(program, ctx);
  for (const c of program.commands) c.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves the exit code. Never calls process.exit. */
export async function run(argv: string[], ctx: CliContext = defaultContext(nodeIo())): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return EXIT.ok;
      if (err.code === 'commander.executeSubCommandAsync') return EXIT.failure;
      return EXIT.usage; // commander already printed the message
    }
    if (err instanceof CliError) {
      ctx.io.err(`lexdr: ${err.message}`);
      return err.exitCode;
    }
    ctx.io.err(`lexdr: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT.failure;
  }
}

export function main(argv: string[], io: Io = nodeIo()): Promise<number> {
  return run(argv, defaultContext(io));
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
