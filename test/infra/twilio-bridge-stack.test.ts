/**
 * The optional Twilio bridge stack: Fargate behind an HTTPS ALB with sticky WebSockets, scaling on CPU and
 * new requests, the auth token as an ECS secret, least-privilege Lex and DynamoDB access, cdk-nag clean.
 * The container image is only staged at synth (no Docker build here).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FUNCTION_ENV } from '../../core/contract';
import { DrTables } from '../../infra/constructs/dr-tables';
import type { TwilioBridgeStackProps } from '../../infra/stacks/twilio-bridge-stack';
import { TwilioBridgeStack } from '../../infra/stacks/twilio-bridge-stack';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ConfigError, parseConfig } from '../../infra/config';
import { settingsFor } from '../unit/settings-fixture';
import { TWILIO } from './deploy-configurations';
import { actions, flat, resources, statementsOf } from './template-helpers';

const settings = settingsFor(['us-east-1', 'us-west-2']);
const SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:lexdr/twilio-AbCdEf';
const env = { account: '111111111111', region: 'us-east-1' };
const REPORT_FUNCTION = 'arn:aws:lambda:us-east-1:111111111111:function:lexdr-report';

function build(overrides: Partial<TwilioBridgeStackProps> = {}) {
  const app = new App();
  const shared = new Stack(app, 'Tables', { env });
  const tables = new DrTables(shared, 'Dr', {
    tableName: 'lexDR',
    historyTableName: 'lexDR-history',
    connectRegion: 'us-east-1',
    primaryRegion: 'us-east-1',
  });
  const reportFunction = lambda.Function.fromFunctionArn(shared, 'Report', REPORT_FUNCTION);
  return new TwilioBridgeStack(app, 'TwilioBridge', {
    env,
    settings,
    tables,
    reportFunction,
    certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555',
    domainName: 'voice.example.com',
    authTokenSecretArn: SECRET,
    accountSid: 'AC' + 'a'.repeat(32),
    humanNumber: '+15555550100',
    ...overrides,
  });
}

const stack = build();
const template = Template.fromStack(stack);
const container = () => template.findResources('AWS::ECS::TaskDefinition');
const containerDef = () => Object.values(container())[0]!.Properties.ContainerDefinitions[0];

test('the auth token is an ECS secret from Secrets Manager, never a plain environment value', () => {
  const c = containerDef();
  expect(c.Secrets).toEqual([{ Name: 'TWILIO_AUTH_TOKEN_SECRET', ValueFrom: SECRET }]);
  const names = (c.Environment as { Name: string }[]).map((e) => e.Name);
  expect(names).not.toContain('TWILIO_AUTH_TOKEN');
  expect(names).toEqual(
    expect.arrayContaining(['PUBLIC_BASE_URL', FUNCTION_ENV.table, FUNCTION_ENV.connectRegion, 'HUMAN_NUMBER']),
  );
  expect(c.Environment).toContainEqual({ Name: 'PUBLIC_BASE_URL', Value: 'https://voice.example.com' });
  // The settings are read from the DR table's settings item, as the functions read them: never in the environment.
  expect(c.Environment).toContainEqual({ Name: FUNCTION_ENV.connectRegion, Value: 'us-east-1' });
  expect(flat(c.Environment.find((e: { Name: string }) => e.Name === FUNCTION_ENV.table).Value)).toMatch(
    /<import:Tables:ExportsOutputRefDrTable/,
  );
  expect(names).not.toContain('LEXDR_SETTINGS');
  expect(JSON.stringify(c.Environment)).not.toContain('BOT000000X');
  // Callers' failed turns are reported to lexdr's report function, which the task role may invoke (and nothing else).
  expect(c.Environment).toContainEqual({ Name: 'LEXDR_REPORT_FUNCTION', Value: REPORT_FUNCTION });
  const invoke = statementsOf(template, 'TaskTaskRole').filter((s) => actions(s).includes('lambda:InvokeFunction'));
  expect(invoke.map((s) => [s.Sid, resources(s)])).toEqual([['ReportCallerFailures', [REPORT_FUNCTION]]]);
  // Calls talk StartConversation, so callers hear the fulfillment progress responses.
  expect(c.Environment).toContainEqual({ Name: 'LEX_API', Value: 'stream' });
  expect(c.StopTimeout).toBe(110);
  // The image is the staged twilio/Dockerfile (an asset: built on deploy, not at synth).
  expect(flat(c.Image)).toMatch(/cdk-hnb659fds-container-assets/);
});

describe('the auth token secret: its complete ARN, read by the execution role only', () => {
  const secretStatements = (t: Template, rolePrefix: string) =>
    statementsOf(t, rolePrefix).filter((s) => actions(s).some((a) => a.startsWith('secretsmanager:')));

  test('the execution role (ECS injects secrets through it) may read exactly that ARN, nothing wider', () => {
    const statements = secretStatements(template, 'TaskExecutionRole');
    expect(statements).toHaveLength(1);
    expect(actions(statements[0]!)).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    // The complete ARN as given: no "-??????" suffix wildcard, no "*".
    expect(resources(statements[0]!)).toEqual([SECRET]);
    expect(secretStatements(template, 'TaskTaskRole')).toEqual([]);
    // No KMS grant unless the secret's key is given (the AWS managed key needs none).
    expect(JSON.stringify(template.toJSON())).not.toMatch(/kms:Decrypt/);
  });

  test('a customer-managed key: the execution role may decrypt with it, through Secrets Manager only', () => {
    const KEY = 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555';
    const t = Template.fromStack(build({ authTokenKey: kms.Key.fromKeyArn(new Stack(), 'Key', KEY) }));
    const kmsStatements = statementsOf(t, 'TaskExecutionRole').filter((s) => actions(s).includes('kms:Decrypt'));
    expect(kmsStatements).toHaveLength(1);
    expect(actions(kmsStatements[0]!)).toEqual(['kms:Decrypt']);
    expect(resources(kmsStatements[0]!)).toEqual([KEY]);
    expect(kmsStatements[0]!.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
    });
    expect(resources(secretStatements(t, 'TaskExecutionRole')[0]!)).toEqual([SECRET]);
  });

  test('a partial ARN (no six-character suffix) is refused, by the config and by the stack', () => {
    const partial = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:lexdr/twilio';
    const twilio = { ...TWILIO, authTokenSecretArn: partial };
    expect(() => parseConfig({ twilio })).toThrow(ConfigError);
    expect(() => parseConfig({ twilio })).toThrow(
      /twilio\.authTokenSecretArn: got "arn:aws:secretsmanager:.*:secret:lexdr\/twilio"/,
    );
    expect(() => parseConfig({ twilio: { ...twilio, authTokenSecretArn: SECRET } })).not.toThrow();
    expect(() => build({ authTokenSecretArn: partial })).toThrow(`authTokenSecretArn: got "${partial}"`);
  });
});

test("the task may only recognise on the bot aliases, read its Connect region's DR items and report failures", () => {
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('TaskTaskRole'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Action: unknown; Resource: unknown }[]);
  expect(statements.map((s) => s.Sid).sort()).toEqual(['LexRuntimeOnBotAliases', 'ReadDrItem', 'ReportCallerFailures']);
  const lex = statements.find((s) => s.Sid === 'LexRuntimeOnBotAliases')!;
  // Order-free: @aws-cdk/aws-iam:minimizePolicies (cdk.json) sorts actions.
  expect([lex.Action].flat().sort()).toEqual([
    'lex:PutSession',
    'lex:RecognizeText',
    'lex:RecognizeUtterance',
    'lex:StartConversation',
  ]);
  expect(lex.Resource).toEqual([
    'arn:aws:lex:us-east-1:111111111111:bot-alias/BOT000000X/ALIAS00000',
    'arn:aws:lex:us-west-2:111111111111:bot-alias/BOT000001X/ALIAS00001',
  ]);
  const dr = statements.find((s) => s.Sid === 'ReadDrItem')! as {
    Action: unknown;
    Resource: unknown;
    Condition: unknown;
  };
  expect(dr.Action).toBe('dynamodb:GetItem');
  expect(flat(dr.Resource)).toMatch(/<import:Tables:ExportsOutputFnGetAttDr/);
  // Only its Connect region's lexDR item and settings item: not another Connect region's.
  expect(dr.Condition).toEqual({
    'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1', 'us-east-1#settings'] },
  });
});

test('HTTPS with the certificate; HTTP only redirects; WebSockets stay on their task', () => {
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 443,
    Protocol: 'HTTPS',
    Certificates: [{ CertificateArn: Match.stringLikeRegexp('^arn:aws:acm:') }],
  });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 80,
    DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443' }) })],
  });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
    HealthCheckPath: '/healthz',
    TargetGroupAttributes: Match.arrayWith([{ Key: 'stickiness.enabled', Value: 'true' }]),
  });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
    TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '110' }]),
  });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
    LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '120' }]),
  });
});

test('the load balancer routes only /twiml and /media; /healthz, /metrics and the rest get a fixed 404', () => {
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 443,
    DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '404' }) }],
  });
  const rules = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
  expect(rules).toHaveLength(1);
  const rule = rules[0]!.Properties;
  expect(rule.Conditions).toEqual([{ Field: 'path-pattern', PathPatternConfig: { Values: ['/twiml', '/media'] } }]);
  expect(rule.Actions).toEqual([
    {
      Type: 'forward',
      TargetGroupArn: { Ref: stack.getLogicalId(stack.targetGroup.node.defaultChild as CfnElement) },
    },
  ]);
  expect(JSON.stringify(template.toJSON())).not.toMatch(/"\/(healthz|metrics)\*?"\]/);
  // The target group still checks the task's own /healthz (health checks do not go through listener rules).
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/healthz' });
});

test('the bridge container runs with a read-only root filesystem', () => {
  expect(containerDef().ReadonlyRootFilesystem).toBe(true);
  expect(containerDef().MountPoints ?? []).toEqual([]);
});

test('tasks scale on CPU and on new requests per target', () => {
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
    TargetTrackingScalingPolicyConfiguration: Match.objectLike({
      PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
    }),
  });
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
    TargetTrackingScalingPolicyConfiguration: Match.objectLike({
      TargetValue: 60,
      PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
    }),
  });
});

test('no unacknowledged AwsSolutions finding', () => {
  const report = new AwsSolutionsChecks().validateScope(stack);
  const findings = report.violations.map(
    (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
  expect(findings).toEqual([]);
});

test('bad inputs fail at synth with the value received', () => {
  // The config's schema checks them (its messages: the key, the value received, what is valid).
  expect(() => build({ certificateArn: 'cert-1' })).toThrow(
    /invalid LexDrTwilioBridge props .*\n {2}certificateArn: got "cert-1"/,
  );
  expect(() => build({ humanNumber: '555' })).toThrow('humanNumber: got "555"; an E.164 number');
  expect(() => build({ botName: 'Pizza' })).toThrow('invalid botName "Pizza": must be one of OrderFlowers');
});
