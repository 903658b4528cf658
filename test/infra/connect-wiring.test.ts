import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { actions, flat, logicalId, resources, statement } from './template-helpers';

// One app for the whole file: existing bots (concrete IDs), the V1 probe, a Connect instance with a queue,
// an existing alarm topic and the schedule disabled.
const INSTANCE = 'arn:aws:connect:us-east-1:111111111111:instance/11111111-2222-3333-4444-555555555555';
const QUEUE = `${INSTANCE}/queue/66666666-7777-8888-9999-000000000000`;
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:oncall';
const config = parseConfig({
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  bots: [
    {
      name: 'OrderFlowers',
      source: 'existing',
      ids: {
        'us-east-1': { botId: 'AAAAAAAAAA', botAliasId: 'BBBBBBBBBB' },
        'us-west-2': { botId: 'CCCCCCCCCC', botAliasId: 'DDDDDDDDDD' },
      },
      v1: { botName: 'OrderFlowers', botAlias: 'live' },
    },
  ],
  probe: { method: 'v1-putsession' },
  scheduleEnabled: false,
  alarmTopicArn: TOPIC,
  connectInstanceArn: INSTANCE,
  agentQueueArn: QUEUE,
});
const { healthCheck, botStacks, connectStacks } = buildApp(config, {
  app: new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
  account: '111111111111',
  nag: false,
});
const template = Template.fromStack(healthCheck);
const connectStack = connectStacks.get('us-east-1')!;
const wiring = Template.fromStack(connectStack);
/** The ARN of the health-check stack's `Lookup` or `Report` function as the Connect stack imports it. */
const imported = (fn: 'Lookup' | 'Report') => {
  const refs = Object.values(wiring.findResources('AWS::Lambda::Permission')).map((p) =>
    flat(p.Properties.FunctionName),
  );
  expect(refs).toHaveLength(2);
  expect(
    refs.filter((r) =>
      new RegExp(`^<import:Lexdr-HealthCheck-us-east-1:ExportsOutputFnGetAtt${fn}Function\\w*Arn`).test(r),
    ),
  ).toHaveLength(1);
  return wiring.toJSON().Resources[logicalId(wiring, 'AWS::Lambda::Permission', `ConnectConnectInvokes${fn}`)]
    .Properties.FunctionName;
};
const importedLookup = () => imported('Lookup');

test('the Connect wiring is a stack of its own, deployed after the health check; the health check has none of it', () => {
  expect(connectStack.stackName).toBe('Lexdr-Connect-us-east-1');
  expect(connectStack.region).toBe('us-east-1');
  expect(connectStack.dependencies).toContain(healthCheck);
  for (const type of ['AWS::Connect::IntegrationAssociation', 'AWS::Connect::ContactFlow', 'AWS::Lambda::Permission'])
    expect(template.findResources(type)).toEqual({});
});
const ALIAS_EAST = 'arn:aws:lex:us-east-1:111111111111:bot-alias/AAAAAAAAAA/BBBBBBBBBB';
const ALIAS_WEST = 'arn:aws:lex:us-west-2:111111111111:bot-alias/CCCCCCCCCC/DDDDDDDDDD';

test('existing bots need no bot stack', () => {
  expect(botStacks.size).toBe(0);
});

test('the probe may call Lex V2 on exactly the two configured aliases', () => {
  expect(resources(statement(template, 'ProbeRole', 'ProbeLexV2Aliases'))).toEqual([ALIAS_EAST, ALIAS_WEST]);
});

test('with a V1 probe method, V1 PostText/PutSession/DeleteSession on exactly the V1 bot alias in each region', () => {
  const s = statement(template, 'ProbeRole', 'ProbeLexV1Aliases');
  expect(actions(s)).toEqual(['lex:DeleteSession', 'lex:PostText', 'lex:PutSession']);
  expect(resources(s)).toEqual([
    'arn:aws:lex:us-east-1:111111111111:bot:OrderFlowers:live',
    'arn:aws:lex:us-west-2:111111111111:bot:OrderFlowers:live',
  ]);
});

test('Connect may invoke the lookup, from this instance only', () => {
  wiring.hasResourceProperties('AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    Principal: 'connect.amazonaws.com',
    SourceArn: INSTANCE,
    SourceAccount: '111111111111',
    FunctionName: importedLookup(),
  });
});

