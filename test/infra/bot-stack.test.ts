import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { definitionHash, orderFlowers } from '../../bot';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { BotStack } from '../../infra/stacks/bot-stack';
import { logicalId } from './template-helpers';

// One app: the OrderFlowers bot as code in two regions; plus one bot stack with a changed definition.
const config = parseConfig({ regions: ['us-east-1', 'us-west-2'], bots: [{ name: 'OrderFlowers', source: 'code' }] });
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const { botStacks } = buildApp(config, { app, account: '111111111111', nag: false });
const changedDefinition = orderFlowers({ extraUtterances: ['flowers please'] });
const changedStack = new BotStack(app, 'Changed', {
  env: { account: '111111111111', region: 'us-east-1' },
  definition: changedDefinition,
});
// The same bot deployed under a prefixed Lex name (what the app passes: deployedBotName(config, 'OrderFlowers')).
const prefixedStack = new BotStack(app, 'Prefixed', {
  env: { account: '111111111111', region: 'us-east-1' },
  definition: orderFlowers(),
  botName: 'lexdr-OrderFlowers',
});
const prefixedChangedStack = new BotStack(app, 'PrefixedChanged', {
  env: { account: '111111111111', region: 'us-east-1' },
  definition: changedDefinition,
  botName: 'lexdr-OrderFlowers',
});
const east = Template.fromStack(botStacks.get('OrderFlowers/us-east-1')!);
const west = Template.fromStack(botStacks.get('OrderFlowers/us-west-2')!);
const changed = Template.fromStack(changedStack);
const prefixed = Template.fromStack(prefixedStack);
const prefixedChanged = Template.fromStack(prefixedChangedStack);

const only = (t: Template, type: string) => {
  const all = Object.entries(t.findResources(type));
  expect(all).toHaveLength(1);
  return { id: all[0]![0], props: all[0]![1].Properties as Record<string, unknown> };
};
const withoutRole = (p: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'RoleArn'));

test('one bot stack per bot region', () => {
  expect([...botStacks.keys()]).toEqual(['OrderFlowers/us-east-1', 'OrderFlowers/us-west-2']);
  expect(botStacks.get('OrderFlowers/us-west-2')!.region).toBe('us-west-2');
});

test('the synthesized bot definition is byte-identical in both regions', () => {
  const a = JSON.stringify(withoutRole(only(east, 'AWS::Lex::Bot').props));
  const b = JSON.stringify(withoutRole(only(west, 'AWS::Lex::Bot').props));
  expect(a.length).toBeGreaterThan(1000);
  expect(a).toBe(b);
});

test('the bot is named lexdr-OrderFlowers in Lex (never the sample’s own name), builds its locales on deploy and uses its own role', () => {
  const { props } = only(east, 'AWS::Lex::Bot');
  expect(props).toMatchObject({
    Name: 'lexdr-OrderFlowers',
    AutoBuildBotLocales: true,
    DataPrivacy: { ChildDirected: false },
  });
  expect(props.RoleArn).toEqual({ 'Fn::GetAtt': [logicalId(east, 'AWS::IAM::Role', 'CodeBotLexRole'), 'Arn'] });
});

test('the Lex role is assumed by lexv2.amazonaws.com and may only synthesize speech', () => {
  east.hasResourceProperties('AWS::IAM::Role', {
    AssumeRolePolicyDocument: {
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'lexv2.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
        },
      ],
    },
  });
  const policy = Object.values(east.findResources('AWS::IAM::Policy')).find((p) =>
    JSON.stringify(p.Properties.Roles).includes('CodeBotLexRole'),
  )!;
  expect(policy.Properties.PolicyDocument.Statement).toEqual([
    { Sid: 'SynthesizeSpeech', Action: 'polly:SynthesizeSpeech', Effect: 'Allow', Resource: '*' },
  ]);
});

test('the version logical ID carries the definition hash, and a changed definition gives a new one', () => {
  const v1 = only(east, 'AWS::Lex::BotVersion');
  const v2 = only(changed, 'AWS::Lex::BotVersion');
  expect(v1.id).toContain(definitionHash(orderFlowers()));
  expect(v2.id).toContain(definitionHash(changedDefinition));
  expect(v1.id).not.toBe(v2.id);
  expect(only(west, 'AWS::Lex::BotVersion').id).toBe(v1.id);
  expect(v1.props).toMatchObject({
    BotVersionLocaleSpecification: [{ LocaleId: 'en_US', BotVersionLocaleDetails: { SourceBotVersion: 'DRAFT' } }],
  });
});

