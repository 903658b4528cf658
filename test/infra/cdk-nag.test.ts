import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';

// One app with everything switched on: bots as code in two regions, Connect wiring with flows, alarm e-mail.
const INSTANCE = 'arn:aws:connect:us-east-1:111111111111:instance/11111111-2222-3333-4444-555555555555';
const config = parseConfig({
  regions: ['us-east-1', 'us-west-2'],
  bots: [{ name: 'OrderFlowers', source: 'code' }],
  connectInstanceArn: INSTANCE,
  agentQueueArn: `${INSTANCE}/queue/66666666-7777-8888-9999-000000000000`,
  alarmEmail: 'oncall@example.com',
});
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const { healthCheck, botStacks, connectStacks } = buildApp(config, { app, account: '111111111111' });
const stacks: Stack[] = [healthCheck, ...botStacks.values(), ...connectStacks.values()];

test.each(stacks.map((s) => [s.stackName, s] as const))('%s has no unacknowledged AwsSolutions finding', (_, stack) => {
  const report = new AwsSolutionsChecks().validateScope(stack);
  const findings = report.violations.map(
    (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
  expect(findings).toEqual([]);
  expect(report.success).toBe(true);
  expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toHaveLength(0);
  expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toHaveLength(0);
});

test('the app synthesizes with the AwsSolutions plugin registered', () => {
  expect(() => app.synth()).not.toThrow();
});

test('the check can fail: a topic that allows plain HTTP publishing is reported', () => {
  const control = new Stack(new App(), 'Control');
  new sns.Topic(control, 'Plain');
  const rules = new AwsSolutionsChecks().validateScope(control).violations.map((v) => v.ruleName);
  expect(rules).toContain('AwsSolutions-SNS3');
});
