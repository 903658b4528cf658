/**
 * The report function in the health-check stack: what it may touch (exactly its report windows, the settings and
 * lexDR items, starting the health check, its metric namespace), how Lambda queues its async invocations, and the
 * output the Connect stack and the Twilio bridge use.
 */
import { fnId, tableId, template } from './health-check-fixture';
import { actions, flat, logicalId, resources, statement, statementsOf } from './template-helpers';

const report = () => template.toJSON().Resources[fnId('ReportFunction')].Properties;

test('Node.js 24 on arm64 with JSON logs to its own log group, bounded at 10 s', () => {
  expect(report()).toMatchObject({
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
    MemorySize: 128,
    Timeout: 10,
    LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(template, 'AWS::Logs::LogGroup', 'ReportLogs') } },
  });
});

test('its environment says where the settings are, which state machine to start and the metric namespace', () => {
  expect(report().Environment.Variables).toEqual({
    POWERTOOLS_SERVICE_NAME: 'lexdr-report',
    TABLE_NAME: { Ref: tableId },
    LEXDR_CONNECT_REGION: 'us-east-1',
    LEXDR_STATE_MACHINE_ARN: { Ref: logicalId(template, 'AWS::StepFunctions::StateMachine', 'Workflow') },
    LEXDR_METRIC_NAMESPACE: 'lexdr-test',
  });
});

test('async invocations older than a minute are dropped, and a failed one is retried once', () => {
  template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
    FunctionName: { Ref: fnId('ReportFunction') },
    MaximumEventAgeInSeconds: 60,
    MaximumRetryAttempts: 1,
    Qualifier: '$LATEST',
  });
});

test('it may keep exactly its report windows, read lexDR and the settings, and nothing else of the table', () => {
  const windows = statement(template, 'ReportRole', 'KeepReportWindows');
  expect(actions(windows)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
  expect(windows.Condition).toEqual({
    'ForAllValues:StringEquals': {
      'dynamodb:LeadingKeys': ['us-east-1#reports#us-east-1', 'us-east-1#reports#us-west-2'],
    },
  });
  const read = statement(template, 'ReportRole', 'ReadDrAndSettingsItems');
  expect(actions(read)).toEqual(['dynamodb:GetItem']);
  expect(read.Condition).toEqual({
    'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1', 'us-east-1#settings'] },
  });
});

test('it may start the health-check state machine (that one only) and publish metrics in its namespace only', () => {
  const sids = statementsOf(template, 'ReportRole').map((s) => s.Sid ?? actions(s).join());
  expect(sids).toEqual(expect.arrayContaining(['KeepReportWindows', 'ReadDrAndSettingsItems', 'PublishReportMetrics']));
  const start = statementsOf(template, 'ReportRole').find((s) => actions(s).includes('states:StartExecution'))!;
  expect(actions(start)).toEqual(['states:StartExecution']);
  expect(resources(start)).toEqual([
    flat({ Ref: logicalId(template, 'AWS::StepFunctions::StateMachine', 'Workflow') }),
  ]);
  const metrics = statement(template, 'ReportRole', 'PublishReportMetrics');
  expect(actions(metrics)).toEqual(['cloudwatch:PutMetricData']);
  expect(metrics.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'lexdr-test' } });
});

test('its ARN is a stack output', () => {
  expect(template.toJSON().Outputs.ReportFunctionArn.Value).toEqual({
    'Fn::GetAtt': [fnId('ReportFunction'), 'Arn'],
  });
});
