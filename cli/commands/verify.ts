/**
 * `lexdr verify`: after `npx cdk deploy --all`, does every wire of the deployed health check work? Against each
 * health-check stack (its outputs, CloudFormation DescribeStacks): the settings item, one workflow cycle
 * (StartSyncExecution, no drill), the lexDR item, the lookup invoked as Amazon Connect invokes it, RecognizeText on
 * every bot alias in every region, and the alarm path (SetAlarmState on lexdr's own test alarm, then the alarm's
 * history says whether CloudWatch could publish to the topic). One line per wire; exit 1 on any ✗, 3 without a stack.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Output } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import type { LexdrConfig } from '../../infra/config';
import { HEALTH_CHECK_OUTPUTS, STACK_NAMES } from '../../core/contract';
import type { HealthCheckOutput } from '../../core/contract';
import type { AwsAccess } from '../lib/aws-access';
import { awsAccess, doesNotExist, using } from '../lib/aws-access';
import type { CheckResult } from '../lib/checks';
import { failures, formatChecks } from '../lib/checks';
import type { CliContext } from '../lib/context';
import { CliError, EXIT, TargetNotFoundError, UsageError, explainError } from '../lib/errors';
import { parseDuration } from '../lib/format';
import type { Io } from '../lib/io';
import { loadProjectConfig } from '../lib/project-config';
import type { GlobalOptions } from '../lib/target';
import { checkAlarmPath } from '../lib/verify/alarm-path';
import { checkBots, checkLexDr, checkLookup, readSettings, runCycle } from '../lib/verify/wires';

export interface VerifyOptions {
  json?: boolean;
  cdkJson?: string;
  /** false (`--no-notify`): skip the alarm path (no notification is sent). */
  notify?: boolean;
  /** How long to wait for the test alarm's action to show in its history. */
  alarmTimeout?: string;
}

export interface StackVerification {
  connectRegion: string;
  stack: string;
  /** The region of the stack. */
  region: string;
  checks: CheckResult[];
}

export interface VerifyReport {
  ok: boolean;
  stacks: StackVerification[];
}

/** The stacks to verify: `--stack` (with `--region`), else one per Connect region (`--connect-region`, cdk.json). */
function targets(g: GlobalOptions, config: LexdrConfig | undefined, io: Io): { stack: string; region: string }[] {
  const envRegion = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (g.stack) {
    const region = g.region ?? envRegion ?? config?.connectRegion;
    if (!region) throw new UsageError('--stack needs --region (or AWS_REGION)');
    return [{ stack: g.stack, region }];
  }
  const connectRegions = g.connectRegion
    ? [g.connectRegion]
    : (config?.connectRegions ?? ((g.region ?? envRegion) ? [(g.region ?? envRegion)!] : []));
  if (connectRegions.length === 0)
    throw new UsageError('no Connect region: run in your lexdr checkout (cdk.json), or pass --connect-region R');
  return connectRegions.map((r) => ({ stack: STACK_NAMES.healthCheck(r), region: r }));
}

