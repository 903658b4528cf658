/**
 * The health-check stack's state machine (the ASL file, its substitutions, its role) and the schedule that starts it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { aslTokens, checkSubstitutions } from '../../infra/constructs/health-check-workflow';
import { fnId, historyId, tableId, template } from './health-check-fixture';
import { actions, flat, logicalId, resources, statement, statementsOf } from './template-helpers';

const ASL = readFileSync(join(__dirname, '..', '..', 'statemachine', 'health-check.asl.json'), 'utf8');

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
