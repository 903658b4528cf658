/**
 * `lexdr bot diff`: is the bot the same in every region? Reads the bot in each region through the Lex V2
 * model-building API and prints the differences against the first (primary) region. AWS only: the local Lex regions
 * serve the runtime APIs, not the model-building API.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { LexModelsV2Client } from '@aws-sdk/client-lex-models-v2';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Command } from 'commander';
import type { BotDifference, BotModelIds, NormalisedBotModel, RawBotModel } from '../../bot/drift';
import {
  BotModelReadError,
  describeBotModel,
  diffBotModels,
  formatBotDifferences,
  normaliseBotModel,
} from '../../bot/drift';
import { readConfigFile } from '../../infra/config';
import { BOT_PARAMETER_PREFIX, BOT_STACK_OUTPUTS, STACK_NAMES } from '../../core/contract';
import type { BotConfig } from '../../infra/config';
import type { CliContext } from '../lib/context';
import { CliError, EXIT, TargetNotFoundError, UsageError } from '../lib/errors';
import type { Io } from '../lib/io';
import type { GlobalOptions } from '../lib/target';
import { LOCAL_FILE } from '../lib/target';

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const LEX_ID = /^[0-9A-Z]{10}$/;

export interface BotDiffOptions {
  bot?: string;
  locale?: string;
  ids?: string;
  json?: boolean;
}

/** Where the bot is in one region. */
export interface RegionBot extends BotModelIds {
  readonly region: string;
  /** How the IDs were found, for messages: `--ids`, `cdk.json`, an SSM parameter or a stack output. */
  readonly source: string;
}

/** What `bot diff` talks to; tests replace it. */
export interface BotDiffDeps {
  lexClient(region: string): LexModelsV2Client;
  /** Finds the bot's IDs in one region (SSM parameters, then the bot stack's outputs). */
  findIds(bot: string, region: string): Promise<{ botId: string; botAliasId: string; source: string }>;
  /** This checkout's settings, when there is a cdk.json. */
  config(): { regions?: string[]; bots?: BotConfig[] };
}

export interface BotDiffReport {
  bot: string;
  localeId: string;
  regions: { region: string; botId: string; botAliasId?: string; botVersion: string; source: string }[];
  /** Differences of each region against the first. */
  comparisons: { base: string; other: string; differences: BotDifference[] }[];
  drift: boolean;
}

/** `us-east-1=BOTID/ALIASID,us-west-2=BOTID/ALIASID` → IDs per region. */
export function parseIdsOption(text: string): Map<string, { botId: string; botAliasId: string }> {
  const out = new Map<string, { botId: string; botAliasId: string }>();
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^=\s]+)=([^/\s]+)\/(\S+)$/.exec(entry);
    if (!m)
      throw new UsageError(`--ids "${entry}": must be REGION=BOTID/ALIASID, e.g. us-east-1=ABCDE12345/FGHIJ67890`);
    const [, region, botId, botAliasId] = m as unknown as [string, string, string, string];
    if (!REGION.test(region)) throw new UsageError(`--ids "${entry}": "${region}" is not an AWS region`);
    if (!LEX_ID.test(botId) || !LEX_ID.test(botAliasId))
      throw new UsageError(`--ids "${entry}": bot and alias IDs are 10 upper-case letters or digits`);
    if (out.has(region)) throw new UsageError(`--ids: ${region} is given twice`);
    out.set(region, { botId, botAliasId });
  }
  if (out.size === 0) throw new UsageError('--ids: give at least two REGION=BOTID/ALIASID entries');
  return out;
}

function parseRegions(text: string): string[] {
  const regions = text
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  for (const r of regions) if (!REGION.test(r)) throw new UsageError(`--regions: "${r}" is not an AWS region`);
  if (new Set(regions).size !== regions.length) throw new UsageError(`--regions "${text}": each region once`);
  return regions;
}

/** Picks the regions and finds the bot's IDs in each. */
export async function resolveRegionBots(
  g: GlobalOptions,
  o: BotDiffOptions,
  io: Io,
  deps: BotDiffDeps,
): Promise<{ bot: string; localeId: string; targets: RegionBot[] }> {
  const config = deps.config();
  const botName = o.bot ?? config.bots?.[0]?.name ?? 'OrderFlowers';
  const botConfig = config.bots?.find((b) => b.name === botName);
  const localeId = o.locale ?? botConfig?.localeId ?? 'en_US';
  if (!/^[a-z]{2}_[A-Z]{2}$/.test(localeId)) throw new UsageError(`--locale "${localeId}": must be like en_US`);
  const explicit = o.ids !== undefined ? parseIdsOption(o.ids) : undefined;
  const regionsText = g.regions ?? io.env.LEXDR_REGIONS;
  const regions = regionsText ? parseRegions(regionsText) : explicit ? [...explicit.keys()] : (config.regions ?? []);
  if (regions.length < 2)
    throw new UsageError(
      `need at least two regions to compare (got ${regions.join(', ') || 'none'}): pass --regions us-east-1,us-west-2`,
    );

  const targets: RegionBot[] = [];
  for (const region of regions) {
    const given = explicit?.get(region);
    const configured =
      botConfig?.source === 'existing'
        ? botConfig.ids[region]
        : botConfig?.source === 'global-resiliency'
          ? Object.values(botConfig.ids)[0]
          : undefined;
    if (explicit && !given) throw new UsageError(`--ids has no entry for ${region} (regions: ${regions.join(', ')})`);
    const found = given
      ? { ...given, source: '--ids' }
      : configured
        ? { ...configured, source: `cdk.json (bot ${botName}, source ${botConfig!.source})` }
        : await deps.findIds(botName, region);
    targets.push({ region, localeId, ...found });
  }
  return { bot: botName, localeId, targets };
}

