/**
 * The construct library as a user's CDK app meets it: `LexDr` in a stack of the user's, its props validated by the
 * config's one schema (the same messages as cdk.json, under the props' names), CDK objects where the user has them
 * (a Connect instance, a topic, a bot deployed by `LexDrBot` in another region), grants, and cdk-nag clean.
 */
import { App, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as connect from 'aws-cdk-lib/aws-connect';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FUNCTION_ENV } from '../../core/contract';
import type { LexDrProps } from '../../infra';
import { ConfigError, LexDr, LexDrBot, LexDrConnect, LexDrTwilioBridge, parseConfig } from '../../infra';
import { TWILIO } from './deploy-configurations';
import { flat, resources, statementsOf } from './template-helpers';

const ACCOUNT = '111111111111';
/** An app that does not bundle the handlers (test/infra/lookup-asset.test.ts and the package test do). */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const env = (region: string) => ({ account: ACCOUNT, region });
const INSTANCE = `arn:aws:connect:us-east-1:${ACCOUNT}:instance/11111111-2222-3333-4444-555555555555`;
const QUEUE = `${INSTANCE}/queue/66666666-7777-8888-9999-000000000000`;
const IDS = {
  'us-east-1': { botId: 'AAAAAAAAAA', botAliasId: 'BBBBBBBBBB' },
  'us-west-2': { botId: 'CCCCCCCCCC', botAliasId: 'DDDDDDDDDD' },
};
const PROPS: LexDrProps = { regions: ['us-east-1', 'us-west-2'], bots: [{ name: 'OrderFlowers', ids: IDS }] };

function stackWith(props: Partial<LexDrProps> = {}, stackProps: StackProps = { env: env('us-east-1') }) {
  const stack = new Stack(newApp(), 'ContactCentre', stackProps);
  const lexdr = new LexDr(stack, 'LexDr', { ...PROPS, ...props });
  return { stack, lexdr };
}

/** The one line a ConfigError says about a key. */
const lineAbout = (err: unknown, key: string) =>
  String((err as Error).message)
    .split('\n')
    .find((l) => l.startsWith(`  ${key}:`));
const thrown = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

describe('LexDr in a stack of the user’s', () => {
  const { stack, lexdr } = stackWith({ alarmEmail: 'oncall@example.com' });
  const mine = new lambda.Function(stack, 'Mine', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  lexdr.grantReadDrItem(mine);
  const template = Template.fromStack(stack);

  test('holds the DR tables, the workflow, the lookup and report functions, the alarms and the dashboard', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'lexDR' });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'lexDR-history' });
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.resourceCountIs('AWS::Connect::IntegrationAssociation', 0);
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^LexDrTablesTable/),
        expect.stringMatching(/^LexDrTablesHistory/),
      ]),
    );
    const lookup = template.toJSON().Resources[stack.getLogicalId(lexdr.lookupFunction.node.defaultChild as never)];
    expect(lookup.Properties.Environment.Variables).toMatchObject({
      [FUNCTION_ENV.connectRegion]: 'us-east-1',
      [FUNCTION_ENV.regions]: 'us-east-1,us-west-2',
    });
    expect(lexdr.alarms.all.length).toBeGreaterThan(5);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  test('grantReadDrItem: GetItem on this Connect region’s lexDR item, and nothing else', () => {
    const granted = statementsOf(template, 'MineServiceRole');
    expect(granted).toHaveLength(1);
    expect(granted[0]!.Action).toBe('dynamodb:GetItem');
    expect(resources(granted[0]!)).toEqual([`<${stack.getLogicalId(lexdr.table.node.defaultChild as never)}.Arn>`]);
    expect(granted[0]!.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1'] } });
  });

  test('the settings item holds the bots’ IDs in every region', () => {
    const settings = JSON.stringify(template.findResources('Custom::LexdrSettings'));
    for (const ids of Object.values(IDS)) expect(settings).toContain(ids.botAliasId);
  });

  test('cdk-nag (AWS Solutions): no finding', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations
      .filter((v) => !v.violatingResources.every((r) => r.constructPath?.includes('/Mine/')))
      .map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});

