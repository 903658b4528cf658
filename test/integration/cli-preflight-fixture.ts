/**
 * What the `lexdr preflight` suites share: an account behind endpoints that speak the real AWS APIs, reached the way
 * the AWS SDKs route a service to a custom endpoint (`AWS_ENDPOINT_URL_<SERVICE>`) — moto's server for
 * CloudFormation, SSM, SNS, KMS and STS; the local Lambda, Amazon Connect and Lex V2 model-building endpoints for what
 * moto does not serve — made ready before each test (bootstrapped, a roomy quota, an alarm topic CloudWatch may
 * publish to); a cdk.json writer and the preflight run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand, SNSClient, SetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { LexdrConfigInput } from '../../infra/config';
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

export const ACCOUNT = '123456789012'; // moto's account
export const PARAM = '/cdk-bootstrap/hnb659fds/version';
export const INSTANCE_ID = '6f1c2a44-0b7e-4c55-9d2e-1a2b3c4d5e6f';
const INSTANCE_ARN = `arn:aws:connect:us-east-1:${ACCOUNT}:instance/${INSTANCE_ID}`;
export const OTHER_ALIAS = `arn:aws:lex:us-east-1:${ACCOUNT}:bot-alias/OTHERBOT01/OTHERALIAS`;
export const TOPIC = 'lexdr-alarms';
export const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:${TOPIC}`;

/** The policy CDK's `enforceSSL` writes, with the statement that lets CloudWatch alarms publish. */
export const ssl = enforceSslStatement(TOPIC_ARN);
const allow = alarmTopicStatement(TOPIC_ARN, ACCOUNT);
const cloudwatchAllow = {
  ...allow,
  Condition: { ...allow.Condition, ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*` } },
};

export const BASE: LexdrConfigInput = {
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  bots: [{ name: 'OrderFlowers', source: 'code' }],
  connectInstanceArn: INSTANCE_ARN,
  alarmTopicArn: TOPIC_ARN,
};

// Set by the hooks `usePreflightAccount` registers; the suites read them as live bindings.
let moto: Moto;
export let lambda: LocalLambdaApi;
let connect: LocalConnectApi;
export let lexModels: LocalLexModelsApi;
let dir: string;
let env: Record<string, string>;
let restore: () => void;

/** SDK client settings for moto in `region`. */
export const at = (region: string) => ({
  region,
  maxAttempts: 1,
  endpoint: moto.url,
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
});

/** A cdk.json with the project's feature flags and this `lexdr` config. */
export function cdkJson(name: string, lexdr: LexdrConfigInput): string {
  const project = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const file = join(dir, `${name}.cdk.json`);
  writeFileSync(file, JSON.stringify({ app: 'npx tsx infra/app.ts', context: { ...project.context, lexdr } }));
  return file;
}

export async function bootstrap(region: string, version: string | undefined): Promise<void> {
  const ssm = new SSMClient(at(region));
  if (version === undefined) await ssm.send(new DeleteParameterCommand({ Name: PARAM })).catch(() => undefined);
  else await ssm.send(new PutParameterCommand({ Name: PARAM, Value: version, Type: 'String', Overwrite: true }));
  ssm.destroy();
}

export async function topicPolicy(p: string): Promise<void> {
  const sns = new SNSClient(at('us-east-1'));
  await sns.send(new SetTopicAttributesCommand({ TopicArn: TOPIC_ARN, AttributeName: 'Policy', AttributeValue: p }));
  sns.destroy();
}

export async function preflight(file: string, ...args: string[]) {
  return runLexdr(['preflight', '--cdk-json', file, ...args], env, dir);
}

/** The report's lines with a given symbol. */
export const lines = (out: string, symbol: string) =>
  out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(symbol));

/**
 * Registers the suite's hooks: start moto and the local Lambda, Connect and Lex model-building APIs, point the AWS SDKs
 * at them and create the alarm topic; before each test, make the account ready again.
 */
export function usePreflightAccount(): void {
  jest.setTimeout(120_000);

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
}
