/**
 * The wiring audit (wiring-audit.ts) can fail: a control app with broken edges of several kinds that the audit must
 * report, each on the side that refuses, and their fixed counterparts that it must pass.
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
import { ACCOUNT } from './deploy-configurations';
import { auditAssembly } from './wiring-audit';
import type { Edge, EdgeKind } from './wiring-edge';
import { describeEdge } from './wiring-edge';

const root = mkdtempSync(join(tmpdir(), 'lexdr-wiring-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

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
