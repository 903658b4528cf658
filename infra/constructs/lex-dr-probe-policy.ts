import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Settings } from '../../core/settings';
import { IAM_ROLE_POLICY_LIMIT_CHARS } from '../../core/aws-limits';
import type { LexdrConfig } from '../config';
import { speechUse } from '../config';
import { PROBE_POLICY_ARN_BUDGET_CHARS } from '../limits';
import type { LexdrFunction } from './lexdr-function';

/**
 * What the probe may call in Lex. V2: the runtime on each configured bot alias — or, when the ARNs would not fit the
 * role's policy size (IAM: 10,240 characters, measured on `sizing`, the settings with the longest IDs), on the bot
 * aliases of each configured region. V1 (a `v1-*` probe method): PostText, PutSession, DeleteSession on each bot's
 * V1 alias in each region.
 */
export function grantProbeLex(probe: LexdrFunction, config: LexdrConfig, settings: Settings, sizing: Settings): void {
  const stack = Stack.of(probe);
  const actions = [
    'lex:PutSession',
    'lex:GetSession',
    'lex:DeleteSession',
    'lex:RecognizeText',
    // The `stream` probe: the callers' API.
    ...(config.probe.method === 'stream' ? ['lex:StartConversation'] : []),
    // The `speech` probe: a configured method, periodic speech cycles, or the confirmation of callers' reports.
    ...(speechUse(config) ? ['lex:RecognizeUtterance'] : []),
  ];
  const sizedArns = sizing.bots.flatMap((b) => config.regions.map((r) => b.regions[r]!.botAliasArn));
  const chars = sizedArns.reduce((n, a) => n + a.length + 3, 0);
  if (chars <= PROBE_POLICY_ARN_BUDGET_CHARS) {
    const aliasArns = settings.bots.flatMap((b) => config.regions.map((r) => b.regions[r]!.botAliasArn));
    probe.role.addToPolicy(new iam.PolicyStatement({ sid: 'ProbeLexV2Aliases', actions, resources: aliasArns }));
  } else {
    const perRegion = config.regions.map((r) => `arn:${stack.partition}:lex:${r}:${stack.account}:bot-alias/*`);
    probe.role.addToPolicy(new iam.PolicyStatement({ sid: 'ProbeLexV2Aliases', actions, resources: perRegion }));
    const policy = probe.role.node.findChild('DefaultPolicy');
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    for (const r of config.regions) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:lex:${r}:${account}:bot-alias/*]`,
        reason: `${sizedArns.length} bot alias ARNs (${chars} characters) would not fit the role's ${IAM_ROLE_POLICY_LIMIT_CHARS}-character policy limit; the probe may use the Lex V2 runtime on bot aliases of ${r}, one of the configured regions, only.`,
      });
    }
  }
  if (config.probe.method === 'v1-putsession' || config.probe.method === 'v1-posttext') {
    const v1Arns = config.bots.flatMap((b) =>
      b.v1
        ? config.regions.map(
            (r) => `arn:${stack.partition}:lex:${r}:${stack.account}:bot:${b.v1!.botName}:${b.v1!.botAlias}`,
          )
        : [],
    );
    probe.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ProbeLexV1Aliases',
        actions: ['lex:PostText', 'lex:PutSession', 'lex:DeleteSession'],
        resources: v1Arns,
      }),
    );
  }
}
