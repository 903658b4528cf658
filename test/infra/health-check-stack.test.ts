import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { aslTokens, checkSubstitutions } from '../../infra/constructs/health-check-workflow';
import { actions, flat, logicalId, resources, statement, statementsOf } from './template-helpers';

// One app for the whole file: bots as code in two regions, no Connect instance, schedule on.
const config = parseConfig({
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  bots: [{ name: 'OrderFlowers', source: 'code' }],
  metricNamespace: 'lexdr-test',
  alarmEmail: 'oncall@example.com',
});
const { healthCheck } = buildApp(config, {
  app: new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
  account: '111111111111',
  nag: false,
});
const template = Template.fromStack(healthCheck);
const ASL = readFileSync(join(__dirname, '..', '..', 'statemachine', 'health-check.asl.json'), 'utf8');

const fnId = (prefix: string) => logicalId(template, 'AWS::Lambda::Function', prefix);
const tableId = logicalId(template, 'AWS::DynamoDB::Table', 'TablesTable');
const historyId = logicalId(template, 'AWS::DynamoDB::Table', 'TablesHistory');

describe('DR tables', () => {
  test('lexDR is on demand, point-in-time recoverable, encrypted and retained except by a failed create', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: 'lexDR',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'connectRegion', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: false,
      },
    });
  });

  test('the history table has connectRegion + changeId keys and the same protection', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: 'lexDR-history',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'connectRegion', KeyType: 'HASH' },
          { AttributeName: 'changeId', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  test('the seed creates {connectRegion, lexRegion: primary} only when absent, on create and on update', () => {
    const seeds = Object.values(template.findResources('Custom::LexdrSeed'));
    expect(seeds).toHaveLength(1);
    for (const key of ['Create', 'Update']) {
      const call = flat(seeds[0]!.Properties[key]);
      expect(call).toContain('"action":"putItem"');
      expect(call).toContain('"ConditionExpression":"attribute_not_exists(connectRegion)"');
      expect(call).toContain('"Item":{"connectRegion":{"S":"us-east-1"},"lexRegion":{"S":"us-east-1"}}');
      expect(call).toContain('"ignoreErrorCodesMatching":"ConditionalCheckFailedException"');
      expect(call).toContain(`"TableName":"<Ref:${tableId}>"`);
    }
  });

  test('the deploy-time writer may only PutItem on the DR table, and Put/DeleteItem on the settings item', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter(
      (p) => JSON.stringify(p).includes('dynamodb:PutItem') && JSON.stringify(p.Properties.Roles).includes('AWS679f'),
    );
    expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      { Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
      {
        Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1#settings'] } },
      },
    ]);
  });

  test('the settings item holds every bot region, is written on create and update, deleted with the stack', () => {
    const writers = Object.values(template.findResources('Custom::LexdrSettings'));
    expect(writers).toHaveLength(1);
    for (const key of ['Create', 'Update']) {
      const call = flat(writers[0]!.Properties[key]);
      expect(call).toContain('"action":"putItem"');
      expect(call).toContain('"connectRegion":{"S":"us-east-1#settings"}');
      expect(call).not.toContain('ConditionExpression');
      expect(call).toContain('\\"connectRegion\\":\\"us-east-1\\"');
      expect(call).toContain('\\"regions\\":[\\"us-east-1\\",\\"us-west-2\\"]');
      expect(call).toContain('\\"cyclesPerExecution\\":10');
      expect(call).toMatch(/\\"botAliasArn\\":\\"arn:aws:lex:us-west-2:111111111111:bot-alias\/<ExportsReader/);
    }
    const del = flat(writers[0]!.Properties.Delete);
    expect(del).toContain('"action":"deleteItem"');
    expect(del).toContain('"Key":{"connectRegion":{"S":"us-east-1#settings"}}');
  });
});