/** Reads, normalises and compares the bot in every region against the first. */
export async function botDiff(g: GlobalOptions, o: BotDiffOptions, io: Io, deps: BotDiffDeps): Promise<BotDiffReport> {
  const { bot, localeId, targets } = await resolveRegionBots(g, o, io, deps);
  const read = await Promise.all(targets.map((t) => readRegion(t, deps)));
  const [base, ...others] = read;
  const comparisons = others.map((other) => ({
    base: base!.target.region,
    other: other.target.region,
    differences: diffBotModels(base!.model, other.model, [base!.target.region, other.target.region]),
  }));
  return {
    bot,
    localeId,
    regions: read.map(({ target, raw }) => ({
      region: target.region,
      botId: raw.ids.botId,
      ...(raw.ids.botAliasId !== undefined ? { botAliasId: raw.ids.botAliasId } : {}),
      botVersion: raw.ids.botVersion,
      source: target.source,
    })),
    comparisons,
    drift: comparisons.some((c) => c.differences.length > 0),
  };
}

async function readRegion(
  target: RegionBot,
  deps: BotDiffDeps,
): Promise<{ target: RegionBot; raw: RawBotModel; model: NormalisedBotModel }> {
  const client = deps.lexClient(target.region);
  try {
    const raw = await describeBotModel(client, target);
    return { target, raw, model: normaliseBotModel(raw) };
  } catch (err) {
    throw explainReadError(err, target);
  } finally {
    client.destroy();
  }
}

/** A failed model-building API call → exit 3, naming the region, the call and what to check. */
export function explainReadError(err: unknown, t: RegionBot): unknown {
  if (!(err instanceof BotModelReadError)) return err;
  const e = err.cause as { name?: string; code?: string; message?: string; cause?: { code?: string } } | undefined;
  const name = e?.name ?? '';
  const where = `${t.region}: ${err.message} (bot ${t.botId}${t.botAliasId ? `, alias ${t.botAliasId}` : ''}, from ${t.source})`;
  let hint: string;
  if (/AccessDenied/.test(name))
    hint = `check that your IAM identity may call lex:${err.api} (lex:Describe* and lex:List* on the bot in ${t.region})`;
  else if (name === 'ResourceNotFoundException')
    hint = `check that the bot ID, alias ID and locale ${t.localeId} exist in ${t.region} (or pass --ids)`;
  else if (/Credential|Unrecognized|Signature|Token/.test(name))
    hint = 'check your AWS credentials (AWS_PROFILE, `aws sso login`)';
  else if (/Throttl|TooManyRequests/.test(name))
    hint = 'the model-building API is throttling this account; try again in a minute';
  else if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|fetch failed/.test(`${e?.code} ${e?.cause?.code} ${e?.message}`))
    hint = `check the network path to the Lex model-building endpoint in ${t.region}`;
  else hint = 'check the bot in the Lex console';
  return new TargetNotFoundError(`cannot read the bot in ${where}: ${hint}.`);
}

export function formatBotDiff(r: BotDiffReport): string {
  const lines = [`Bot ${r.bot} (${r.localeId}) in ${r.regions.length} regions:`];
  for (const x of r.regions)
    lines.push(
      `  ${x.region}: bot ${x.botId}${x.botAliasId ? `, alias ${x.botAliasId}` : ''} → version ${x.botVersion} (IDs from ${x.source})`,
    );
  for (const c of r.comparisons) lines.push('', formatBotDifferences(c.differences, [c.base, c.other]));
  lines.push(
    '',
    r.drift
      ? 'DRIFT: the bot is not the same in every region. Redeploy the bot stacks (`npx cdk deploy`) so every region runs the definition in bot/.'
      : 'No drift: the bot is the same in every region (IDs, versions and timestamps aside).',
  );
  return lines.join('\n');
}

