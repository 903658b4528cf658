/**
 * Preflight: the Lex bots — each bot from code gets a name no other bot of the account has in its regions; each
 * `existing` bot's IDs exist; each `global-resiliency` bot is replicated, Enabled and in sync in every region.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeBotAliasCommand,
  DescribeBotCommand,
  LexModelsV2Client,
  ListBotAliasReplicasCommand,
  ListBotReplicasCommand,
  ListBotsCommand,
  ListBotVersionReplicasCommand,
} from '@aws-sdk/client-lex-models-v2';
import type { BotSummary } from '@aws-sdk/client-lex-models-v2';
import { deployedBotName } from '../../../infra/config';
import type { BotConfig, LexdrConfig } from '../../../infra/config';
import { BOT_STACK_OUTPUTS, STACK_NAMES } from '../../../core/contract';
import type { AwsAccess } from '../aws-access';
import { doesNotExist, using } from '../aws-access';
import type { CheckResult } from '../checks';
import { errorName, errorText, fail, guarded, isAccessDenied, pass } from '../checks';

/** A stack output in a region; undefined when the stack or the output does not exist. */
async function stackOutput(aws: AwsAccess, region: string, stack: string, key: string): Promise<string | undefined> {
  return using(new CloudFormationClient(aws.config(region)), async (cfn) => {
    try {
      const r = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
      return r.Stacks?.[0]?.Outputs?.find((x) => x.OutputKey === key)?.OutputValue;
    } catch (err) {
      if (doesNotExist(err)) return undefined;
      throw err;
    }
  });
}