describe('functions', () => {
  test.each([
    ['Probe', 128, 8],
    ['HealthCheck', 128, 5],
    ['Lookup', 512, 3],
  ])('%s: Node.js 24, arm64, JSON logs to its own log group, %i MB, %i s', (prefix, memory, timeout) => {
    const id = fnId(`${prefix}Function`);
    const fn = template.toJSON().Resources[id].Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: memory,
      Timeout: timeout,
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: logicalId(template, 'AWS::Logs::LogGroup', `${prefix}Logs`) },
      },
    });
    expect(fn.Timeout).toBeLessThanOrEqual(8);
    expect(fn.Environment.Variables.POWERTOOLS_SERVICE_NAME).toMatch(/^lexdr-/);
  });

  test('function log groups keep logs for a month', () => {
    const groups = template.toJSON().Resources;
    for (const p of ['Probe', 'HealthCheck', 'Lookup'])
      expect(groups[logicalId(template, 'AWS::Logs::LogGroup', `${p}Logs`)].Properties.RetentionInDays).toBe(30);
  });

  test('health check and lookup get where their settings are (table, Connect region), not the settings', () => {
    const env = (p: string) => template.toJSON().Resources[fnId(`${p}Function`)].Properties.Environment.Variables;
    expect(env('HealthCheck')).toEqual({
      POWERTOOLS_SERVICE_NAME: 'lexdr-health-check',
      TABLE_NAME: { Ref: tableId },
      LEXDR_CONNECT_REGION: 'us-east-1',
    });
    expect(env('Lookup')).toEqual({
      POWERTOOLS_SERVICE_NAME: 'lexdr-lookup',
      TABLE_NAME: { Ref: tableId },
      LEXDR_CONNECT_REGION: 'us-east-1',
      LEXDR_REGIONS: 'us-east-1,us-west-2',
    });
    expect(env('Probe')).toEqual({ POWERTOOLS_SERVICE_NAME: 'lexdr-probe' });
  });

  test('the functions that read the settings item are updated after it is written', () => {
    const writer = logicalId(template, 'Custom::LexdrSettings', 'TablesSettings');
    for (const p of ['HealthCheck', 'Lookup'])
      expect(template.toJSON().Resources[fnId(`${p}Function`)].DependsOn).toContain(writer);
  });

  test('the probe function has reserved concurrency for its probes in flight × 3 overlapping executions', () => {
    expect(template.toJSON().Resources[fnId('ProbeFunction')].Properties.ReservedConcurrentExecutions).toBe(2 * 3);
    for (const p of ['HealthCheck', 'Lookup'])
      expect(template.toJSON().Resources[fnId(`${p}Function`)].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('the probe may call the Lex V2 session and text APIs on exactly each bot alias, and nothing else', () => {
    const s = statement(template, 'ProbeRole', 'ProbeLexV2Aliases');
    expect(actions(s)).toEqual(['lex:DeleteSession', 'lex:GetSession', 'lex:PutSession', 'lex:RecognizeText']);
    const arns = resources(s);
    expect(arns).toHaveLength(2);
    expect(arns[0]).toMatch(
      /^arn:aws:lex:us-east-1:111111111111:bot-alias\/<import:Lexdr-Bot-OrderFlowers-us-east-1:.*>\/<import:.*>$/,
    );
    expect(arns[1]).toMatch(/^arn:aws:lex:us-west-2:111111111111:bot-alias\/<ExportsReader.*>\/<ExportsReader.*>$/);
    expect(statementsOf(template, 'ProbeRole').map((x) => x.Sid)).toEqual(['WriteOwnLogs', 'ProbeLexV2Aliases']);
  });

  test('no V1 statement without a V1 probe method', () => {
    expect(statementsOf(template, 'ProbeRole').some((x) => x.Sid === 'ProbeLexV1Aliases')).toBe(false);
  });

  test("the lookup may only GetItem its own Connect region's lexDR and settings items (plus its own logs)", () => {
    const s = statement(template, 'LookupRole', 'ReadDrItem');
    expect(actions(s)).toEqual(['dynamodb:GetItem']);
    expect(resources(s)).toEqual([`<${tableId}.Arn>`]);
    expect(s.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1', 'us-east-1#settings'] },
    });
    expect(statementsOf(template, 'LookupRole').map((x) => x.Sid)).toEqual(['WriteOwnLogs', 'ReadDrItem']);
  });

  test('the health check may only GetItem its settings item', () => {
    const s = statement(template, 'HealthCheckRole', 'ReadSettingsItem');
    expect(actions(s)).toEqual(['dynamodb:GetItem']);
    expect(resources(s)).toEqual([`<${tableId}.Arn>`]);
    expect(s.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1#settings'] } });
  });

  test('each function writes only its own log group', () => {
    for (const p of ['Probe', 'HealthCheck', 'Lookup']) {
      const s = statement(template, `${p}Role`, 'WriteOwnLogs');
      expect(actions(s)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(resources(s)).toEqual([`<${logicalId(template, 'AWS::Logs::LogGroup', `${p}Logs`)}.Arn>`]);
    }
    expect(statementsOf(template, 'HealthCheckRole').map((x) => x.Sid)).toEqual(['WriteOwnLogs', 'ReadSettingsItem']);
  });
});

describe('state machine', () => {
  const sm = () => Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]!.Properties;

  test('is Express, logs ALL (state data only when configured) to a log group with retention, and is traced', () => {
    expect(sm()).toMatchObject({
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Logs::LogGroup', 'WorkflowLogs'), 'Arn'] },
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/lexdr-health-check-'),
      RetentionInDays: 30,
    });
  });

  test('carries the ASL file verbatim with every ${Token} substituted', () => {
    const body = flat(sm().DefinitionString);
    expect(body).toBe(ASL); // substitutions are applied by Step Functions, the string is the file
    const subs = sm().DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(subs).sort()).toEqual(aslTokens(ASL).sort());
    expect(aslTokens(ASL).length).toBeGreaterThan(0);
    const substituted = Object.entries(subs).reduce((s, [k, v]) => s.split('${' + k + '}').join(flat(v)), body);
    expect(substituted).not.toContain('${');
    expect(() => JSON.parse(substituted)).not.toThrow();
    expect(flat(subs.MetricNamespace)).toBe('lexdr-test');
    expect(subs.TableName).toEqual({ Ref: tableId });
    expect(subs.HistoryTableName).toEqual({ Ref: historyId });
    expect(subs.ProbeFunctionArn).toEqual({ 'Fn::GetAtt': [fnId('ProbeFunction'), 'Arn'] });
    expect(subs.HealthCheckFunctionArn).toEqual({ 'Fn::GetAtt': [fnId('HealthCheckFunction'), 'Arn'] });
  });

  test('the synth-time check throws on a token without a substitution and on an unused substitution', () => {
    expect(() => checkSubstitutions('{"a":"${A}","b":"${B}"}', { A: 'x' }, 'f.json')).toThrow(
      /no substitution for \$\{B\}/,
    );
    expect(() => checkSubstitutions('{"a":"${A}"}', { A: 'x', C: 'y' }, 'f.json')).toThrow(/not in the definition: C/);
    expect(() => checkSubstitutions('{"a":"${A}"}', { A: 'x' }, 'f.json')).not.toThrow();
  });

  test('the workflow role invokes only the two functions (and their versions)', () => {
    const s = statement(template, 'WorkflowRole', 'InvokeHealthCheckFunctions');
    expect(actions(s)).toEqual(['lambda:InvokeFunction']);
    const hc = fnId('HealthCheckFunction');
    const probe = fnId('ProbeFunction');
    // Order-free: @aws-cdk/aws-iam:minimizePolicies (cdk.json) sorts and merges statements.
    expect(resources(s).sort()).toEqual([`<${hc}.Arn>`, `<${hc}.Arn>:*`, `<${probe}.Arn>`, `<${probe}.Arn>:*`].sort());
  });

  test('the workflow role reads/updates only the DR table and appends only to the history table', () => {
    const rw = statement(template, 'WorkflowRole', 'ReadAndUpdateDrItem');
    expect(actions(rw)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(resources(rw)).toEqual([`<${tableId}.Arn>`]);
    const put = statement(template, 'WorkflowRole', 'AppendRegionChange');
    expect(actions(put)).toEqual(['dynamodb:PutItem']);
    expect(resources(put)).toEqual([`<${historyId}.Arn>`]);
  });

  test('the workflow role may publish metrics only to the configured namespace', () => {
    const s = statement(template, 'WorkflowRole', 'PublishHealthMetrics');
    expect(actions(s)).toEqual(['cloudwatch:PutMetricData']);
    expect(s.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'lexdr-test' } });
  });

  test('the workflow role has no other data-plane statements (only CDK log delivery and X-Ray)', () => {
    const others = statementsOf(template, 'WorkflowRole').filter((s) => !s.Sid);
    const acts = others.flatMap(actions);
    expect(acts.every((a) => a.startsWith('logs:') || a.startsWith('xray:'))).toBe(true);
  });
});

