/**
 * A failed first deploy can be retried without manual cleanup. When the create of a stack fails, CloudFormation rolls
 * it back and deletes what it had created — except resources whose DeletionPolicy is `Retain` (or `Snapshot`), and
 * resources it cannot delete (a DynamoDB table with deletion protection). A retry then creates every resource again:
 * one with a fixed physical name that survived the rollback fails with "already exists". `RetainExceptOnCreate`
 * (CDK `RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE`) keeps data on delete and replacement and still cleans up a failed
 * create ("Delete policy" and "RetainExceptOnCreate", CloudFormation User Guide).
 *
 * This file walks the synthesized templates of several configurations: every resource type is classified (named by a
 * property, or named by CloudFormation), and the rollback of a first create that fails at its end is played
 * by those rules; the retry must find nothing in its way.
 */
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import type { LexdrConfigInput } from '../../infra/config';
import { TWILIO } from './deploy-configurations';

/** The property that fixes a resource's physical name, by type: a second create with the same value collides. */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Lex::Bot': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SSM::Parameter': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::Connect::ContactFlow': 'Name',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::ECS::Cluster': 'ClusterName',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'Name',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Name',
  'AWS::S3::Bucket': 'BucketName',
};

/** Types whose physical name CloudFormation or the service generates, or that are parts of another resource. */
const GENERATED_NAME = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Policy',
  'AWS::KMS::Key',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Version',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::FIS::ExperimentTemplate',
  'AWS::Lex::BotVersion',
  'AWS::Lex::BotAlias',
  'AWS::Connect::IntegrationAssociation',
  'AWS::S3::BucketPolicy',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::RouteTable',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::Route',
  'AWS::EC2::EIP',
  'AWS::EC2::NatGateway',
  'AWS::EC2::InternetGateway',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::EC2::FlowLog',
  'AWS::ECS::TaskDefinition',
  'AWS::ECS::Service',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ApplicationAutoScaling::ScalableTarget',
  'AWS::ApplicationAutoScaling::ScalingPolicy',
  'AWS::Custom::CrossRegionExportReader',
]);

/** A custom resource (`Custom::…`) is a call made on create; it owns no name of its own. */
const isCustom = (type: string) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
}

/**
 * What is left of a first create that failed at its very end (every resource of the template created, then one more
 * step failed — a resource of a later change, a custom resource) and rolled back, and why each survived.
 */
function survivorsOfFailedCreate(resources: Record<string, Resource>): { id: string; why: string }[] {
  return Object.entries(resources).flatMap(([id, r]) => {
    if (r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'Snapshot')
      return [{ id, why: `DeletionPolicy ${r.DeletionPolicy}` }];
    if (r.Properties?.DeletionProtectionEnabled === true)
      return [{ id, why: 'deletion protection: the rollback cannot delete it' }];
    return [];
  });
}

/** The survivors a retry collides with: those whose physical name the template fixes. */
function collisions(resources: Record<string, Resource>): string[] {
  return survivorsOfFailedCreate(resources)
    .filter(({ id }) => {
      const r = resources[id]!;
      const key = NAME_PROPERTY[r.Type];
      return key !== undefined && r.Properties?.[key] !== undefined;
    })
    .map(
      ({ id, why }) =>
        `${id} (${resources[id]!.Type} named ${JSON.stringify(resources[id]!.Properties![NAME_PROPERTY[resources[id]!.Type]!])}): ${why}`,
    );
}

const INSTANCE = 'arn:aws:connect:us-east-1:111111111111:instance/11111111-2222-3333-4444-555555555555';
const CONFIGS: Record<string, LexdrConfigInput> = {
  default: {},
  'Connect instance, queue and alarm e-mail': {
    connectInstanceArn: INSTANCE,
    agentQueueArn: `${INSTANCE}/queue/66666666-7777-8888-9999-000000000000`,
    alarmEmail: 'oncall@example.com',
  },
  Twilio: { twilio: TWILIO },
  'game days': { gameDays: true },
};

/** Every template of a configuration's app, by stack name. */
function templates(input: LexdrConfigInput): Record<string, Record<string, Resource>> {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  buildApp(parseConfig(input), { app, account: '111111111111', nag: false });
  const assembly = app.synth();
  return Object.fromEntries(
    assembly.stacks.map((s) => [s.stackName, (s.template as { Resources: Record<string, Resource> }).Resources]),
  );
}

describe.each(Object.entries(CONFIGS))('%s', (_, input) => {
  const stacks = templates(input);

  test('every resource type is classified: named by a property, or named by CloudFormation', () => {
    const types = new Set(Object.values(stacks).flatMap((r) => Object.values(r).map((x) => x.Type)));
    const unknown = [...types].filter((t) => !(t in NAME_PROPERTY) && !GENERATED_NAME.has(t) && !isCustom(t));
    expect(unknown).toEqual([]);
  });

  test.each(Object.keys(stacks))('%s: a first create that fails at its end can be retried', (name) => {
    expect(collisions(stacks[name]!)).toEqual([]);
  });
});

test('the DR tables stay on stack deletion and replacement, but not after a failed first create', () => {
  const stacks = templates({});
  const tables = Object.values(stacks['Lexdr-HealthCheck-us-east-1']!).filter((r) => r.Type === 'AWS::DynamoDB::Table');
  expect(tables.map((t) => t.Properties?.TableName).sort()).toEqual(['lexDR', 'lexDR-history']);
  for (const t of tables) {
    expect(t.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect((t as { UpdateReplacePolicy?: string }).UpdateReplacePolicy).toBe('Retain');
  }
});

test('deletion protection, once turned on after the first deploy, is on both tables', () => {
  const stacks = templates({ tableDeletionProtection: true });
  const tables = Object.values(stacks['Lexdr-HealthCheck-us-east-1']!).filter((r) => r.Type === 'AWS::DynamoDB::Table');
  expect(tables.map((t) => t.Properties?.DeletionProtectionEnabled)).toEqual([true, true]);
});

test('the check can fail: a retained, named table (or a protected one) survives the rollback and blocks the retry', () => {
  const table = (extra: Partial<Resource>, props: Record<string, unknown> = {}): Resource => ({
    Type: 'AWS::DynamoDB::Table',
    Properties: { TableName: 'lexDR', ...props },
    ...extra,
  });
  const failing: Resource = { Type: 'AWS::SSM::Parameter', Properties: {} };
  expect(collisions({ Table: table({ DeletionPolicy: 'Retain' }), Last: failing })).toEqual([
    'Table (AWS::DynamoDB::Table named "lexDR"): DeletionPolicy Retain',
  ]);
  expect(
    collisions({
      Table: table({ DeletionPolicy: 'RetainExceptOnCreate' }, { DeletionProtectionEnabled: true }),
      Last: failing,
    }),
  ).toEqual(['Table (AWS::DynamoDB::Table named "lexDR"): deletion protection: the rollback cannot delete it']);
  expect(collisions({ Table: table({ DeletionPolicy: 'RetainExceptOnCreate' }), Last: failing })).toEqual([]);
  // A retained resource without a fixed name is left behind but does not block the retry.
  expect(collisions({ Key: { Type: 'AWS::KMS::Key', DeletionPolicy: 'Retain' }, Last: failing })).toEqual([]);
});