async function stackOutputs(aws: AwsAccess, stack: string, region: string): Promise<Output[]> {
  return using(new CloudFormationClient(aws.config(region)), async (cfn) => {
    try {
      return (await cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.Outputs ?? [];
    } catch (err) {
      if (doesNotExist(err))
        throw new TargetNotFoundError(
          `stack ${stack} not found in ${region}: deploy it with \`npx cdk deploy --all\`, or pass --stack NAME --region R`,
        );
      throw explainError(err, `CloudFormation in ${region} (stack ${stack})`);
    }
  });
}

// ---------- the command ----------

export async function verifyStack(
  aws: AwsAccess,
  t: { stack: string; region: string },
  o: VerifyOptions,
  config: LexdrConfig | undefined,
  io: Io,
): Promise<StackVerification> {
  io.progress(`verify: reading stack ${t.stack}…`);
  const outputs = await stackOutputs(aws, t.stack, t.region);
  const out = (key: HealthCheckOutput) => outputs.find((x) => x.OutputKey === key)?.OutputValue;
  const O = HEALTH_CHECK_OUTPUTS;
  const connectRegion = out(O.connectRegion) ?? t.region;
  const table = out(O.tableName);
  if (!table)
    throw new TargetNotFoundError(
      `stack ${t.stack} in ${t.region} has no ${O.tableName} output: is it a lexdr health-check stack?`,
    );
  const checks: CheckResult[] = [];
  await using(new DynamoDBClient(aws.config(t.region)), async (dynamodb) => {
    const { settings, check } = await readSettings(dynamodb, table, connectRegion);
    checks.push(check);
    io.progress('verify: running one health-check cycle (StartSyncExecution)…');
    checks.push(await runCycle(aws, t.region, out(O.stateMachineArn), io));
    checks.push(await checkLexDr(dynamodb, table, connectRegion, settings));
    io.progress('verify: invoking the lookup as Connect does…');
    checks.push(...(await checkLookup(aws, t.region, connectRegion, out(O.lookupFunctionArn), settings, config, io)));
    io.progress('verify: RecognizeText on every bot alias…');
    checks.push(...(await checkBots(aws, settings, io)));
  });
  if (o.notify !== false) {
    io.progress('verify: sending a test notification through the alarm path…');
    const timeoutMs = parseDuration(o.alarmTimeout ?? '90s', '--alarm-timeout', { min: 1000, max: 15 * 60_000 });
    checks.push(...(await checkAlarmPath(aws, t.region, out(O.notificationTestAlarmName), timeoutMs, io)));
  }
  return { connectRegion, stack: t.stack, region: t.region, checks };
}

export async function verify(g: GlobalOptions, o: VerifyOptions, io: Io): Promise<VerifyReport> {
  if (g.local)
    throw new UsageError(
      'verify checks the deployed stacks (after `npx cdk deploy --all`); for the local system use `lexdr status`',
    );
  if (o.alarmTimeout !== undefined) parseDuration(o.alarmTimeout, '--alarm-timeout', { min: 1000, max: 15 * 60_000 });
  // The Connect regions and instances of cdk.json, when there is one (a --cdk-json that cannot be read is an error).
  let config: LexdrConfig | undefined;
  try {
    config = loadProjectConfig(io, o.cdkJson).config;
  } catch (err) {
    if (o.cdkJson !== undefined) throw err;
  }
  const aws = awsAccess(g, io);
  const stacks: StackVerification[] = [];
  for (const t of targets(g, config, io)) stacks.push(await verifyStack(aws, t, o, config, io));
  return { ok: stacks.every((s) => failures(s.checks).length === 0), stacks };
}

export function formatVerify(r: VerifyReport): string {
  const body = formatChecks(r.stacks.map((s) => ({ title: `Stack ${s.stack} (${s.region})`, checks: s.checks })));
  const checks = r.stacks.flatMap((s) => s.checks);
  const n = failures(checks).length;
  return [
    body,
    '',
    r.ok
      ? `Every wire works (${checks.length} checks).`
      : `${n} of ${checks.length} wire(s) failed (✗): fix them and run \`npx lexdr verify\` again.`,
  ].join('\n');
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description('After a deploy: check every wire of the deployed stacks, one line each; exit 1 on any ✗.')
    .option(
      '--cdk-json <path>',
      "the cdk.json whose Connect regions to verify (default: ./cdk.json, else this checkout's)",
    )
    .option('--alarm-timeout <duration>', "how long to wait for the test alarm's action in its history", '90s')
    .option('--no-notify', 'skip the alarm path: no test notification is sent')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
For each health-check stack (Lexdr-HealthCheck-<connect region>; --stack NAME --region R for one), from its outputs:
  settings       the settings item <connect region>#settings in the DR table is valid
  workflow       one health-check cycle runs to SUCCEEDED (StartSyncExecution {"cycles": 1}; no drill: it moves
                 callers only where the next scheduled cycle would)
  lexDR          the lexDR item of the Connect region is valid and names a configured region (not "err")
  lookup         the lookup Lambda, invoked with a ContactFlowEvent as Connect does, answers a configured region,
                 status ok (or pinned), the bot's alias there, as a flat map of strings, within Connect's 8 s
  RecognizeText  the probe utterance on every bot alias in every region gives the expected intent
                 (one Lex text request each: about $0.00075)
  alarm path     lexdr's test alarm (NotificationTestAlarmName) is set to ALARM with SetAlarmState; its history must
                 say CloudWatch executed its SNS action; then it is set back to OK. Subscribers get an ALARM and an
                 OK notification marked "lexdr verify" (--no-notify skips this).

Needs: cloudformation:DescribeStacks, dynamodb:GetItem on the DR table, states:StartSyncExecution,
lambda:InvokeFunction on the lookup, lex:RecognizeText (and lex:DeleteSession) on the bot aliases,
cloudwatch:DescribeAlarms, cloudwatch:SetAlarmState and cloudwatch:DescribeAlarmHistory. See docs/deploy-checks.md.

Exit codes: 0 every wire works, 1 a wire failed, 2 usage, 3 stack not found / no credentials / AWS unreachable.

Examples:
  npx lexdr verify
  npx lexdr verify --connect-region us-west-2 --no-notify
  npx lexdr --stack Lexdr-HealthCheck-us-east-1 --region us-east-1 verify --json`,
    )
    .action(async (opts: VerifyOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const report = await verify(g, opts, ctx.io);
      ctx.io.out(opts.json ? JSON.stringify(report, null, 2) : formatVerify(report));
      if (!report.ok)
        throw new CliError(
          `verify: ${failures(report.stacks.flatMap((s) => s.checks)).length} wire(s) failed`,
          EXIT.failure,
        );
    });
}