describe('schedule', () => {
  test('starts the state machine every minute with {} through its own role', () => {
    const smId = logicalId(template, 'AWS::StepFunctions::StateMachine', 'WorkflowStateMachine');
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: {
        Arn: { Ref: smId },
        Input: '{}',
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowScheduleRole'), 'Arn'] },
      },
    });
    const s = statementsOf(template, 'WorkflowScheduleRole');
    expect(s).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: smId } }]);
  });
});

describe('alarms', () => {
  const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const topicRef = () => ({ Ref: logicalId(template, 'AWS::SNS::Topic', 'AlarmTopic') });

  test('an encrypted, TLS-only topic with the e-mail subscription gets every alarm and OK', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    for (const a of alarms()) {
      expect(a.AlarmActions).toEqual([topicRef()]);
      expect(a.OKActions).toEqual([topicRef()]);
    }
  });

  test('the topic policy lets CloudWatch alarms of this account and region publish (it replaces SNS’s default)', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    const allows = (policies[0]!.Properties.PolicyDocument.Statement as Record<string, unknown>[]).filter(
      (s) => s.Effect === 'Allow',
    );
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topicRef(),
      }),
    ]);
    const condition = allows[0]!.Condition as Record<string, Record<string, unknown>>;
    expect(condition.StringEquals!['aws:SourceAccount']).toBeDefined();
    expect(flat(condition.ArnLike!['aws:SourceArn'])).toMatch(/^arn:aws:cloudwatch:us-east-1:.+:alarm:\*$/);
  });

  test('a notification-test alarm that nothing publishes to, for `lexdr verify`, named in an output', () => {
    const id = logicalId(template, 'AWS::CloudWatch::Alarm', 'AlarmsNotificationTest');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NotificationTest',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
    });
    expect(template.toJSON().Outputs.NotificationTestAlarmName.Value).toEqual({ Ref: id });
  });

  test('no healthy region: NoHealthyRegion max ≥ 1', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'lexdr-test',
      MetricName: 'NoHealthyRegion',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'ConnectRegion', Value: 'us-east-1' }],
    });
  });

  test('running on a non-primary region: ActiveRegionIndex max ≥ 1', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ActiveRegionIndex',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test.each(['us-east-1', 'us-west-2'])('probes failing in %s: ProbeSuccess average < 1 for 3 minutes', (region) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ProbeSuccess',
      Statistic: 'Average',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Dimensions: [
        { Name: 'Bot', Value: 'OrderFlowers' },
        { Name: 'ConnectRegion', Value: 'us-east-1' },
        { Name: 'Region', Value: region },
      ],
    });
  });

  test.each(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionThrottled'])('workflow %s ≥ 1', (metric) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: metric,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('health check not running: ActiveRegionIndex SampleCount, missing data breaching, actions on', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ActiveRegionIndex',
      Statistic: 'SampleCount',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      ActionsEnabled: true,
    });
  });

  test('lookup errors ≥ 1 and lookup p99 duration > 2000 ms', () => {
    const lookup = { Name: 'FunctionName', Value: { Ref: fnId('LookupFunction') } };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [lookup],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Threshold: 2000,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [lookup],
    });
  });

  test('health check blind: the sum of ProbeErrors over every region ≥ 1 for 2 minutes', () => {
    const blind = alarms().find((a) => String(a.AlarmDescription).includes('probes could not run'));
    expect(blind).toMatchObject({ Threshold: 1, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    const metrics = blind!.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: unknown } }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('SUM([r0, r1])');
    expect(metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric)).toEqual([
      expect.objectContaining({
        MetricName: 'ProbeErrors',
        Dimensions: expect.arrayContaining([{ Name: 'Region', Value: 'us-east-1' }]),
      }),
      expect.objectContaining({
        MetricName: 'ProbeErrors',
        Dimensions: expect.arrayContaining([{ Name: 'Region', Value: 'us-west-2' }]),
      }),
    ]);
  });

  test('twelve alarms for one bot in two regions (the notification test among them)', () => {
    expect(alarms()).toHaveLength(12);
  });
});

