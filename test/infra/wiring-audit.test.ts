/**
 * The wiring audit (wiring-audit.ts) over every configuration of deploy-configurations.ts: no broken edge, nothing the
 * audit could not read, each edge kind found where the configuration has it (counted, so the audit cannot pass by
 * finding nothing), and a control app with broken edges of several kinds that the audit must report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as connect from 'aws-cdk-lib/aws-connect';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lex from 'aws-cdk-lib/aws-lex';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { ConfigurationName, Synthesized } from './deploy-configurations';
import { ACCOUNT, CONFIGURATION_NAMES, synthesize } from './deploy-configurations';
import type { SourcedStatement } from './iam-eval';
import { decide } from './iam-eval';
import type { Edge, EdgeKind, WiringReport } from './wiring-audit';
import { EDGE_KINDS, auditAssembly, describeEdge } from './wiring-audit';

/**
 * What the audit may accept without evaluating it, each with its reason: anything else it accepts fails the test, so
 * a new unevaluated condition or outside resource is looked at once.
 */
const ACCEPTED: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  {
    pattern: /^secret arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:lexdr\/twilio-AbCdEf outside the app: /,
    reason:
      "The Twilio auth token is the user's secret (twilio.authTokenSecretArn): lexdr grants the bridge's execution " +
      'role GetSecretValue on its complete ARN; its key and resource policy are not in the templates.',
  },
];

