/**
 * `lexdr preflight` on the account: the CDK bootstrap version, the Lambda concurrency quota (a redeploy counting the
 * deployed probe function's own reservation), the Connect instance and its bots, the alarm topic's policy and key —
 * each failing check shown with its fix — and the report as JSON and exit codes. The account is served by moto and
 * the local AWS APIs (cli-preflight-fixture.ts).
 */
import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { PutFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient, SetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { LAMBDA_CONCURRENCY_QUOTA_CODE } from '../../core/aws-limits';
import { policyDocument } from '../topic-policy-fixture';
import {
  ACCOUNT,
  at,
  BASE,
  bootstrap,
  cdkJson,
  INSTANCE_ID,
  lambda,
  lexModels,
  lines,
  OTHER_ALIAS,
  PARAM,
  preflight,
  ssl,
  TOPIC,
  TOPIC_ARN,
  topicPolicy,
  usePreflightAccount,
} from './cli-preflight-fixture';

usePreflightAccount();

/** What aws-cdk-lib's stack synthesizer requires of the bootstrap stack, read from a synthesized template. */
function cdkBootstrapMinimum(): number {
  const app = new App({ builtinCloudFormationValidation: false });
  new Stack(app, 'Probe', { synthesizer: new DefaultStackSynthesizer() });
  const stack = app.synth().getStackByName('Probe');
  const rule = (stack.template as { Rules: Record<string, { Assertions: { Assert: unknown }[] }> }).Rules
    .CheckBootstrapVersion!;
  // { Fn::Not: [ { Fn::Contains: [[ "1", …, "5" ], { Ref: BootstrapVersion }] } ] }: every version below the minimum.
  const refused = (rule.Assertions[0]!.Assert as { 'Fn::Not': [{ 'Fn::Contains': [string[]] }] })['Fn::Not'][0][
    'Fn::Contains'
  ][0].map(Number);
  expect(stack.requiresBootstrapStackVersion).toBe(Math.max(...refused) + 1);
  return stack.requiresBootstrapStackVersion!;
}

let MIN: number;

beforeAll(() => {
  MIN = cdkBootstrapMinimum();
});

describe('lexdr preflight', () => {
  it('passes every check of a ready account, naming what it found', async () => {
    const r = await preflight(cdkJson('ready', BASE));

    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.out, '✗')).toEqual([]);
    expect(r.out).toContain(`account ${ACCOUNT}, regions us-east-1, us-west-2`);
    for (const region of ['us-east-1', 'us-west-2']) {
      expect(r.out).toContain(`✓ ${region}: CDK bootstrap version 30 (this app needs ≥ ${MIN})`);
      expect(r.out).toContain(`✓ ${region}: Lex bot name lexdr-OrderFlowers is free`);
    }
    expect(r.out).toMatch(
      /✓ us-east-1: the probe function can reserve its 6 concurrent executions \(quota 1000, 1000 unreserved/,
    );
    expect(r.out).toContain(`✓ us-east-1: Connect instance flowers (${INSTANCE_ID}) found, ACTIVE`);
    expect(r.out).toContain(
      `ℹ us-east-1: Connect instance flowers has 1 Lex V2 bot alias(es) associated: ${OTHER_ALIAS}`,
    );
    expect(r.out).toContain('the OrderFlowers alias in us-west-2 (created by the deploy)');
    expect(r.out).toMatch(
      /ℹ us-east-1: bot aliases in us-west-2 are in another region than this instance: .*unverified/,
    );
    expect(r.out).toContain(
      `✓ us-east-1: alarm topic ${TOPIC}: its policy lets CloudWatch alarms publish (statement AllowCloudWatchAlarms)`,
    );
    expect(r.out).toContain(
      '! Lexdr-Connect-us-east-1: a Connect instance is given but no agent queue (agentQueueArn, or queue): the lookup, the report function and the bots are associated with the instance, the contact flows are not created.',
    );
    expect(r.out).toContain('Ready: `npx cdk deploy --all`');
  });

  it('fails each unready part with its fix: bootstrap, bot name, concurrency quota, topic policy', async () => {
    await bootstrap('us-east-1', String(MIN - 1));
    await bootstrap('us-west-2', undefined);
    const taken = lexModels.addBot('us-west-2', { botName: 'lexdr-OrderFlowers' });
    lambda.region('us-east-1').concurrency = 10;
    await topicPolicy(policyDocument(ssl));
    try {
      const r = await preflight(cdkJson('unready', BASE));

      expect(r.code).toBe(1);
      expect(r.err).toContain('check(s) failed');
      const failed = lines(r.out, '✗');
      expect(failed).toEqual(
        expect.arrayContaining([
          `✗ us-east-1: CDK bootstrap version ${MIN - 1}; this app needs ≥ ${MIN} — fix: npx cdk bootstrap aws://${ACCOUNT}/us-east-1`,
          `✗ us-west-2: CDK is not bootstrapped (no SSM parameter ${PARAM}) — fix: npx cdk bootstrap aws://${ACCOUNT}/us-west-2`,
          expect.stringMatching(
            new RegExp(
              `^✗ us-west-2: a Lex bot named lexdr-OrderFlowers already exists \\(bot ${taken.botId}\\) and is not this app's.* — fix: set botNamePrefix to a prefix no bot of this account uses \\(now "lexdr-"\\)$`,
            ),
          ),
          expect.stringMatching(
            new RegExp(
              `^✗ us-east-1: the probe function would reserve 6 concurrent executions, but this account can reserve at most 0 here \\(quota 10, 10 unreserved.* — fix: raise the Lambda quota "Concurrent executions" \\(Service Quotas code ${LAMBDA_CONCURRENCY_QUOTA_CODE}\\) to at least 106 and set lambdaConcurrencyQuota to it, or set reserveProbeConcurrency: false$`,
            ),
          ),
          expect.stringMatching(
            /^✗ us-east-1: alarm topic lexdr-alarms: CloudWatch alarms may not publish to it: no statement of the topic policy allows it .* — fix: add this statement to the topic policy of lexdr-alarms .*"Service":"cloudwatch.amazonaws.com".*"sns:Publish"/,
          ),
        ]),
      );
      expect(failed).toHaveLength(5);
      expect(r.out).toContain(
        "! us-east-1: lambdaConcurrencyQuota is 1000 in cdk.json, but the account's quota here is 10 — fix: set lambdaConcurrencyQuota: 10",
      );
      expect(r.out).toContain('✓ us-east-1: Lex bot name lexdr-OrderFlowers is free');
      expect(r.out).toContain('5 problem(s) (✗) to fix before `npx cdk deploy --all`.');
    } finally {
      lexModels.removeBot('us-west-2', taken.botId);
    }
  });

  it("counts the deployed probe function's own reservation on a redeploy", async () => {
    // An account of 106 where the deployed probe function holds 6 of them: a first deploy could not reserve 6 more,
    // a redeploy (the stack and its probe function exist) replaces the same 6.
    const config = parseConfig(BASE);
    const { healthCheck } = buildApp(config, {
      app: new App({
        postCliContext: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:annotationsInValidationReport': false },
        builtinCloudFormationValidation: false,
      }),
      nag: false,
    });
    const resources = Template.fromStack(healthCheck).findResources('AWS::Lambda::Function', {
      Properties: { ReservedConcurrentExecutions: 6 },
    });
    const [probeId] = Object.keys(resources);
    expect(probeId).toBeDefined();
    const fnName = 'Lexdr-HealthCheck-us-east-1-ProbeFunction-AbC123';
    lambda.region('us-east-1').concurrency = 106;
    lambda.region('us-east-1').functions[fnName] = {};
    const client = new LambdaClient({ region: 'us-east-1', endpoint: lambda.url });
    await client.send(new PutFunctionConcurrencyCommand({ FunctionName: fnName, ReservedConcurrentExecutions: 6 }));
    client.destroy();
    const file = cdkJson('redeploy', { ...BASE, lambdaConcurrencyQuota: 106 });
    try {
      const first = await preflight(file);
      expect(lines(first.out, '✗')).toEqual([
        expect.stringMatching(
          /^✗ us-east-1: the probe function would reserve 6 concurrent executions, but this account can reserve at most 0 here \(quota 106, 100 unreserved;/,
        ),
      ]);

      // The deployed stack (moto) holds the probe function under the synthesized logical ID (its physical ID is the
      // function's name; the stand-in resource's type does not matter to the lookup).
      const cfn = new CloudFormationClient(at('us-east-1'));
      await cfn.send(
        new CreateStackCommand({
          StackName: 'Lexdr-HealthCheck-us-east-1',
          TemplateBody: JSON.stringify({
            Resources: {
              [probeId!]: { Type: 'AWS::SSM::Parameter', Properties: { Name: fnName, Type: 'String', Value: 'x' } },
            },
          }),
        }),
      );
      try {
        const redeploy = await preflight(file);
        expect(redeploy.out).toContain(
          '✓ us-east-1: the probe function can reserve its 6 concurrent executions (quota 106, 100 unreserved, 6 of them reserved by the deployed probe function; Lambda keeps 100 unreserved)',
        );
        expect(redeploy.out).not.toContain('lambdaConcurrencyQuota is');
        expect(redeploy.code).toBe(0);
      } finally {
        await cfn.send(new DeleteStackCommand({ StackName: 'Lexdr-HealthCheck-us-east-1' }));
        cfn.destroy();
      }
    } finally {
      delete lambda.region('us-east-1').functions[fnName];
    }
  });

  it('fails a Connect instance that does not exist, and an alarm topic key CloudWatch may not use', async () => {
    const kms = new KMSClient(at('us-east-1'));
    const key = await kms.send(
      new CreateKeyCommand({
        Policy: policyDocument({
          Sid: 'Root',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'kms:*',
          Resource: '*',
        }),
      }),
    );
    const keyId = key.KeyMetadata!.KeyId!;
    const sns = new SNSClient(at('us-east-1'));
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn: TOPIC_ARN, AttributeName: 'KmsMasterKeyId', AttributeValue: keyId }),
    );
    const missing = 'a0000000-0000-4000-8000-000000000000';
    try {
      const r = await preflight(
        cdkJson('connect-kms', {
          ...BASE,
          connectInstanceArn: `arn:aws:connect:us-east-1:${ACCOUNT}:instance/${missing}`,
          alarmEmail: 'oncall@example.com',
        }),
      );
      expect(lines(r.out, '✗')).toEqual([
        `✗ us-east-1: Connect instance ${missing} not found — fix: connectInstanceArn (an instance ARN of this account in us-east-1)`,
        expect.stringMatching(
          new RegExp(
            `^✗ us-east-1: alarm topic lexdr-alarms: key ${keyId} does not let CloudWatch alarms use it \\(kms:Decrypt: no statement of the key policy allows it; kms:GenerateDataKey: .*\\) — fix: add to the policy of key ${keyId}: .*kms:GenerateDataKey\\*`,
          ),
        ),
      ]);
      expect(r.out).toContain('ℹ alarmEmail oncall@example.com: SNS sends a confirmation e-mail');

      // The AWS managed key of SNS: CloudWatch can never use it.
      await sns.send(
        new SetTopicAttributesCommand({
          TopicArn: TOPIC_ARN,
          AttributeName: 'KmsMasterKeyId',
          AttributeValue: 'alias/aws/sns',
        }),
      );
      const managed = await preflight(cdkJson('kms-managed', BASE));
      expect(lines(managed.out, '✗')).toEqual([
        '✗ us-east-1: alarm topic lexdr-alarms is encrypted with the AWS managed key alias/aws/sns, whose policy CloudWatch cannot use — fix: encrypt topic lexdr-alarms with a customer managed key whose policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*',
      ]);
    } finally {
      await sns.send(
        new SetTopicAttributesCommand({ TopicArn: TOPIC_ARN, AttributeName: 'KmsMasterKeyId', AttributeValue: '' }),
      );
      sns.destroy();
      kms.destroy();
    }
  });

  it('prints the report as JSON for scripts', async () => {
    lambda.region('us-east-1').concurrency = 10;
    const r = await preflight(cdkJson('json', BASE), '--json');
    const report = JSON.parse(r.out) as {
      ok: boolean;
      account: string;
      regions: string[];
      checks: { check: string; status: string; region?: string; fix?: string }[];
    };
    expect(report).toMatchObject({ ok: false, account: ACCOUNT, regions: ['us-east-1', 'us-west-2'] });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([
      expect.objectContaining({
        check: 'lambda-concurrency',
        region: 'us-east-1',
        fix: expect.stringContaining('reserveProbeConcurrency: false'),
      }),
    ]);
    expect(r.code).toBe(1);
  });

  it('exits 3 when AWS cannot be reached, and 2 on an invalid cdk.json', async () => {
    const before = process.env.AWS_ENDPOINT_URL_STS;
    process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:9'; // discard port: nothing listens
    try {
      const r = await preflight(cdkJson('unreachable', BASE));
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/STS in us-east-1 .*is not reachable/);
    } finally {
      process.env.AWS_ENDPOINT_URL_STS = before;
    }
    const bad = await preflight(cdkJson('invalid', { ...BASE, regions: ['us-east-1'] }));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('regions: got ["us-east-1"]; at least two regions');
  });
});