async function botsNamed(lex: LexModelsV2Client, name: string): Promise<BotSummary[]> {
  const found: BotSummary[] = [];
  let nextToken: string | undefined;
  do {
    const r = await lex.send(
      new ListBotsCommand({
        filters: [{ name: 'BotName', values: [name], operator: 'EQ' }],
        maxResults: 100,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    found.push(...(r.botSummaries ?? []).filter((b) => b.botName === name));
    nextToken = r.nextToken;
  } while (nextToken);
  return found;
}

/** Each bot deployed from code gets a Lex name that is free in each bot region, or already this app's bot. */
export async function botNameChecks(aws: AwsAccess, config: LexdrConfig): Promise<CheckResult[]> {
  const C = 'bot-name';
  const jobs = config.bots
    .filter((b) => b.source === 'code')
    .flatMap((bot) => config.regions.map((region) => ({ bot, region })));
  const results = await Promise.all(
    jobs.map(({ bot, region }) =>
      guarded(C, region, 'the Lex bots', 'lex:ListBots and cloudformation:DescribeStacks', async () => {
        const name = deployedBotName(config, bot.name);
        const taken = await using(new LexModelsV2Client(aws.config(region)), (lex) => botsNamed(lex, name));
        if (taken.length === 0) return [pass(C, `Lex bot name ${name} is free`, region)];
        const stack = STACK_NAMES.bot(bot.name, region);
        const ours = await stackOutput(aws, region, stack, BOT_STACK_OUTPUTS.botId);
        if (ours && taken.some((b) => b.botId === ours))
          return [
            pass(C, `Lex bot ${name} is this app's (bot ${ours}, stack ${stack}): the deploy updates it`, region),
          ];
        return [
          fail(
            C,
            `a Lex bot named ${name} already exists (bot ${taken.map((b) => b.botId).join(', ')}) and is not this app's${ours ? ` (stack ${stack} has bot ${ours})` : ''}: bot names are unique per account and region`,
            `set botNamePrefix to a prefix no bot of this account uses (now "${config.botNamePrefix}")`,
            region,
          ),
        ];
      }),
    ),
  );
  return results.flat();
}

/** Reads a bot and its alias in a region: null when either does not exist. */
async function describeBotAlias(
  lex: LexModelsV2Client,
  botId: string,
  botAliasId: string,
): Promise<{ botName: string; aliasName: string; botVersion: string } | { missing: 'bot' | 'alias' }> {
  let botName: string;
  try {
    botName = (await lex.send(new DescribeBotCommand({ botId }))).botName ?? botId;
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return { missing: 'bot' };
    throw err;
  }
  try {
    const a = await lex.send(new DescribeBotAliasCommand({ botId, botAliasId }));
    return { botName, aliasName: a.botAliasName ?? botAliasId, botVersion: a.botVersion ?? 'DRAFT' };
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return { missing: 'alias' };
    throw err;
  }
}

/** Each `existing` bot and its alias exist with the IDs given for each region. */
export async function existingBotChecks(aws: AwsAccess, config: LexdrConfig): Promise<CheckResult[]> {
  const C = 'bot-ids';
  const jobs = config.bots
    .map((bot, i) => ({ bot, i }))
    .filter(({ bot }) => bot.source === 'existing')
    .flatMap(({ bot, i }) => config.regions.map((region) => ({ bot, i, region })));
  const results = await Promise.all(
    jobs.map(({ bot, i, region }) =>
      guarded(C, region, `bot ${bot.name}`, 'lex:DescribeBot and lex:DescribeBotAlias', async () => {
        const ids = bot.ids[region]!;
        const fix = `bots[${i}].ids.${region} (the bot's and its alias's IDs in ${region})`;
        const r = await using(new LexModelsV2Client(aws.config(region)), (lex) =>
          describeBotAlias(lex, ids.botId, ids.botAliasId),
        );
        if ('missing' in r)
          return [
            fail(
              C,
              r.missing === 'bot'
                ? `bot ${bot.name}: no Lex V2 bot ${ids.botId} here`
                : `bot ${bot.name}: bot ${ids.botId} has no alias ${ids.botAliasId} here`,
              fix,
              region,
            ),
          ];
        return [
          pass(
            C,
            `bot ${bot.name}: ${ids.botId} (${r.botName}) with alias ${ids.botAliasId} (${r.aliasName} → version ${r.botVersion})`,
            region,
          ),
        ];
      }),
    ),
  );
  return results.flat();
}

/** A `global-resiliency` bot: the same IDs in every region, a replica Enabled and its alias and version in sync. */
export async function globalResiliencyChecks(aws: AwsAccess, config: LexdrConfig): Promise<CheckResult[]> {
  const C = 'global-resiliency';
  const bots = config.bots.map((bot, i) => ({ bot, i })).filter(({ bot }) => bot.source === 'global-resiliency');
  const perBot = await Promise.all(
    bots.map(({ bot, i }) =>
      guarded(
        C,
        undefined,
        `bot ${bot.name}'s replicas`,
        'lex:DescribeBot, lex:DescribeBotAlias, lex:ListBotReplicas, lex:ListBotAliasReplicas and lex:ListBotVersionReplicas',
        () => globalResiliencyBot(aws, config, bot, i),
      ),
    ),
  );
  return perBot.flat();
}

async function globalResiliencyBot(
  aws: AwsAccess,
  config: LexdrConfig,
  bot: BotConfig,
  i: number,
): Promise<CheckResult[]> {
  const C = 'global-resiliency';
  const [given, ids] = Object.entries(bot.ids)[0]!;
  const grFix = `enable Global Resiliency for bot ${ids.botId} (through your AWS account team) so that it replicates to every region of \`regions\`, or use source "existing" with each region's IDs (bots[${i}])`;
  const out: CheckResult[] = [];
  // The bot and its alias, with the same IDs, in every region.
  const found = await Promise.all(
    config.regions.map(async (region) => ({
      region,
      r: await using(new LexModelsV2Client(aws.config(region)), (lex) =>
        describeBotAlias(lex, ids.botId, ids.botAliasId),
      ),
    })),
  );
  for (const { region, r } of found)
    if ('missing' in r)
      out.push(
        fail(
          C,
          `bot ${bot.name}: no ${r.missing === 'bot' ? `bot ${ids.botId}` : `alias ${ids.botAliasId} of bot ${ids.botId}`} here (a Global Resiliency replica has the source's IDs)`,
          region === given ? `bots[${i}].ids.${given}` : grFix,
          region,
        ),
      );
  if (out.length > 0) return out;
  // The source region: the one that lists the bot's replicas (a replica region lists none, or refuses the call).
  let source:
    | { region: string; replicas: { replicaRegion?: string; botReplicaStatus?: string; failureReasons?: string[] }[] }
    | undefined;
  const refused: string[] = [];
  for (const region of config.regions) {
    try {
      const r = await using(new LexModelsV2Client(aws.config(region)), (lex) =>
        lex.send(new ListBotReplicasCommand({ botId: ids.botId })),
      );
      if ((r.botReplicaSummaries ?? []).length > 0) {
        source = { region, replicas: r.botReplicaSummaries ?? [] };
        break;
      }
    } catch (err) {
      if (isAccessDenied(err)) throw err;
      refused.push(`${region}: ${errorText(err)}`);
    }
  }
  if (!source)
    return [
      fail(
        C,
        `bot ${bot.name} (${ids.botId}): no region lists a Global Resiliency replica of it${refused.length ? ` (${refused.join('; ')})` : ''}`,
        grFix,
      ),
    ];
  const sourceAlias = found.find((f) => f.region === source.region)!.r as { botVersion: string };
  for (const region of config.regions.filter((r) => r !== source.region)) {
    const replica = source.replicas.find((x) => x.replicaRegion === region);
    if (!replica) {
      out.push(fail(C, `bot ${bot.name}: ${source.region} does not replicate it to ${region}`, grFix, region));
      continue;
    }
    if (replica.botReplicaStatus !== 'Enabled') {
      const reasons = replica.failureReasons?.length ? `: ${replica.failureReasons.join('; ')}` : '';
      out.push(
        fail(
          C,
          `bot ${bot.name}: the replica of ${source.region} is ${replica.botReplicaStatus ?? 'in no state'}, not Enabled${reasons}`,
          replica.botReplicaStatus === 'Enabling'
            ? 'wait until the replica is Enabled, then run preflight again'
            : grFix,
          region,
        ),
      );
      continue;
    }
    const problems = await using(new LexModelsV2Client(aws.config(source.region)), async (lex) => {
      const found: string[] = [];
      const aliases = await lex.send(new ListBotAliasReplicasCommand({ botId: ids.botId, replicaRegion: region }));
      const alias = aliases.botAliasReplicaSummaries?.find((a) => a.botAliasId === ids.botAliasId);
      if (!alias) found.push(`alias ${ids.botAliasId} is not replicated`);
      else if (alias.botAliasReplicationStatus !== 'Available')
        found.push(`alias ${ids.botAliasId} is ${alias.botAliasReplicationStatus ?? 'in no state'}, not Available`);
      else if (alias.botVersion !== sourceAlias.botVersion)
        found.push(
          `alias ${ids.botAliasId} points at version ${alias.botVersion} here, ${sourceAlias.botVersion} in ${source.region}`,
        );
      if (sourceAlias.botVersion !== 'DRAFT') {
        const versions = await lex.send(new ListBotVersionReplicasCommand({ botId: ids.botId, replicaRegion: region }));
        const v = versions.botVersionReplicaSummaries?.find((x) => x.botVersion === sourceAlias.botVersion);
        if (!v || v.botVersionReplicationStatus !== 'Available')
          found.push(`version ${sourceAlias.botVersion} is ${v?.botVersionReplicationStatus ?? 'not replicated'}`);
      }
      return found;
    });
    out.push(
      problems.length > 0
        ? fail(
            C,
            `bot ${bot.name}: the replica of ${source.region} is out of sync: ${problems.join('; ')}`,
            `wait for the replication to finish (the alias and version must be Available), or republish the alias in ${source.region}`,
            region,
          )
        : pass(
            C,
            `bot ${bot.name}: replica of ${source.region} Enabled, alias ${ids.botAliasId} at version ${sourceAlias.botVersion} in sync`,
            region,
          ),
    );
  }
  return out;
}
