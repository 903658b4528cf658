/**
 * `lexdr preflight` against endpoints that speak the real AWS APIs, reached the way the AWS SDKs route a service to a
 * custom endpoint (`AWS_ENDPOINT_URL_<SERVICE>`): moto's server for CloudFormation, SSM (the CDK bootstrap version),
 * SNS, KMS and STS; the local Lambda (account settings, function concurrency), Amazon Connect (instances and their
 * bots) and Lex V2 model-building endpoints for what moto does not serve. Each failing check is shown with its fix.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { PutFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, SNSClient, SetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import type { LexdrConfigInput } from '../../infra/config';
import { LAMBDA_CONCURRENCY_QUOTA_CODE } from '../../core/aws-limits';
import type { LocalConnectApi } from '../../local/aws/connect-api';
import { startLocalConnectApi } from '../../local/aws/connect-api';
import type { LocalLambdaApi } from '../../local/aws/lambda-api';
import { startLocalLambdaApi } from '../../local/aws/lambda-api';
import type { LocalLexModelsApi } from '../../local/aws/lex-models-api';
import { startLocalLexModelsApi } from '../../local/aws/lex-models-api';
import { alarmTopicStatement, enforceSslStatement, policyDocument } from '../topic-policy-fixture';
import { runLexdr } from './cli-harness';
import type { Moto } from './moto';
import { awsEndpoints, startMoto } from './moto';

jest.setTimeout(120_000);

const ACCOUNT = '123456789012'; // moto's account
const PARAM = '/cdk-bootstrap/hnb659fds/version';
const INSTANCE_ID = '6f1c2a44-0b7e-4c55-9d2e-1a2b3c4d5e6f';
const INSTANCE_ARN = `arn:aws:connect:us-east-1:${ACCOUNT}:instance/${INSTANCE_ID}`;
const OTHER_ALIAS = `arn:aws:lex:us-east-1:${ACCOUNT}:bot-alias/OTHERBOT01/OTHERALIAS`;
const TOPIC = 'lexdr-alarms';
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:${TOPIC}`;

/** The policy CDK's `enforceSSL` writes, with the statement that lets CloudWatch alarms publish. */
const ssl = enforceSslStatement(TOPIC_ARN);
const allow = alarmTopicStatement(TOPIC_ARN, ACCOUNT);
const cloudwatchAllow = {
  ...allow,
  Condition: { ...allow.Condition, ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*` } },
};

const BASE: LexdrConfigInput = {
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  bots: [{ name: 'OrderFlowers', source: 'code' }],
  connectInstanceArn: INSTANCE_ARN,
  alarmTopicArn: TOPIC_ARN,
};

let moto: Moto;
let lambda: LocalLambdaApi;
let connect: LocalConnectApi;
let lexModels: LocalLexModelsApi;
let dir: string;
let env: Record<string, string>;
let restore: () => void;
const at = (region: string) => ({
  region,
  maxAttempts: 1,
  endpoint: moto.url,
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
});

/** A cdk.json with the project's feature flags and this `lexdr` config. */
function cdkJson(name: string, lexdr: LexdrConfigInput): string {
  const project = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const file = join(dir, `${name}.cdk.json`);
  writeFileSync(file, JSON.stringify({ app: 'npx tsx infra/app.ts', context: { ...project.context, lexdr } }));
  return file;
}

async function bootstrap(region: string, version: string | undefined): Promise<void> {
  const ssm = new SSMClient(at(region));
  if (version === undefined) await ssm.send(new DeleteParameterCommand({ Name: PARAM })).catch(() => undefined);
  else await ssm.send(new PutParameterCommand({ Name: PARAM, Value: version, Type: 'String', Overwrite: true }));
  ssm.destroy();
}

async function topicPolicy(p: string): Promise<void> {
  const sns = new SNSClient(at('us-east-1'));
  await sns.send(new SetTopicAttributesCommand({ TopicArn: TOPIC_ARN, AttributeName: 'Policy', AttributeValue: p }));
  sns.destroy();
}

async function preflight(file: string, ...args: string[]) {
  return runLexdr(['preflight', '--cdk-json', file, ...args], env, dir);
}

/** The report's lines with a given symbol. */
const lines = (out: string, symbol: string) =>
  out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(symbol));

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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lexdr-preflight-'));
  [moto, lambda, connect, lexModels] = await Promise.all([
    startMoto(),
    startLocalLambdaApi({ regions: { 'us-east-1': { concurrency: 1000 }, 'us-west-2': { concurrency: 1000 } } }),
    startLocalConnectApi({
      instances: { 'us-east-1': [{ id: INSTANCE_ID, alias: 'flowers', lexV2Bots: [OTHER_ALIAS] }] },
    }),
    startLocalLexModelsApi(),
  ]);
  ({ env, restore } = awsEndpoints({
    CLOUDFORMATION: moto.url,
    SSM: moto.url,
    SNS: moto.url,
    KMS: moto.url,
    STS: moto.url,
    LAMBDA: lambda.url,
    CONNECT: connect.url,
    LEX_MODELS_V2: lexModels.url,
  }));
  const sns = new SNSClient(at('us-east-1'));
  await sns.send(new CreateTopicCommand({ Name: TOPIC }));
  sns.destroy();
  MIN = cdkBootstrapMinimum();
});

afterAll(async () => {
  restore?.();
  await Promise.all([moto?.close(), lambda?.close(), connect?.close(), lexModels?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  // A ready account: bootstrapped everywhere, a roomy quota, a topic CloudWatch may publish to.
  await Promise.all([
    bootstrap('us-east-1', '30'),
    bootstrap('us-west-2', '30'),
    topicPolicy(policyDocument(ssl, cloudwatchAllow)),
  ]);
  lambda.region('us-east-1').concurrency = 1000;
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
      '! Lexdr-Connect-us-east-1: connectInstanceArn is set but agentQueueArn is not: the lookup and bots are associated with the instance, the contact flows are not created.',
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

  it("accepts a bot name that is this app's own bot (its bot stack's BotId), and no other", async () => {
    const ours = lexModels.addBot('us-east-1', { botName: 'lexdr-OrderFlowers' });
    const cfn = new CloudFormationClient(at('us-east-1'));
    await cfn.send(
      new CreateStackCommand({
        StackName: 'Lexdr-Bot-OrderFlowers-us-east-1',
        TemplateBody: JSON.stringify({
          Resources: {
            Marker: {
              Type: 'AWS::SSM::Parameter',
              Properties: { Name: '/test/bot-stack', Type: 'String', Value: 'x' },
            },
          },
          Outputs: { BotId: { Value: ours.botId } },
        }),
      }),
    );
    try {
      const r = await preflight(cdkJson('ours', BASE));
      expect(r.out).toContain(
        `✓ us-east-1: Lex bot lexdr-OrderFlowers is this app's (bot ${ours.botId}, stack Lexdr-Bot-OrderFlowers-us-east-1): the deploy updates it`,
      );
      expect(r.code).toBe(0);

      // Another prefix: the name is free again, whatever bots the account has.
      const other = await preflight(cdkJson('prefixed', { ...BASE, botNamePrefix: 'lexdr2-' }));
      expect(other.out).toContain('✓ us-east-1: Lex bot name lexdr2-OrderFlowers is free');
    } finally {
      await cfn.send(new DeleteStackCommand({ StackName: 'Lexdr-Bot-OrderFlowers-us-east-1' }));
      cfn.destroy();
      lexModels.removeBot('us-east-1', ours.botId);
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

  it('checks existing bots and Global Resiliency replicas in every region', async () => {
    const existingEast = lexModels.addBot('us-east-1', { botName: 'Support' });
    const existingWest = lexModels.addBot('us-west-2', { botName: 'Support' });
    const gr = lexModels.addBot('us-east-1', { botName: 'Billing', botVersion: '3' });
    const replica = lexModels.replicate('us-east-1', gr.botId, 'us-west-2');
    const ids = (b: typeof gr) => ({ botId: b.botId, botAliasId: b.aliases[0]!.botAliasId });
    const config = (westAlias = ids(existingWest).botAliasId): LexdrConfigInput => ({
      connectRegion: 'us-east-1',
      regions: ['us-east-1', 'us-west-2'],
      bots: [
        {
          name: 'Support',
          source: 'existing',
          ids: { 'us-east-1': ids(existingEast), 'us-west-2': { ...ids(existingWest), botAliasId: westAlias } },
        },
        { name: 'Billing', source: 'global-resiliency', ids: { 'us-east-1': ids(gr) } },
      ],
    });
    // No bot from code: only the Connect region's health-check stack deploys, so only us-east-1 needs bootstrapping.
    await bootstrap('us-west-2', undefined);
    try {
      const ok = await preflight(cdkJson('existing', config()));
      expect(ok.out).toContain('regions us-east-1 (');
      expect(ok.out).toContain(
        `✓ us-west-2: bot Support: ${existingWest.botId} (Support) with alias ${ids(existingWest).botAliasId} (live → version 1)`,
      );
      expect(ok.out).toContain(
        `✓ us-west-2: bot Billing: replica of us-east-1 Enabled, alias ${ids(gr).botAliasId} at version 3 in sync`,
      );
      expect(ok.out).toContain('ℹ no connectInstanceArn');
      expect(ok.out).toContain('ℹ no alarmEmail or alarmTopicArn');
      expect(ok.code).toBe(0);

      // A wrong alias ID in one region, and a replica whose alias still points at an older version.
      replica.aliases[0]!.botVersion = '2';
      const bad = await preflight(cdkJson('existing-bad', config('ZZZZZZZZZZ')));
      expect(lines(bad.out, '✗')).toEqual([
        `✗ us-west-2: bot Support: bot ${existingWest.botId} has no alias ZZZZZZZZZZ here — fix: bots[0].ids.us-west-2 (the bot's and its alias's IDs in us-west-2)`,
        expect.stringMatching(
          new RegExp(
            `^✗ us-west-2: bot Billing: the replica of us-east-1 is out of sync: alias ${ids(gr).botAliasId} points at version 2 here, 3 in us-east-1 — fix: wait for the replication`,
          ),
        ),
      ]);
      expect(bad.code).toBe(1);

      // A replica still being enabled.
      replica.aliases[0]!.botVersion = '3';
      replica.status = 'Enabling';
      const enabling = await preflight(cdkJson('existing-enabling', config()));
      expect(lines(enabling.out, '✗')).toEqual([
        '✗ us-west-2: bot Billing: the replica of us-east-1 is Enabling, not Enabled — fix: wait until the replica is Enabled, then run preflight again',
      ]);

      // No replication at all: the bot exists only where its IDs were given.
      lexModels.removeBot('us-west-2', gr.botId);
      const none = await preflight(cdkJson('existing-none', config()));
      expect(lines(none.out, '✗')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^✗ us-west-2: bot Billing: no bot ${gr.botId} here .* — fix: enable Global Resiliency for bot ${gr.botId}`,
          ),
        ),
      ]);

      // The same IDs in both regions, but no replication between them (two bots that merely share IDs).
      lexModels.removeBot('us-east-1', gr.botId);
      for (const region of ['us-east-1', 'us-west-2'])
        lexModels.addBot(region, {
          botName: 'Billing',
          botId: gr.botId,
          botAliasId: ids(gr).botAliasId,
          botVersion: '3',
        });
      const unreplicated = await preflight(cdkJson('existing-unreplicated', config()));
      expect(lines(unreplicated.out, '✗')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^✗ bot Billing \\(${gr.botId}\\): no region lists a Global Resiliency replica of it — fix: enable Global Resiliency`,
          ),
        ),
      ]);
      lexModels.removeBot('us-west-2', gr.botId);
    } finally {
      for (const [region, b] of [
        ['us-east-1', existingEast],
        ['us-west-2', existingWest],
        ['us-east-1', gr],
      ] as const)
        lexModels.removeBot(region, b.botId);
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