describe('dashboard', () => {
  const body = () =>
    flat(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);

  test('shows the health-check metrics', () => {
    for (const m of ['ActiveRegionIndex', 'ProbeSuccess', 'ProbeLatency', 'RegionChanges', 'NoHealthyRegion'])
      expect(body()).toContain(`"${m}"`);
    for (const m of [
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'Invocations',
      'Errors',
      'Duration',
    ])
      expect(body()).toContain(`"${m}"`);
  });

  test('shows Lex V2 runtime metrics with V2 dimensions, one widget set per region', () => {
    const b = body();
    for (const m of ['RuntimeRequestCount', 'RuntimeSystemErrors', 'RuntimeThrottledEvents', 'RuntimeRequestLatency'])
      expect(b).toContain(`"AWS/Lex","${m}","BotAliasId"`);
    for (const d of ['"BotAliasId"', '"LocaleId","en_US"', '"Operation","RecognizeText"', '"Operation","PutSession"'])
      expect(b).toContain(d);
    for (const region of ['us-east-1', 'us-west-2'])
      expect(b).toContain(`"title":"Lex V2 ${region}: RuntimeRequestCount (Sum)","region":"${region}"`);
    expect(b).toContain('"BotId","<ExportsReader'); // the us-west-2 bot's ID, read across regions
    expect(b).not.toContain('"BotName"'); // V1 dimension
  });
});

describe('outputs and Connect', () => {
  test('outputs the state machine, a drill link, tables, lookup, dashboard and topic', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const o of [
      'StateMachineArn',
      'StartDrillConsoleUrl',
      'TableName',
      'HistoryTableName',
      'LookupFunctionArn',
      'DashboardUrl',
      'AlarmTopicArn',
    ])
      expect(outputs[o]).toBeDefined();
    const smId = logicalId(template, 'AWS::StepFunctions::StateMachine', 'WorkflowStateMachine');
    expect(flat(outputs.StartDrillConsoleUrl!.Value)).toBe(
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/statemachines/view/<Ref:${smId}>`,
    );
  });

  test('without connectInstanceArn nothing is wired into Connect', () => {
    expect(template.findResources('AWS::Connect::IntegrationAssociation')).toEqual({});
    expect(template.findResources('AWS::Connect::ContactFlow')).toEqual({});
    expect(
      Object.values(template.findResources('AWS::Lambda::Permission')).filter(
        (p) => p.Properties.Principal === 'connect.amazonaws.com',
      ),
    ).toEqual([]);
  });
});