describe('CDK objects where the user has them', () => {
  test('connect: a CfnInstance of the app (its ARN a token) is wired; the flows transfer to the queue', () => {
    const stack = new Stack(newApp(), 'ContactCentre', { env: env('us-east-1') });
    const instance = new connect.CfnInstance(stack, 'Instance', {
      identityManagementType: 'CONNECT_MANAGED',
      instanceAlias: 'contact-centre',
      attributes: { inboundCalls: true, outboundCalls: false },
    });
    const lexdr = new LexDr(stack, 'LexDr', { ...PROPS, connect: { instance, queue: QUEUE } });
    const t = Template.fromStack(stack);
    const associations = Object.values(t.findResources('AWS::Connect::IntegrationAssociation'));
    // The lookup, the report function, and each bot in each region.
    expect(associations).toHaveLength(4);
    for (const a of associations) expect(flat(a.Properties.InstanceId)).toBe(`<${stack.getLogicalId(instance)}.Arn>`);
    const flows = Object.values(t.findResources('AWS::Connect::ContactFlow'));
    expect(flows.map((f) => f.Properties.Name).sort()).toEqual(['lexdr', 'lexdr Flower DR Flow (legacy)']);
    expect(flat(flows[0]!.Properties.Content)).toContain(QUEUE);
    expect(lexdr.connect?.instanceArn).toBe(instance.attrArn);
    // The stand-in the schema checked never reaches the template.
    expect(JSON.stringify(t.toJSON())).not.toContain('00000000-0000-0000-0000-000000000000');
  });

  test('alarmTopic: the alarms notify the user’s topic, and lexdr makes none', () => {
    const stack = new Stack(newApp(), 'ContactCentre', { env: env('us-east-1') });
    const topic = new sns.Topic(stack, 'OnCall');
    const lexdr = new LexDr(stack, 'LexDr', { ...PROPS, alarmTopic: topic });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.resourceCountIs('AWS::KMS::Key', 0);
    expect(lexdr.alarmTopic).toBe(topic);
    const alarm = t.toJSON().Resources[stack.getLogicalId(lexdr.alarms.noHealthyRegion.node.defaultChild as never)];
    expect(alarm.Properties.AlarmActions).toEqual([{ Ref: stack.getLogicalId(topic.node.defaultChild as never) }]);
  });

  test('a LexDrBot in another region’s stack: its IDs reach the settings and the probe’s policy across regions', () => {
    const app = newApp();
    const west = new Stack(app, 'BotsWest', { env: env('us-west-2'), crossRegionReferences: true });
    const bot = new LexDrBot(west, 'OrderFlowers');
    const stack = new Stack(app, 'ContactCentre', { env: env('us-east-1'), crossRegionReferences: true });
    const lexdr = new LexDr(stack, 'LexDr', {
      ...PROPS,
      bots: [{ name: 'OrderFlowers', ids: { 'us-east-1': IDS['us-east-1'], 'us-west-2': bot } }],
    });
    const t = Template.fromStack(stack);
    const json = JSON.stringify(t.toJSON());
    expect(json).not.toMatch(/TOKEN0BOT0|TOKEN0ALIA/);
    // The west IDs come from the bot stack, read across regions (CDK's cross-region references).
    const probe = statementsOf(t, stack.getLogicalId(lexdr.probe.role.node.defaultChild as never)).find(
      (s) => s.Sid === 'ProbeLexV2Aliases',
    )!;
    expect(resources(probe)).toEqual([
      'arn:aws:lex:us-east-1:111111111111:bot-alias/AAAAAAAAAA/BBBBBBBBBB',
      expect.stringMatching(/^arn:aws:lex:us-west-2:111111111111:bot-alias\/<.*>\/<.*>$/),
    ]);
    expect(Template.fromStack(west).findResources('AWS::Lex::Bot')).not.toEqual({});
    Template.fromStack(west).hasResourceProperties('AWS::Lex::Bot', { Name: 'lexdr-OrderFlowers' });
  });
});

