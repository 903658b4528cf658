/**
 * The health-check stack's outputs, and what it wires into Amazon Connect (nothing, without an instance).
 */
import { template } from './health-check-fixture';
import { flat, logicalId } from './template-helpers';

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