/** The real AWS clients: the Lex model-building API, SSM and CloudFormation in each region. */
export function awsBotDiffDeps(g: GlobalOptions, io: Io): BotDiffDeps {
  const endpoint = g.endpointUrl ?? io.env.LEXDR_ENDPOINT_URL;
  const clientConfig = (region: string) => ({ region, ...(endpoint ? { endpoint } : {}) });
  return {
    lexClient: (region) => new LexModelsV2Client(clientConfig(region)),
    config: () => {
      try {
        const c = readConfigFile();
        return { regions: c.regions, bots: c.bots };
      } catch {
        return {};
      }
    },
    async findIds(bot, region) {
      const prefix = `${BOT_PARAMETER_PREFIX}/${bot}`;
      const names = [`${prefix}/botId`, `${prefix}/botAliasId`];
      const ssm = new SSMClient(clientConfig(region));
      let ssmProblem: string;
      try {
        const r = await ssm.send(new GetParametersCommand({ Names: names }));
        const value = (n: string) => r.Parameters?.find((p) => p.Name === n)?.Value;
        const [botId, botAliasId] = names.map(value);
        if (botId && botAliasId) return { botId, botAliasId, source: `SSM ${prefix}/*` };
        ssmProblem = `SSM parameters ${names.join(', ')} not found`;
      } catch (err) {
        ssmProblem = `SSM GetParameters failed (${(err as Error).name}: ${(err as Error).message})`;
      } finally {
        ssm.destroy();
      }
      const stack = STACK_NAMES.bot(bot, region);
      const cfn = new CloudFormationClient(clientConfig(region));
      try {
        const r = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
        const outputs = r.Stacks?.[0]?.Outputs ?? [];
        const value = (k: string) => outputs.find((x) => x.OutputKey === k)?.OutputValue;
        const botId = value(BOT_STACK_OUTPUTS.botId);
        const botAliasId = value(BOT_STACK_OUTPUTS.botAliasId);
        if (botId && botAliasId) return { botId, botAliasId, source: `stack ${stack}` };
        throw new Error('no BotId/BotAliasId outputs');
      } catch (err) {
        throw new TargetNotFoundError(
          `cannot find bot ${bot} in ${region}: ${ssmProblem}; stack ${stack}: ${(err as Error).message}. ` +
            `Deploy the bot stacks (\`npx cdk deploy\`), check ssm:GetParameters / cloudformation:DescribeStacks permissions, or pass --ids ${region}=BOTID/ALIASID,…`,
        );
      } finally {
        cfn.destroy();
      }
    },
  };
}

/** Refuses the local system: its Lex regions do not serve the model-building API. */
function refuseLocal(g: GlobalOptions, o: BotDiffOptions, io: Io): void {
  const localFile = g.localFile ?? io.env.LEXDR_LOCAL_FILE ?? LOCAL_FILE;
  const localPath = isAbsolute(localFile) ? localFile : join(io.cwd, localFile);
  if (g.local && g.aws) throw new UsageError('use either --local or --aws, not both');
  if (g.local || (!g.aws && o.ids === undefined && existsSync(localPath)))
    throw new UsageError(
      'bot diff reads the Lex V2 model-building API, which the local Lex regions do not serve (they run the bot from ' +
        'bot/ directly, so they cannot drift). Compare deployed regions with --aws, or give --ids REGION=BOTID/ALIASID,…',
    );
}

export function register(program: Command, ctx: CliContext, deps?: (g: GlobalOptions, io: Io) => BotDiffDeps): void {
  const bot = program.command('bot').description('Inspect the bot deployed in each region.');
  bot
    .command('diff')
    .description('Compare the bot deployed in each region (Lex V2 model-building API); exit 1 when they differ.')
    .option('--bot <name>', 'bot name as in cdk.json (default: the first bot)')
    .option('--locale <id>', "locale to compare (default: the bot's localeId in cdk.json, else en_US)")
    .option('--ids <list>', 'explicit IDs: us-east-1=BOTID/ALIASID,us-west-2=BOTID/ALIASID')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Regions come from --regions (the first is the base of the comparison), else --ids, else cdk.json. Bot IDs come from
--ids, else cdk.json (source "existing" / "global-resiliency"), else the SSM parameters the bot stacks publish
(${BOT_PARAMETER_PREFIX}/<bot>/botId and /botAliasId), else the bot stack's BotId / BotAliasId outputs.
IDs, versions, timestamps, statuses and per-region ARNs are not drift.

Exit codes: 0 same everywhere, 1 drift found, 2 usage (or the local system), 3 a region cannot be read.
Needs lex:DescribeBot, lex:DescribeBotAlias, lex:DescribeBotLocale, lex:ListIntents, lex:DescribeIntent,
lex:ListSlots, lex:DescribeSlot, lex:ListSlotTypes and lex:DescribeSlotType in every region.

Examples:
  lexdr --aws bot diff
  lexdr --aws --regions us-east-1,us-west-2 bot diff --json
  lexdr bot diff --ids us-east-1=ABCDE12345/FGHIJ67890,us-west-2=KLMNO12345/PQRST67890`,
    )
    .action(async (opts: BotDiffOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      refuseLocal(g, opts, ctx.io);
      const report = await botDiff(g, opts, ctx.io, (deps ?? awsBotDiffDeps)(g, ctx.io));
      ctx.io.out(opts.json ? JSON.stringify(report, null, 2) : formatBotDiff(report));
      if (report.drift)
        throw new CliError(
          `drift found: ${report.comparisons.reduce((n, c) => n + c.differences.length, 0)} difference(s)`,
          EXIT.failure,
        );
    });
}