test('Connect may invoke the report function, from this instance only, and it is associated with the instance', () => {
  wiring.hasResourceProperties('AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    Principal: 'connect.amazonaws.com',
    SourceArn: INSTANCE,
    SourceAccount: '111111111111',
    FunctionName: imported('Report'),
  });
  wiring.hasResourceProperties('AWS::Connect::IntegrationAssociation', {
    InstanceId: INSTANCE,
    IntegrationType: 'LAMBDA_FUNCTION',
    IntegrationArn: imported('Report'),
  });
  const lexdrFlow = Object.values(wiring.findResources('AWS::Connect::ContactFlow')).find(
    (r) => r.Properties.Name === 'lexdr',
  )!;
  expect(flat(lexdrFlow.Properties.Content)).toMatch(
    /<import:Lexdr-HealthCheck-us-east-1:ExportsOutputFnGetAttReportFunction\w*Arn\w*>/,
  );
});

test('the lookup and both bot aliases are associated with the instance', () => {
  wiring.hasResourceProperties('AWS::Connect::IntegrationAssociation', {
    InstanceId: INSTANCE,
    IntegrationType: 'LAMBDA_FUNCTION',
    IntegrationArn: importedLookup(),
  });
  const bots = Object.values(wiring.findResources('AWS::Connect::IntegrationAssociation'))
    .filter((r) => r.Properties.IntegrationType === 'LEX_BOT')
    .map((r) => flat(r.Properties.IntegrationArn));
  expect(bots).toEqual([ALIAS_EAST, ALIAS_WEST]);
});

test('both shipped flows become active CONTACT_FLOWs with every token filled from this deployment', () => {
  const flows = Object.values(wiring.findResources('AWS::Connect::ContactFlow')).map((r) => r.Properties);
  expect(flows.map((f) => f.Name).sort()).toEqual(['lexdr', 'lexdr Flower DR Flow (legacy)']);
  for (const f of flows) {
    expect(f).toMatchObject({ InstanceArn: INSTANCE, Type: 'CONTACT_FLOW', State: 'ACTIVE' });
    const content = flat(f.Content);
    expect(content).not.toMatch(/%[A-Za-z][A-Za-z0-9_]*%/);
    expect(content.length).toBeLessThanOrEqual(256_000);
    const parsed = JSON.parse(content) as { Actions: unknown[] };
    expect(parsed.Actions.length).toBeGreaterThan(0);
    expect(content).toMatch(/<import:Lexdr-HealthCheck-us-east-1:ExportsOutputFnGetAttLookupFunction\w*Arn\w*>/);
    expect(content).toContain(QUEUE);
  }
  const legacy = flat(flows.find((f) => f.Name.includes('legacy'))!.Content);
  expect(legacy).toContain(ALIAS_EAST);
  expect(legacy).toContain(ALIAS_WEST);
});

test('the flows are created after the associations they use', () => {
  const flow = Object.values(wiring.findResources('AWS::Connect::ContactFlow'))[0]!;
  const assoc = Object.keys(wiring.findResources('AWS::Connect::IntegrationAssociation'));
  expect([...(flow.DependsOn as string[])].sort()).toEqual(assoc.sort());
});

test('the alarms go to the configured topic; no topic or key is created', () => {
  expect(template.findResources('AWS::SNS::Topic')).toEqual({});
  expect(template.findResources('AWS::KMS::Key')).toEqual({});
  for (const a of Object.values(template.findResources('AWS::CloudWatch::Alarm')))
    expect(a.Properties.AlarmActions).toEqual([TOPIC]);
});

test('a disabled schedule creates the schedule DISABLED and mutes the not-running alarm', () => {
  template.hasResourceProperties('AWS::Scheduler::Schedule', {
    State: 'DISABLED',
    ScheduleExpression: 'rate(1 minute)',
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Statistic: 'SampleCount',
    TreatMissingData: 'breaching',
    ActionsEnabled: false,
  });
});

test('no warning when the queue is given', () => {
  expect(Annotations.fromStack(connectStack).findWarning('*', Match.stringLikeRegexp('agentQueueArn'))).toHaveLength(0);
});