describe('props are checked by the config’s schema, rules and limits', () => {
  test('a value the schema refuses: the same message as in cdk.json, under the prop’s name', () => {
    const err = thrown(() => stackWith({ cadenceSeconds: 7 }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^invalid LexDr props \(ContactCentre\/LexDr\):/);
    const fromCdkJson = thrown(() => parseConfig({ cadenceSeconds: 7 }));
    expect(lineAbout(err, 'cadenceSeconds')).toBe(lineAbout(fromCdkJson, 'cadenceSeconds'));
    expect(lineAbout(err, 'cadenceSeconds')).toMatch(/got 7; must divide 60 evenly/);
  });

  test('a rule across props: the probe timeout against the cadence', () => {
    const err = thrown(() => stackWith({ cadenceSeconds: 5, probe: { timeoutMs: 6000, latencyBudgetMs: 1000 } }));
    expect(lineAbout(err, 'probe.timeoutMs')).toMatch(/got 6000; must be shorter than one cycle/);
  });

  test('the bot regions are asked for (a JavaScript app can leave them out)', () => {
    const err = thrown(() => stackWith({ regions: undefined as unknown as string[] }));
    expect(lineAbout(err, 'regions')).toBe(
      '  regions: got nothing; the bot regions in priority order, the primary first',
    );
  });

  test('a bot without IDs in a region', () => {
    const err = thrown(() => stackWith({ bots: [{ name: 'OrderFlowers', ids: { 'us-east-1': IDS['us-east-1'] } }] }));
    expect(lineAbout(err, 'bots.0.ids')).toMatch(/missing us-west-2/);
  });

  test('a Connect instance of another region, reported as connect.instance', () => {
    const other = INSTANCE.replace('us-east-1', 'us-west-2');
    const err = thrown(() => stackWith({ connect: { instance: other } }));
    expect(lineAbout(err, 'connect.instance')).toBe(
      `  connect.instance: got "${other}"; is in us-west-2, not one of the Connect regions (us-east-1)`,
    );
  });

  test('the Connect region is the stack’s', () => {
    expect(() => stackWith({}, {})).toThrow(/connectRegion: got nothing; the stack is environment-agnostic/);
    expect(() => stackWith({ connectRegion: 'us-west-2' })).toThrow(/must be the stack's region \(us-east-1\)/);
    // An environment-agnostic stack takes the region from the prop.
    expect(stackWith({ connectRegion: 'us-east-1' }, {}).lexdr.connectRegion).toBe('us-east-1');
  });

  test('LexDrConnect in a stack of its own: checked against lexdr’s config, and in lexdr’s region only', () => {
    const app = newApp();
    const lexdr = new LexDr(new Stack(app, 'Lexdr', { env: env('us-east-1') }), 'LexDr', PROPS);
    const wiring = new LexDrConnect(new Stack(app, 'Wiring', { env: env('us-east-1') }), 'Connect', {
      lexdr,
      instance: INSTANCE,
    });
    expect(wiring.botAssociations).toHaveLength(2);
    expect(
      () =>
        new LexDrConnect(new Stack(app, 'West', { env: env('us-west-2') }), 'Connect', { lexdr, instance: INSTANCE }),
    ).toThrow(/the stack is in us-west-2; the wiring belongs in .* us-east-1/);
    expect(
      () =>
        new LexDrConnect(new Stack(app, 'Bad', { env: env('us-east-1') }), 'Connect', {
          lexdr,
          instance: 'arn:aws:connect:nope',
        }),
    ).toThrow(/\n {2}instance: got "arn:aws:connect:nope"/);
  });

  test('LexDrTwilioBridge: the config’s `twilio` keys, under the props’ names', () => {
    const { stack, lexdr } = stackWith();
    const bridge = { lexdr, ...TWILIO };
    expect(() => new LexDrTwilioBridge(stack, 'Bad', { ...bridge, accountSid: 'AC1' })).toThrow(
      /\n {2}accountSid: got "AC1"; a Twilio account SID/,
    );
    const ok = new LexDrTwilioBridge(stack, 'Bridge', bridge);
    expect(ok.webhookUrl).toBe('https://voice.example.com/twiml');
  });
});
