/**
 * The game days (infra/constructs/game-days.ts) on a real health-check stack, wired as the stack wires them: one FIS
 * experiment template per FIS experiment of core/game-days.ts with its duration, stop conditions on lexdr's own alarms,
 * description and tags; the FIS extension on the target functions; a least-privilege experiment role; a configuration
 * bucket that cdk-nag passes and that a failed first create removes.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { GameDays, extensionLayerParameter } from '../../infra/constructs/game-days';
import { GAME_DAY_TAGS, fisGameDays, gameDay, isoDuration, templateDescription } from '../../core/game-days';
import { auditAssembly } from './wiring-audit';
import { describeEdge } from './wiring-edge';

const config = parseConfig({ connectRegion: 'us-east-1', regions: ['us-east-1', 'us-west-2'], gameDays: true });
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const { healthCheck } = buildApp(config, { app, account: '111111111111', nag: false });
const gameDays = healthCheck.lexdr.gameDays!;
const template = Template.fromStack(healthCheck);
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const idOf = (type: string, prefix: string) =>
  Object.keys(resources).find((k) => resources[k]!.Type === type && k.startsWith(prefix))!;
const templates = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::FIS::ExperimentTemplate');
const tagged = (name: string) =>
  templates.find(([, r]) => (r.Properties.Tags as Record<string, string>)[GAME_DAY_TAGS.experiment] === name)!;

describe('experiment templates', () => {
  test('one per FIS experiment, each tagged with its stable name and the Connect region; none for the drill', () => {
    const names = templates.map(([, r]) => (r.Properties.Tags as Record<string, string>)[GAME_DAY_TAGS.experiment]);
    expect(names.sort()).toEqual(['lookup-slow', 'probe-function-fails', 'probe-function-slow']);
    for (const [, r] of templates)
      expect(r.Properties.Tags).toMatchObject({ [GAME_DAY_TAGS.connectRegion]: 'us-east-1' });
  });

  test('probe-function-fails: invocation-error on every probe invocation, without running it, for 5 minutes', () => {
    const [, r] = tagged('probe-function-fails');
    const probeId = idOf('AWS::Lambda::Function', 'ProbeFunction');
    expect(r.Properties).toMatchObject({
      Description: templateDescription(gameDay('probe-function-fails')),
      Targets: {
        Function: {
          ResourceType: 'aws:lambda:function',
          ResourceArns: [{ 'Fn::GetAtt': [probeId, 'Arn'] }],
          SelectionMode: 'ALL',
        },
      },
      Actions: {
        ProbeError: {
          ActionId: 'aws:lambda:invocation-error',
          Parameters: { duration: 'PT5M', invocationPercentage: '100', preventExecution: 'true' },
          Targets: { Functions: 'Function' },
        },
      },
      ExperimentOptions: { AccountTargeting: 'single-account', EmptyTargetResolutionMode: 'fail' },
    });
    expect(r.Properties.Description).toContain('alarm HealthCheckBlind goes to ALARM');
  });

  test("lookup-slow delays the lookup past the flow's 3 s limit; probe-function-slow delays the probe within its timeout", () => {
    expect(tagged('lookup-slow')[1].Properties.Actions).toEqual({
      LookupDelay: expect.objectContaining({
        ActionId: 'aws:lambda:invocation-add-delay',
        Parameters: { duration: 'PT3M', invocationPercentage: '100', startupDelayMilliseconds: '4000' },
      }),
    });
    expect(tagged('probe-function-slow')[1].Properties.Actions).toEqual({
      ProbeDelay: expect.objectContaining({
        Parameters: { duration: 'PT5M', invocationPercentage: '100', startupDelayMilliseconds: '3000' },
      }),
    });
    const lookupId = idOf('AWS::Lambda::Function', 'LookupFunction');
    expect(tagged('lookup-slow')[1].Properties.Targets).toMatchObject({
      Function: { ResourceArns: [{ 'Fn::GetAtt': [lookupId, 'Arn'] }] },
    });
  });

  test.each(fisGameDays().map((g) => [g.name, g] as const))(
    '%s stops on exactly its alarms, each an aws:cloudwatch:alarm of this stack, and tags their names',
    (name, g) => {
      const [, r] = tagged(name);
      const alarmIds = g.stopOn.map((a) => idOf('AWS::CloudWatch::Alarm', `Alarms${a}`));
      expect(alarmIds.every(Boolean)).toBe(true);
      expect(r.Properties.StopConditions).toEqual(
        alarmIds.map((id) => ({ Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': [id, 'Arn'] } })),
      );
      for (const [a, id] of g.stopOn.map((x, i) => [x, alarmIds[i]] as const))
        expect((r.Properties.Tags as Record<string, unknown>)[GAME_DAY_TAGS.alarm(a)]).toEqual({ Ref: id });
      expect((r.Properties.Description as string).length).toBeLessThanOrEqual(512);
      expect(isoDuration(g.durationSeconds)).toMatch(/^PT\d+M$/);
    },
  );
});

describe('the FIS extension and its configuration bucket', () => {
  const bucketId = idOf('AWS::S3::Bucket', 'GameDaysConfigBucket');
  const location = (folder: string) => ({
    'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/fis/${folder}/`]],
  });

  test.each([
    ['ProbeFunction', 'probe'],
    ['LookupFunction', 'lookup'],
  ])('%s gets the arm64 layer from the public SSM parameter, the wrapper and its own folder', (prefix, folder) => {
    const fn = resources[idOf('AWS::Lambda::Function', prefix)]!.Properties;
    expect(fn.Architectures).toEqual(['arm64']);
    const vars = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars.AWS_LAMBDA_EXEC_WRAPPER).toBe('/opt/aws-fis/bootstrap');
    expect(vars.AWS_FIS_CONFIGURATION_LOCATION).toEqual(location(folder));
    const [layer] = fn.Layers as { Ref: string }[];
    const parameters = template.toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    expect(parameters[layer!.Ref]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: extensionLayerParameter('arm64'),
    });
  });

  test('each function may list and read its own folder only', () => {
    for (const [prefix, folder] of [
      ['ProbeRole', 'probe'],
      ['LookupRole', 'lookup'],
    ] as const) {
      const role = idOf('AWS::IAM::Role', prefix);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: role }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'ListFaultConfigurations',
              Effect: 'Allow',
              Action: 's3:ListBucket',
              Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
              Condition: { StringLike: { 's3:prefix': [`fis/${folder}/*`] } },
            },
            {
              Sid: 'ReadFaultConfigurations',
              Effect: 'Allow',
              Action: 's3:GetObject',
              Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/fis/${folder}/*`]] },
            },
          ]),
        },
      });
    }
  });

  test('the bucket is encrypted, private, SSL-only, expires what FIS leaves, and is not kept by a failed create', () => {
    const b = resources[bucketId]!;
    expect(b.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 1, Status: 'Enabled' }] },
    });
    expect(b.Properties.BucketName).toBeUndefined();
    expect((b as { DeletionPolicy?: string }).DeletionPolicy).toBe('Delete');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('the experiment role', () => {
  const roleId = idOf('AWS::IAM::Role', 'GameDaysExperimentRole');
  const bucketId = idOf('AWS::S3::Bucket', 'GameDaysConfigBucket');

  test('trusts FIS only for experiments of this account and region', () => {
    expect(resources[roleId]!.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'fis.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '111111111111' },
            ArnLike: { 'aws:SourceArn': 'arn:aws:fis:us-east-1:111111111111:experiment/*' },
          },
        },
      ],
    });
  });

  test('may write the two folders, inspect the two target functions, and resolve targets — nothing else', () => {
    const policy = Object.values(resources).find(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
    )!;
    const arn = { 'Fn::GetAtt': [bucketId, 'Arn'] };
    expect((policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Sid: 'WriteFaultConfigurations',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:PutObject'],
        Resource: [{ 'Fn::Join': ['', [arn, '/fis/lookup/*']] }, { 'Fn::Join': ['', [arn, '/fis/probe/*']] }],
      },
      {
        Sid: 'InspectTargetFunctions',
        Effect: 'Allow',
        Action: 'lambda:GetFunction',
        Resource: [
          { 'Fn::GetAtt': [idOf('AWS::Lambda::Function', 'LookupFunction'), 'Arn'] },
          { 'Fn::GetAtt': [idOf('AWS::Lambda::Function', 'ProbeFunction'), 'Arn'] },
        ],
      },
      { Sid: 'ResolveTargets', Effect: 'Allow', Action: 'tag:GetResources', Resource: '*' },
    ]);
    expect(Object.keys(gameDays.templates).sort()).toEqual([
      'lookup-slow',
      'probe-function-fails',
      'probe-function-slow',
    ]);
  });
});

test('cdk-nag passes the stack with the game days: every finding fixed or acknowledged with its reason', () => {
  const report = new AwsSolutionsChecks().validateScope(healthCheck);
  expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
    [],
  );
});

test('the wiring audit finds every FIS edge allowed on both sides', () => {
  const report = auditAssembly(app.synth());
  const fis = report.edges.filter((e) => e.kind === 'fis→lambda' || e.kind === 'fis→cloudwatch');
  expect(report.counts['fis→lambda']).toBe(3);
  expect(report.counts['fis→cloudwatch']).toBe(fisGameDays().reduce((n, g) => n + g.stopOn.length, 0));
  expect(fis.filter((e) => !e.caller.ok || !e.callee.ok).map(describeEdge)).toEqual([]);
  expect(report.unhandled).toEqual([]);
});

describe('the check can fail', () => {
  test('a function without the extension is a broken fis→lambda edge', () => {
    const a = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const built = buildApp(config, { app: a, account: '111111111111', nag: false });
    // What a later change could do: the wrapper that starts the extension dropped from the lookup.
    built.healthCheck.lookup.function.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', '/opt/other');
    const broken = auditAssembly(a.synth()).broken.filter((e) => e.kind === 'fis→lambda');
    expect(broken.map((e) => e.callee.detail)).toEqual([
      expect.stringContaining('AWS_LAMBDA_EXEC_WRAPPER is "/opt/other"'),
    ]);
  });

  test('an extension layer ARN that is not one is refused at synth, naming the value', () => {
    const s = new Stack(new App(), 'S');
    const fn = new lambda.Function(s, 'F', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    const alarm = { alarmArn: 'arn:aws:cloudwatch:us-east-1:1:alarm:a', alarmName: 'a' } as never;
    const alarms = {
      noHealthyRegion: alarm,
      notOnPrimary: alarm,
      healthCheckNotRunning: alarm,
      healthCheckBlind: alarm,
      lookupErrors: alarm,
    };
    expect(
      () =>
        new GameDays(s, 'G', {
          probeFunction: fn,
          lookupFunction: fn,
          alarms,
          connectRegion: 'us-east-1',
          extensionLayerArn: 'AWS-FIS-extension-arm64',
        }),
    ).toThrow('extensionLayerArn "AWS-FIS-extension-arm64" is not a Lambda layer version ARN');
  });
});
