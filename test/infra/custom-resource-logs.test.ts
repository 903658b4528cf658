/**
 * Every Lambda in every lexdr stack — including the custom-resource providers CDK writes itself (the seed's
 * AwsCustomResource singleton, the cross-region export reader and writer) — logs to an explicit log group with
 * a retention, so no log group is created on first run to keep logs forever.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';

const config = parseConfig({
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  bots: [{ name: 'OrderFlowers', source: 'code' }],
  twilio: {
    certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555',
    domainName: 'voice.example.com',
    authTokenSecretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:lexdr/twilio-AbCdEf',
    accountSid: 'AC' + 'a'.repeat(32),
    humanNumber: '+15555550100',
  },
});
const built = buildApp(config, {
  app: new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
  account: '111111111111',
  nag: false,
});
const stacks = [built.healthCheck, ...built.botStacks.values(), built.twilioBridge!];

type Resource = { Type: string; Properties?: Record<string, unknown> };

test.each(stacks.map((s) => [s.stackName, s] as const))(
  '%s: every Lambda logs to a log group with retention',
  (_n, stack) => {
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, fn] of functions) {
      const group = (fn.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
      expect({ id, group }).toEqual({ id, group: expect.any(String) });
      expect(resources[group!]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    }
  },
);

test('the custom-resource providers are among them (seed, cross-region export reader and writer)', () => {
  const handlers = stacks.flatMap((s) =>
    Object.entries(Template.fromStack(s).toJSON().Resources as Record<string, Resource>)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => `${s.stackName}/${id}`),
  );
  expect(handlers).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^Lexdr-HealthCheck-us-east-1\/AWS679f53fac002430cb0da5b7982bd2287/),
      expect.stringMatching(/^Lexdr-HealthCheck-us-east-1\/CustomCrossRegionExportReaderCustomResourceProviderHandler/),
      expect.stringMatching(
        /^Lexdr-Bot-OrderFlowers-us-west-2\/CustomCrossRegionExportWriterCustomResourceProviderHandler/,
      ),
    ]),
  );
});
