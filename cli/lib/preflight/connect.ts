/** Preflight: each Amazon Connect instance, the bots it has, and the associations the deploy adds. */
import { ConnectClient, DescribeInstanceCommand, ListBotsCommand } from '@aws-sdk/client-connect';
import { arnRegion } from '../../../infra/config';
import type { LexdrConfig } from '../../../infra/config';
import { STACK_NAMES } from '../../../core/contract';
import type { AwsAccess } from '../aws-access';
import { using } from '../aws-access';
import type { CheckResult } from '../checks';
import { errorName, errorText, fail, guarded, info, pass, warn } from '../checks';

/** The alias ARNs the Connect stack associates with an instance, as far as they are known before the deploy. */
function plannedAssociations(config: LexdrConfig, account: string): { bot: string; region: string; arn?: string }[] {
  return config.bots.flatMap((bot) =>
    config.regions.map((region) => {
      const ids =
        bot.source === 'existing'
          ? bot.ids[region]
          : bot.source === 'global-resiliency'
            ? Object.values(bot.ids)[0]
            : undefined;
      return {
        bot: bot.name,
        region,
        ...(ids ? { arn: `arn:aws:lex:${region}:${account}:bot-alias/${ids.botId}/${ids.botAliasId}` } : {}),
      };
    }),
  );
}

/** Each configured Connect instance exists and is ACTIVE; the bots it has and the associations the deploy adds. */
export async function connectChecks(aws: AwsAccess, config: LexdrConfig, account: string): Promise<CheckResult[]> {
  const C = 'connect';
  const instances = [
    ...(config.connectInstanceArn ? [{ arn: config.connectInstanceArn, key: 'connectInstanceArn' }] : []),
    ...config.connectInstances.map((x, i) => ({ arn: x.instanceArn, key: `connectInstances[${i}].instanceArn` })),
  ];
  if (instances.length === 0)
    return [
      info(
        C,
        'no connectInstanceArn: the deploy wires no Connect instance (associate the lookup and the bots yourself, or set connectInstanceArn)',
      ),
    ];
  const planned = plannedAssociations(config, account);
  const results = await Promise.all(
    instances.map(({ arn, key }) => {
      const region = arnRegion(arn);
      const instanceId = arn.split('/').pop()!;
      return guarded(C, region, `Connect instance ${instanceId}`, 'connect:DescribeInstance and connect:ListBots', () =>
        using(new ConnectClient(aws.config(region)), async (connect) => {
          let instance;
          try {
            instance = (await connect.send(new DescribeInstanceCommand({ InstanceId: instanceId }))).Instance;
          } catch (err) {
            if (errorName(err) === 'ResourceNotFoundException')
              return [
                fail(
                  C,
                  `Connect instance ${instanceId} not found`,
                  `${key} (an instance ARN of this account in ${region})`,
                  region,
                ),
              ];
            throw err;
          }
          const name = instance?.InstanceAlias ?? instanceId;
          const out: CheckResult[] = [];
          if (instance?.InstanceStatus && instance.InstanceStatus !== 'ACTIVE')
            out.push(
              fail(
                C,
                `Connect instance ${name} is ${instance.InstanceStatus}, not ACTIVE`,
                `wait until it is ACTIVE, or fix ${key}`,
                region,
              ),
            );
          else out.push(pass(C, `Connect instance ${name} (${instanceId}) found, ACTIVE`, region));
          const associated: string[] = [];
          try {
            let nextToken: string | undefined;
            do {
              const r = await connect.send(
                new ListBotsCommand({
                  InstanceId: instanceId,
                  LexVersion: 'V2',
                  ...(nextToken ? { NextToken: nextToken } : {}),
                }),
              );
              associated.push(...(r.LexBots ?? []).flatMap((b) => (b.LexV2Bot?.AliasArn ? [b.LexV2Bot.AliasArn] : [])));
              nextToken = r.NextToken;
            } while (nextToken);
            out.push(
              info(
                C,
                associated.length === 0
                  ? `Connect instance ${name} has no Lex V2 bot associated yet`
                  : `Connect instance ${name} has ${associated.length} Lex V2 bot alias(es) associated: ${associated.join(', ')}`,
                region,
              ),
            );
          } catch (err) {
            out.push(
              warn(
                C,
                `cannot list the bots of Connect instance ${name} (${errorText(err)})`,
                'allow connect:ListBots',
                region,
              ),
            );
          }
          const adds = planned.map((p) =>
            p.arn
              ? `${p.arn}${associated.includes(p.arn) ? ' (already associated)' : ''}`
              : `the ${p.bot} alias in ${p.region} (created by the deploy)`,
          );
          out.push(info(C, `the deploy associates with ${name}: the lookup function; ${adds.join('; ')}`, region));
          const others = [...new Set(planned.map((p) => p.region).filter((r) => r !== region))];
          if (others.length > 0)
            out.push(
              info(
                C,
                `bot aliases in ${others.join(', ')} are in another region than this instance: AWS documents same-region bots, and Lex Global Resiliency with Connect Global Resiliency; associating another region's alias is unverified — should Connect refuse it, only stack ${STACK_NAMES.connect(region)} rolls back`,
                region,
              ),
            );
          return out;
        }),
      );
    }),
  );
  return results.flat();
}
