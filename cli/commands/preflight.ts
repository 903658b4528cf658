/**
 * `lexdr preflight`: before `npx cdk deploy --all`, read-only, with your credentials — will the deploy of this cdk.json
 * succeed in this account, and will what it deploys work? One line per check, ✓ or ✗ with the fix (a config key or a
 * command); exit 1 on any ✗. Each check and the permissions it needs: docs/deploy-checks.md.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import type { CheckResult } from '../lib/checks';
import { fail, failures, formatChecks, warn } from '../lib/checks';
import type { CliContext } from '../lib/context';
import { awsAccess, using } from '../lib/aws-access';
import { planDeploy } from '../lib/deploy-plan';
import type { DeployPlan } from '../lib/deploy-plan';
import { CliError, EXIT, UsageError, explainError } from '../lib/errors';
import type { Io } from '../lib/io';
import { alarmChecks } from '../lib/preflight/alarms';
import { bootstrapChecks, concurrencyChecks } from '../lib/preflight/account';
import { botNameChecks, existingBotChecks, globalResiliencyChecks } from '../lib/preflight/bots';
import { connectChecks } from '../lib/preflight/connect';
import { loadProjectConfig } from '../lib/project-config';
import type { GlobalOptions } from '../lib/target';

export interface PreflightOptions {
  json?: boolean;
  cdkJson?: string;
}

export interface PreflightReport {
  ok: boolean;
  account: string;
  cdkJson: string;
  /** Every region the app deploys to. */
  regions: string[];
  checks: CheckResult[];
}

/** The sections of the report, in the order they are printed. */
const SECTIONS: { check: string; title: string }[] = [
  { check: 'synth', title: 'The app' },
  { check: 'bootstrap', title: 'CDK bootstrap' },
  { check: 'lambda-concurrency', title: 'Lambda concurrency' },
  { check: 'bot-name', title: 'Bot names' },
  { check: 'bot-ids', title: 'Existing bots' },
  { check: 'global-resiliency', title: 'Lex Global Resiliency' },
  { check: 'connect', title: 'Amazon Connect' },
  { check: 'alarms', title: 'Alarm notifications' },
];

// ---------- the command ----------

export async function preflight(g: GlobalOptions, o: PreflightOptions, io: Io): Promise<PreflightReport> {
  if (g.local)
    throw new UsageError('preflight checks an AWS account before a deploy: there is nothing to check locally');
  const { config, path, context } = loadProjectConfig(io, o.cdkJson);
  const aws = awsAccess(g, io);
  io.progress('preflight: who am I…');
  let account: string;
  try {
    const id = await using(new STSClient(aws.config(config.connectRegion)), (sts) =>
      sts.send(new GetCallerIdentityCommand({})),
    );
    account = id.Account ?? '';
  } catch (err) {
    throw explainError(err, `AWS STS in ${config.connectRegion} (GetCallerIdentity)`);
  }
  io.progress('preflight: synthesizing the app…');
  let plan: DeployPlan;
  try {
    plan = planDeploy(config, { context, account });
  } catch (err) {
    throw new CliError(`the app does not synthesize with ${path}: ${(err as Error).message}`, EXIT.failure);
  }
  io.progress(`preflight: checking ${plan.regions.length} region(s) of account ${account}…`);
  const synth = plan.messages.map((m) =>
    m.level === 'error'
      ? fail('synth', `${m.stack}: ${m.text}`, 'change cdk.json as the message says (`npx cdk synth` shows it too)')
      : warn('synth', `${m.stack}: ${m.text}`, undefined),
  );
  const groups = await Promise.all([
    bootstrapChecks(aws, plan, account),
    concurrencyChecks(aws, config, plan),
    botNameChecks(aws, config),
    existingBotChecks(aws, config),
    globalResiliencyChecks(aws, config),
    connectChecks(aws, config, account),
    alarmChecks(aws, config, account),
  ]);
  const checks = [...synth, ...groups.flat()];
  return { ok: failures(checks).length === 0, account, cdkJson: path, regions: plan.regions, checks };
}

export function formatPreflight(r: PreflightReport): string {
  const head = `lexdr preflight: account ${r.account}, regions ${r.regions.join(', ')} (${r.cdkJson})`;
  const body = formatChecks(
    SECTIONS.map((s) => ({ title: s.title, checks: r.checks.filter((c) => c.check === s.check) })),
  );
  const n = failures(r.checks).length;
  const tail = r.ok
    ? 'Ready: `npx cdk deploy --all`, then `npx lexdr verify`.'
    : `${n} problem(s) (✗) to fix before \`npx cdk deploy --all\`.`;
  return [head, '', body, '', tail].join('\n');
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('preflight')
    .description('Before a deploy: check the AWS account against cdk.json (read-only); exit 1 on any ✗.')
    .option('--cdk-json <path>', "the cdk.json to check (default: ./cdk.json, else this checkout's)")
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Reads cdk.json, synthesizes the app (no Docker, no bundling) and checks, with your credentials and read-only calls:
  CDK bootstrap      every region the app deploys to has /cdk-bootstrap/<qualifier>/version ≥ what the stacks need
  Lambda concurrency the probe function's reserved concurrency fits each Connect region's quota (Lambda keeps 100)
  Bot names          each bot deployed from code (<botNamePrefix><name>) is free in every bot region, or this app's
  Existing bots      source "existing": every region's bot and alias IDs exist
  Global Resiliency  source "global-resiliency": the replica is Enabled in every region, alias and version in sync
  Amazon Connect     each instance exists and is ACTIVE; the bots it has and the associations the deploy adds
  Alarms             alarmTopicArn: CloudWatch may publish to the topic (and use its KMS key); alarmEmail: confirm it

Each line is ✓ passed, ✗ failed (with its fix: a cdk.json key or a command), ! warning, ℹ information.
The checks, the IAM read permissions they need and each fix: docs/deploy-checks.md.

Exit codes: 0 ready to deploy, 1 a check failed, 2 bad cdk.json or usage, 3 no credentials / AWS unreachable.

Examples:
  npx lexdr preflight
  npx lexdr preflight --cdk-json ../prod/cdk.json --json`,
    )
    .action(async (opts: PreflightOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const report = await preflight(g, opts, ctx.io);
      ctx.io.out(opts.json ? JSON.stringify(report, null, 2) : formatPreflight(report));
      if (!report.ok) throw new CliError(`preflight: ${failures(report.checks).length} check(s) failed`, EXIT.failure);
    });
}