const root = mkdtempSync(join(tmpdir(), 'lexdr-wiring-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const synthesized = new Map<ConfigurationName, { s: Synthesized; report: WiringReport }>();
beforeAll(() => {
  for (const name of CONFIGURATION_NAMES) {
    const s = synthesize(name, join(root, name));
    synthesized.set(name, { s, report: auditAssembly(s.assembly) });
  }
}, 120_000);
const get = (name: ConfigurationName) => synthesized.get(name)!;

describe.each(CONFIGURATION_NAMES)('configuration "%s"', (name) => {
  test('every edge is allowed by both sides', () => {
    expect(get(name).report.broken.map(describeEdge)).toEqual([]);
  });

  test('the audit understood everything it found', () => {
    expect(get(name).report.unhandled).toEqual([]);
  });

  test('what was accepted without evaluation is listed with its reason', () => {
    expect(get(name).report.accepted.filter((a) => !ACCEPTED.some((x) => x.pattern.test(a)))).toEqual([]);
  });

  test('each edge kind is found as often as the configuration implies (and not where it has none)', () => {
    const { s, report } = get(name);
    const { config } = s;
    const hc = config.connectRegions.length;
    const codeBots = config.bots.filter((b) => b.source === 'code').length;
    const botRegions = config.bots.length * config.regions.length;
    const configuredInstances = (config.connectInstanceArn ? 1 : 0) + config.connectInstances.length;
    // Every health check reads the IDs of the bots of the other regions (two regions at least) through SSM.
    const crossRegionBots = codeBots > 0;
    const expected: Record<EdgeKind, [min: number, max: number]> = {
      'scheduler→state-machine': [hc, hc],
      'state-machine→lambda': [2 * hc, 2 * hc],
      'state-machine→dynamodb': [3 * hc, 3 * hc],
      'state-machine→cloudwatch': [hc, hc],
      // An alarm per bot and region, and lexdr's own; every one notifies the topic.
      'alarm→sns': [hc * (botRegions + 1), Infinity],
      'sns→kms': config.alarmTopicArn ? [0, 0] : [hc * (botRegions + 1), Infinity],
      'lex→lambda': [codeBots * config.regions.length, codeBots * config.regions.length],
      'connect→lambda': [configuredInstances, configuredInstances],
      'ecs-task→secret': config.twilio ? [1, 1] : [0, 0],
      'custom-resource→dynamodb': [2 * hc, Infinity],
      'cross-stack-reference': codeBots > 0 || configuredInstances > 0 ? [1, Infinity] : [0, 0],
      'cross-region-reference': crossRegionBots ? [1, Infinity] : [0, 0],
    };
    const outside = EDGE_KINDS.filter((k) => {
      const [min, max] = expected[k];
      return report.counts[k] < min || report.counts[k] > max;
    }).map((k) => `${k}: ${report.counts[k]} edges, expected ${expected[k].join('–')}`);
    expect(outside).toEqual([]);
  });
});

test('every edge kind of the audit is found in at least one configuration', () => {
  const total = (k: EdgeKind) => CONFIGURATION_NAMES.reduce((n, c) => n + get(c).report.counts[k], 0);
  expect(EDGE_KINDS.filter((k) => total(k) === 0)).toEqual([]);
});

test('Connect reaches the lookup of its own region, in the health-check stack, from the Connect stack', () => {
  const edges = get('two-connect-regions').report.edges.filter((e) => e.kind === 'connect→lambda');
  expect(edges.map((e) => [e.from.replace(/\/.*\(/, ' ('), e.to.replace(/\/.*/, '')])).toEqual([
    [
      `Lexdr-Connect-us-east-1 (arn:aws:connect:us-east-1:${ACCOUNT}:instance/11111111-2222-3333-4444-555555555555)`,
      'Lexdr-HealthCheck-us-east-1',
    ],
    [
      `Lexdr-Connect-us-west-2 (arn:aws:connect:us-west-2:${ACCOUNT}:instance/22222222-3333-4444-5555-666666666666)`,
      'Lexdr-HealthCheck-us-west-2',
    ],
  ]);
});

describe('IAM semantics of the audit', () => {
  const allow = (statement: Record<string, unknown>): SourcedStatement[] => [
    { statement: { Effect: 'Allow', ...statement }, source: 'P' },
  ];
  const fn = 'arn:aws:lambda:us-east-1:111111111111:function:probe';

  test.each([
    [{ Action: 'lambda:InvokeFunction', Resource: fn }, fn, true],
    [{ Action: 'Lambda:invoke*', Resource: fn }, fn, true],
    [{ Action: 'states:*', Resource: fn }, fn, false],
    [{ Action: '*', Resource: '*' }, fn, true],
    [{ Action: 'lambda:InvokeFunction', Resource: fn }, `${fn}:live`, false],
    [{ Action: 'lambda:InvokeFunction', Resource: `${fn}:*` }, `${fn}:live`, true],
    [{ Action: 'lambda:InvokeFunction', Resource: `${fn}:*` }, fn, false],
    [{ NotAction: 'lambda:InvokeFunction', Resource: '*' }, fn, false],
    [{ Action: 'lambda:InvokeFunction', NotResource: fn }, fn, false],
  ])('%j on %s → %s', (statement, resource, allowed) => {
    expect(decide(allow(statement), { action: 'lambda:InvokeFunction', resource, context: {} }).allowed).toBe(allowed);
  });

  test('an explicit Deny wins over an Allow', () => {
    const d = decide(
      [
        ...allow({ Action: 'sns:Publish', Resource: '*', Principal: '*' }),
        {
          statement: {
            Effect: 'Deny',
            Action: 'sns:*',
            Resource: '*',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
          },
          source: 'D',
        },
      ],
      { action: 'sns:Publish', resource: 't', principal: { service: 'cloudwatch.amazonaws.com' }, context: {} },
    );
    expect(d).toMatchObject({ allowed: false, denied: true, by: ['D'] });
  });

  test('a resource policy must name the service; a Deny on plain HTTP does not apply to a TLS request', () => {
    const policy: SourcedStatement[] = [
      {
        statement: {
          Effect: 'Deny',
          Action: 'sns:Publish',
          Resource: '*',
          Principal: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        source: 'T',
      },
    ];
    const request = {
      action: 'sns:Publish',
      resource: 't',
      principal: { service: 'cloudwatch.amazonaws.com' },
      context: { 'aws:SecureTransport': 'true' },
    };
    expect(decide(policy, request)).toMatchObject({ allowed: false, denied: false });
    const fixed: SourcedStatement[] = [
      ...policy,
      ...allow({
        Action: 'sns:Publish',
        Resource: 't',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:*' } },
      }),
    ];
    expect(
      decide(fixed, {
        ...request,
        context: { ...request.context, 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:A' },
      }).allowed,
    ).toBe(true);
    expect(
      decide(fixed, {
        ...request,
        context: { ...request.context, 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:222222222222:alarm:A' },
      }).allowed,
    ).toBe(false);
  });

  test('conditions on keys the request does not model are accepted and listed', () => {
    const d = decide(
      allow({
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
      }),
      { action: 'kms:Decrypt', resource: 'k', context: {} },
    );
    expect(d.allowed).toBe(true);
    expect(d.accepted).toEqual(['P: StringEquals kms:ViaService "sns.us-east-1.amazonaws.com"']);
  });

  test('ForAllValues on dynamodb:LeadingKeys: every key of the request must be listed', () => {
    const statement = allow({
      Action: 'dynamodb:PutItem',
      Resource: '*',
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1#settings'] } },
    });
    const put = (keys: string[]) =>
      decide(statement, { action: 'dynamodb:PutItem', resource: 't', context: { 'dynamodb:LeadingKeys': keys } })
        .allowed;
    expect(put(['us-east-1#settings'])).toBe(true);
    expect(put(['us-east-1'])).toBe(false);
  });
});

describe('the audit can fail: a control app with broken edges of several kinds', () => {
  const app = new App({ outdir: join(root, 'control'), builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Control', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const code = lambda.Code.fromInline('exports.handler = async () => ({})');
  const fn = (id: string) =>
    new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code });

  // Alarm → SNS → KMS: enforceSSL writes a topic policy holding only a Deny, and the key policy is CDK's default.
  const key = new kms.Key(stack, 'TopicKey');
  const brokenTopic = new sns.Topic(stack, 'BrokenTopic', { enforceSSL: true, masterKey: key });
  const alarm = (id: string, topic: sns.ITopic) =>
    new cloudwatch.Alarm(stack, id, {
      metric: new cloudwatch.Metric({ namespace: 'x', metricName: 'y' }),
      threshold: 1,
      evaluationPeriods: 1,
    }).addAlarmAction(new actions.SnsAction(topic));
  alarm('BrokenAlarm', brokenTopic);
  // The same with the fix: CloudWatch may publish, and the key lets it.
  const goodKey = new kms.Key(stack, 'GoodKey');
  goodKey.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  const goodTopic = new sns.Topic(stack, 'GoodTopic', { enforceSSL: true, masterKey: goodKey });
  goodTopic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [goodTopic.topicArn],
    }),
  );
  alarm('GoodAlarm', goodTopic);

  // State machine: may invoke A (and its versions), not B; may read the table, not write it; may publish metrics to
  // another namespace only. Scheduler: a role that trusts the scheduler but may not start the machine.
  const a = fn('FnA');
  const b = fn('FnB');
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  });
  const machineRole = new iam.Role(stack, 'MachineRole', {
    assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
  });
  a.grantInvoke(machineRole);
  table.grant(machineRole, 'dynamodb:GetItem');
  machineRole.addToPolicy(
    new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': 'other' } },
    }),
  );
  const task = (resource: string, parameters: object, next?: string) => ({
    Type: 'Task',
    Resource: resource,
    Parameters: parameters,
    ...(next ? { Next: next } : { End: true }),
  });
  const machine = new sfn.StateMachine(stack, 'Machine', {
    role: machineRole,
    definitionBody: sfn.DefinitionBody.fromString(
      JSON.stringify({
        StartAt: 'A',
        States: {
          A: task('arn:aws:states:::lambda:invoke', { FunctionName: '${A}' }, 'B'),
          B: task('arn:aws:states:::lambda:invoke', { FunctionName: '${B}' }, 'Read'),
          Read: task('arn:aws:states:::dynamodb:getItem', { TableName: '${T}', Key: { pk: { S: 'k' } } }, 'Write'),
          Write: task('arn:aws:states:::dynamodb:putItem', { TableName: '${T}', Item: { pk: { S: 'k' } } }, 'Metrics'),
          Metrics: task('arn:aws:states:::aws-sdk:cloudwatch:putMetricData', { Namespace: 'lexdr', MetricData: [] }),
        },
      }),
    ),
    definitionSubstitutions: { A: a.functionArn, B: b.functionArn, T: table.tableName },
  });
  const scheduleRole = new iam.Role(stack, 'ScheduleRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
  });
  new scheduler.CfnSchedule(stack, 'Schedule', {
    scheduleExpression: 'rate(1 minute)',
    flexibleTimeWindow: { mode: 'OFF' },
    target: { arn: machine.stateMachineArn, roleArn: scheduleRole.roleArn },
  });

  // Lex: the code hook's permission names another alias.
  const hook = fn('Fulfillment');
  new lex.CfnBotAlias(stack, 'Alias', {
    botId: 'BOTID12345',
    botAliasName: 'live',
    botAliasLocaleSettings: [
      {
        localeId: 'en_US',
        botAliasLocaleSetting: {
          enabled: true,
          codeHookSpecification: { lambdaCodeHook: { lambdaArn: hook.functionArn, codeHookInterfaceVersion: '1.0' } },
        },
      },
    ],
  });
  hook.addPermission('FromAnotherAlias', {
    principal: new iam.ServicePrincipal('lexv2.amazonaws.com'),
    sourceArn: `arn:aws:lex:us-east-1:${ACCOUNT}:bot-alias/BOTID12345/OTHERALIAS`,
  });

  // Connect: the lookup is associated but may not be invoked; a flow invokes a function never associated.
  const instance = `arn:aws:connect:us-east-1:${ACCOUNT}:instance/11111111-2222-3333-4444-555555555555`;
  const lookup = fn('Lookup');
  new connect.CfnIntegrationAssociation(stack, 'Association', {
    instanceId: instance,
    integrationType: 'LAMBDA_FUNCTION',
    integrationArn: lookup.functionArn,
  });
  const stray = fn('Stray');
  new connect.CfnContactFlow(stack, 'Flow', {
    instanceArn: instance,
    name: 'f',
    type: 'CONTACT_FLOW',
    content: Fn.join('', [
      '{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"',
      stray.functionArn,
      '"},"Transitions":{}}]}',
    ]),
  });

  // ECS: the container reads the secret by its partial ARN while the role holds another secret's complete one: IAM
  // checks the complete ARN (`twilio-` and six characters), which the grant does not match.
  const taskDef = new ecs.FargateTaskDefinition(stack, 'Task');
  const granted = secretsmanager.Secret.fromSecretCompleteArn(
    stack,
    'Granted',
    `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:other-AbCdEf`,
  );
  taskDef.addContainer('C', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/x/y'),
    secrets: { TOKEN: ecs.Secret.fromSecretsManager(granted) },
  });
  (taskDef.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride(
    'ContainerDefinitions.0.Secrets.0.ValueFrom',
    `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:twilio`,
  );

  // AwsCustomResource: its policy lets it write one item; the call writes another.
  new cr.AwsCustomResource(stack, 'Writer', {
    onCreate: {
      service: 'DynamoDB',
      action: 'putItem',
      parameters: { TableName: table.tableName, Item: { pk: { S: 'b#settings' } } },
      physicalResourceId: cr.PhysicalResourceId.of('w'),
    },
    installLatestAwsSdk: false,
    policy: cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['a#settings'] } },
      }),
    ]),
  });

  // A stack that imports an export no stack declares.
  const importer = new Stack(app, 'Importer', { env: { account: ACCOUNT, region: 'us-east-1' } });
  new CfnOutput(importer, 'Imported', { value: Fn.importValue('NoSuchExport') });

  const report = auditAssembly(app.synth());
  const find = (kind: EdgeKind, from: RegExp, to: RegExp, action?: string): Edge | undefined =>
    report.edges.find(
      (e) => e.kind === kind && from.test(e.from) && to.test(e.to) && (!action || e.actions.includes(action)),
    );

  // kind, caller, callee, the action (when the callee has several edges), the side that refuses, what it says.
  test.each([
    [
      'alarm→sns',
      /BrokenAlarm/,
      /BrokenTopic/,
      '',
      'callee',
      /replaces SNS's default policy and no statement allows cloudwatch\.amazonaws\.com sns:Publish/,
    ],
    [
      'sns→kms',
      /BrokenAlarm/,
      /TopicKey/,
      '',
      'callee',
      /does not allow cloudwatch\.amazonaws\.com kms:Decrypt, kms:GenerateDataKey/,
    ],
    ['scheduler→state-machine', /Schedule/, /Machine/, '', 'caller', /may not states:StartExecution/],
    [
      'state-machine→lambda',
      /Machine/,
      /FnB/,
      '',
      'caller',
      /may not lambda:InvokeFunction on arn:aws:lambda:us-east-1:\d+:function:«Control\|FnB/,
    ],
    ['state-machine→dynamodb', /Machine/, /Table/, 'dynamodb:PutItem', 'caller', /may not dynamodb:PutItem/],
    ['state-machine→cloudwatch', /Machine/, /lexdr/, '', 'caller', /may not cloudwatch:PutMetricData/],
    ['lex→lambda', /Alias/, /Fulfillment/, '', 'callee', /near misses: .*SourceArn .*OTHERALIAS/],
    [
      'connect→lambda',
      /Association/,
      /Lookup/,
      '',
      'callee',
      /no AWS::Lambda::Permission lets connect\.amazonaws\.com invoke/,
    ],
    ['connect→lambda', /Flow/, /Stray/, '', 'callee', /no AWS::Connect::IntegrationAssociation adds/],
    [
      'ecs-task→secret',
      /Task/,
      /secret:twilio$/,
      '',
      'caller',
      /may not secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:\d+:secret:twilio-XXXXXX/,
    ],
    ['custom-resource→dynamodb', /Writer/, /Table/, '', 'caller', /may not dynamodb:PutItem/],
    ['cross-stack-reference', /Importer/, /NoSuchExport/, '', 'callee', /no stack of the app exports "NoSuchExport"/],
  ] as const)('%s %s → %s %s is reported broken on the %s side', (kind, from, to, action, side, detail) => {
    const edge = find(kind, from, to, action || undefined);
    expect(edge && describeEdge(edge)).toBeDefined();
    expect(edge![side].ok).toBe(false);
    expect(edge![side].detail).toMatch(detail);
  });

  test('the fixed counterparts and the allowed edges pass', () => {
    const fine = [
      find('alarm→sns', /GoodAlarm/, /GoodTopic/),
      find('sns→kms', /GoodAlarm/, /GoodKey/),
      find('state-machine→lambda', /Machine/, /FnA/),
      find('state-machine→dynamodb', /Machine/, /Table/, 'dynamodb:GetItem'),
    ];
    expect(fine.map((e) => e && describeEdge(e)).filter((d) => d === undefined || /BROKEN/.test(d))).toEqual([]);
  });
});