test('the live alias points at that version with the fulfillment Lambda as code hook', () => {
  const version = only(east, 'AWS::Lex::BotVersion').id;
  const fn = logicalId(east, 'AWS::Lambda::Function', 'CodeBotFulfillment');
  east.hasResourceProperties('AWS::Lex::BotAlias', {
    BotAliasName: 'live',
    BotVersion: { 'Fn::GetAtt': [version, 'BotVersion'] },
    BotAliasLocaleSettings: [
      {
        LocaleId: 'en_US',
        BotAliasLocaleSetting: {
          Enabled: true,
          CodeHookSpecification: {
            LambdaCodeHook: { LambdaArn: { 'Fn::GetAtt': [fn, 'Arn'] }, CodeHookInterfaceVersion: '1.0' },
          },
        },
      },
    ],
  });
});

test('only the live alias may invoke the fulfillment function', () => {
  const alias = only(east, 'AWS::Lex::BotAlias').id;
  const permissions = Object.values(east.findResources('AWS::Lambda::Permission')).map((p) => p.Properties);
  expect(permissions).toEqual([
    {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(east, 'AWS::Lambda::Function', 'CodeBotFulfillment'), 'Arn'] },
      Principal: 'lexv2.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [alias, 'Arn'] },
      SourceAccount: '111111111111',
    },
  ]);
});

test('the fulfillment function runs long enough for the fulfillment updates timeout', () => {
  east.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
    Timeout: 30,
    LoggingConfig: { LogFormat: 'JSON' },
  });
});

test('IDs are stack outputs and SSM parameters', () => {
  const outputs = east.toJSON().Outputs as Record<string, unknown>;
  for (const o of ['BotId', 'BotAliasId', 'BotAliasArn', 'DefinitionHash']) expect(outputs[o]).toBeDefined();
  const alias = only(east, 'AWS::Lex::BotAlias').id;
  east.hasResourceProperties('AWS::SSM::Parameter', {
    Name: '/lexdr/bots/OrderFlowers/botAliasArn',
    Value: { 'Fn::GetAtt': [alias, 'Arn'] },
  });
  east.hasResourceProperties('AWS::SSM::Parameter', { Name: '/lexdr/bots/OrderFlowers/botId' });
  east.hasResourceProperties('AWS::SSM::Parameter', { Name: '/lexdr/bots/OrderFlowers/botAliasId' });
});

test('a botName is the name the bot gets in Lex; lexdr keeps the definition name for its parameters', () => {
  expect(only(prefixed, 'AWS::Lex::Bot').props).toMatchObject({ Name: 'lexdr-OrderFlowers' });
  expect(prefixedStack.bot.botName).toBe('lexdr-OrderFlowers');
  prefixed.hasResourceProperties('AWS::SSM::Parameter', { Name: '/lexdr/bots/OrderFlowers/botAliasArn' });
  // Apart from the name, the same bot as the unprefixed one.
  const rest = (t: Template) => JSON.stringify({ ...withoutRole(only(t, 'AWS::Lex::Bot').props), Name: undefined });
  expect(rest(prefixed)).toBe(rest(east));
});

test('the definition hash leaves the Lex name out; a changed definition still publishes a new version', () => {
  // A version snapshots the bot's locales, not its name: renaming the bot needs no new version.
  const v = only(prefixed, 'AWS::Lex::BotVersion');
  expect(v.id).toContain(definitionHash(orderFlowers()));
  expect(v.id).toBe(only(east, 'AWS::Lex::BotVersion').id);
  const c = only(prefixedChanged, 'AWS::Lex::BotVersion');
  expect(c.id).toContain(definitionHash(changedDefinition));
  expect(c.id).not.toBe(v.id);
  expect(prefixedChanged.toJSON().Outputs.DefinitionHash.Value).toBe(definitionHash(changedDefinition));
});

test('an invalid botName fails at synth time, naming the value and what is valid', () => {
  expect(
    () =>
      new BotStack(new App(), 'Bad', {
        env: { account: '111111111111', region: 'us-east-1' },
        definition: orderFlowers(),
        botName: 'lexdr OrderFlowers',
      }),
  ).toThrow(
    'invalid botName "lexdr OrderFlowers": must be 1–100 letters and digits, each optionally followed by one "_" or "-"',
  );
});
