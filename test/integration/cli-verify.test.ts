/**
 * `lexdr verify` against a "deployed" lexdr whose every part speaks the real AWS API, reached the way the AWS SDKs
 * route a service to a custom endpoint (`AWS_ENDPOINT_URL_<SERVICE>`): the health-check stack's outputs in moto's
 * CloudFormation, the alarm topics in moto's SNS; the local system's DynamoDB (lexDR, settings), Step Functions (the
 * real ASL and handlers), CloudWatch (the test alarm, whose action publishes to moto's SNS after checking the topic
 * policy) and Lex regions (one endpoint routing by the signed region); the lookup handler behind the local Lambda
 * Invoke API. Each broken wire is shown with what failed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { HEALTH_CHECK_OUTPUTS } from '../../core/contract';
import { SettingsUnavailableError } from '../../core/lookup-handler';
import { settingsItemKey } from '../../core/settings';
import type { LocalLambdaApi } from '../../local/aws/lambda-api';
import { startLocalLambdaApi } from '../../local/aws/lambda-api';
import type { LexRouter } from '../../local/aws/lex-router';
import { startLexRouter } from '../../local/aws/lex-router';
import type { LocalSystem } from '../../local/system';
import { alarmTopicStatement, enforceSslStatement, policyDocument } from '../topic-policy-fixture';
import { runLexdr } from './cli-harness';
import type { Moto } from './moto';
import { awsEndpoints, startMoto } from './moto';
import { FAST, startFast } from './system-fixture';

jest.setTimeout(120_000);

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const STACK = 'Lexdr-HealthCheck-us-east-1';
const BROKEN_STACK = 'Lexdr-Verify-Broken';
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const topicArn = (name: string) => `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
const ALARM = `${STACK}-NotificationTest`;
const DENIED_ALARM = `${BROKEN_STACK}-NotificationTest`;

let moto: Moto;
let sys: LocalSystem;
let lambda: LocalLambdaApi;
let router: LexRouter;
let cw: CloudWatchClient;
let dir: string;
let cdkJson: string;
let env: Record<string, string>;
let restore: () => void;

const moto_ = (region = REGION) => ({
  region,
  endpoint: moto.url,
  maxAttempts: 1,
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
});

/** A topic policy as CDK's `enforceSSL` writes it, with or without the statement that lets CloudWatch publish. */
function topicPolicy(arn: string, allowCloudWatch: boolean): string {
  return policyDocument(enforceSslStatement(arn), ...(allowCloudWatch ? [alarmTopicStatement(arn, ACCOUNT)] : []));
}

/** A stand-in for a deployed health-check stack: a trivial resource and the outputs the real stack has. */
async function createStack(name: string, outputs: Record<string, string>): Promise<void> {
  const cfn = new CloudFormationClient(moto_());
  await cfn.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: JSON.stringify({
        Resources: {
          Marker: { Type: 'AWS::SSM::Parameter', Properties: { Name: `/test/${name}`, Type: 'String', Value: 'x' } },
        },
        Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
      }),
    }),
  );
  cfn.destroy();
}

const verify = (...args: string[]) =>
  runLexdr(['verify', '--cdk-json', cdkJson, '--alarm-timeout', '20s', ...args], env, dir);
const lines = (out: string, symbol: string) =>
  out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(symbol));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lexdr-verify-'));
  moto = await startMoto();
  // Alarm actions run 150 ms after their transition, as CloudWatch's run seconds later: verify has to wait for them.
  sys = await startFast(FAST, {
    cloudwatch: { alarmActions: { endpoint: moto.url, kmsEndpoint: moto.url, delayMs: 150 } },
  });
  [lambda, router] = await Promise.all([
    startLocalLambdaApi({
      regions: {
        [REGION]: {
          functions: {
            'lexdr-lookup': { handler: sys.lookup },
            // The lookup of a deployment whose settings item is missing: it fails, and the flow takes its error branch.
            'lexdr-lookup-broken': {
              handler: () =>
                Promise.reject(
                  new SettingsUnavailableError(
                    'lexdr settings for us-east-1 unreadable (ResourceNotFoundException); the flow uses its deployed aliases',
                  ),
                ),
            },
          },
        },
      },
    }),
    startLexRouter({ regions: Object.fromEntries(Object.entries(sys.lex).map(([r, l]) => [r, l.url])) }),
  ]);

  const sns = new SNSClient(moto_());
  for (const [name, allow] of [
    ['lexdr-alarms', true],
    ['lexdr-alarms-denied', false],
  ] as const)
    await sns.send(new CreateTopicCommand({ Name: name, Attributes: { Policy: topicPolicy(topicArn(name), allow) } }));
  sns.destroy();

  // The test alarm as the health-check stack deploys it: a metric nothing publishes, the topic for ALARM and OK.
  cw = new CloudWatchClient({ region: REGION, endpoint: sys.cloudwatch.url, credentials: sys.credentials });
  for (const [name, topic] of [
    [ALARM, 'lexdr-alarms'],
    [DENIED_ALARM, 'lexdr-alarms-denied'],
  ] as const)
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        AlarmDescription: 'lexdr: a test of the alarm path, set by `lexdr verify`',
        Namespace: sys.config.metricNamespace,
        MetricName: 'NotificationTest',
        Dimensions: [{ Name: 'ConnectRegion', Value: REGION }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicArn(topic)],
        OKActions: [topicArn(topic)],
      }),
    );

  const O = HEALTH_CHECK_OUTPUTS;
  const outputs = {
    [O.stateMachineArn]: sys.runner.stateMachineArn,
    [O.tableName]: sys.config.tableName,
    [O.historyTableName]: sys.config.historyTableName,
    [O.metricNamespace]: sys.config.metricNamespace,
    [O.connectRegion]: REGION,
    [O.regions]: sys.config.regions.join(','),
    [O.lookupFunctionArn]: fn('lexdr-lookup'),
    [O.alarmTopicArn]: topicArn('lexdr-alarms'),
    [O.notificationTestAlarmName]: ALARM,
  };
  await createStack(STACK, outputs);
  await createStack(BROKEN_STACK, {
    ...outputs,
    [O.stateMachineArn]: `arn:aws:states:${REGION}:000000000000:stateMachine:lexdr-deleted`,
    [O.lookupFunctionArn]: fn('lexdr-lookup-broken'),
    [O.alarmTopicArn]: topicArn('lexdr-alarms-denied'),
    [O.notificationTestAlarmName]: DENIED_ALARM,
  });

  const project = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  cdkJson = join(dir, 'cdk.json');
  writeFileSync(cdkJson, JSON.stringify({ context: { ...project.context, lexdr: FAST } }));
  ({ env, restore } = awsEndpoints({
    CLOUDFORMATION: moto.url,
    SNS: moto.url,
    DYNAMODB: sys.dynamo.url,
    SFN: sys.stepfunctions.url,
    LAMBDA: lambda.url,
    LEX_RUNTIME_V2: router.url,
    CLOUDWATCH: sys.cloudwatch.url,
  }));
  env = { ...env, LEXDR_POLL_MS: '20' };
});

afterAll(async () => {
  restore?.();
  cw?.destroy();
  await Promise.all([lambda?.close(), router?.close()]);
  await sys?.close();
  await moto?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lexdr verify', () => {
  it('checks every wire of the deployed stack and passes when each works', async () => {
    // The test alarm is in ALARM already (its own action still pending): verify resets it first, and must tell its
    // own ALARM action from that one's and from the reset's OK action.
    await cw.send(new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: 'ALARM', StateReason: 'an earlier test' }));
    const r = await verify();

    expect(lines(r.out, '✗')).toEqual([]);
    expect(r.code).toBe(0);
    const alias = (region: string) => sys.settings.bots[0]!.regions[region]!;
    expect(r.out).toContain(`Stack ${STACK} (${REGION})`);
    expect(r.out).toContain(
      `✓ settings item ${settingsItemKey(REGION)}: 1 bot(s) in us-east-1, us-west-2, probe "I would like to order some flowers" → OrderFlowers`,
    );
    expect(r.out).toMatch(
      /✓ one health-check cycle ran \(StartSyncExecution lexdr-verify-[^,]+, no drill\): SUCCEEDED/,
    );
    expect(r.out).toContain('✓ lexDR of us-east-1: callers go to us-east-1 (primary), version');
    expect(r.out).toMatch(
      new RegExp(
        `✓ lookup \\(OrderFlowers\\): a ContactFlowEvent gets us-east-1 \\(ok\\), alias ${alias('us-east-1').botAliasArn.replace(/[/]/g, '\\/')}, in \\d+ ms`,
      ),
    );
    for (const region of ['us-east-1', 'us-west-2'])
      expect(r.out).toMatch(
        new RegExp(
          `✓ ${region}: RecognizeText on OrderFlowers \\(${alias(region).botId}/${alias(region).botAliasId}\\): "I would like to order some flowers" → OrderFlowers in \\d+ ms`,
        ),
      );
    expect(r.out).toContain(
      `✓ alarm ${ALARM} → topic lexdr-alarms: CloudWatch published the test notification ("Successfully executed action ${topicArn('lexdr-alarms')}")`,
    );
    expect(r.out).toContain('Every wire works (7 checks).');

    // The test alarm is back to OK, and its history holds the transition verify made and the action CloudWatch ran.
    const alarm = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM] }))).MetricAlarms?.[0];
    expect(alarm?.StateValue).toBe('OK');
    const history = await cw.send(
      new DescribeAlarmHistoryCommand({ AlarmName: ALARM, HistoryItemType: 'StateUpdate' }),
    );
    expect(history.AlarmHistoryItems?.map((h) => h.HistorySummary)).toEqual([
      'Alarm updated from ALARM to OK',
      'Alarm updated from OK to ALARM',
      'Alarm updated from ALARM to OK',
      'Alarm updated from INSUFFICIENT_DATA to ALARM',
    ]);
  });

  it('shows each broken wire with what failed: the workflow, the lookup, the alarm action', async () => {
    const r = await runLexdr(
      ['--stack', BROKEN_STACK, '--region', REGION, 'verify', '--cdk-json', cdkJson, '--alarm-timeout', '20s'],
      env,
      dir,
    );

    expect(r.code).toBe(1);
    expect(r.err).toContain('verify: 3 wire(s) failed');
    expect(lines(r.out, '✗')).toEqual([
      expect.stringMatching(
        /^✗ cannot run a cycle of arn:aws:states:us-east-1:000000000000:stateMachine:lexdr-deleted \(StateMachineDoesNotExist: .*\) — fix: check states:StartSyncExecution/,
      ),
      expect.stringMatching(
        /^✗ lookup \(OrderFlowers\): the function failed \(Unhandled\): .*SettingsUnavailableError.*settings for us-east-1 unreadable.* — fix: see the log group of arn:aws:lambda:us-east-1:123456789012:function:lexdr-lookup-broken$/,
      ),
      expect.stringMatching(
        new RegExp(
          `^✗ alarm ${DENIED_ALARM} → topic lexdr-alarms-denied: CloudWatch could not publish \\(Failed to execute action ${topicArn('lexdr-alarms-denied')}\\. Received error: "CloudWatch Alarms is not authorized to perform: SNS:Publish on resource: ${topicArn('lexdr-alarms-denied')} because no resource-based policy allows the SNS:Publish action"\\) — fix: let cloudwatch.amazonaws.com sns:Publish in the topic policy`,
        ),
      ),
    ]);
    expect(r.out).toContain('✓ settings item');
    expect(r.out).toContain('✓ lexDR of us-east-1');
    expect(r.out).toContain('3 of 7 wire(s) failed (✗)');
  });

  it("fails a bot region whose bot does not recognise the probe's intent, and passes the others", async () => {
    sys.lex['us-west-2']!.setFault({ mode: 'wrongintent' });
    try {
      const r = await verify('--no-notify');
      expect(lines(r.out, '✗')).toEqual([
        expect.stringMatching(
          /^✗ us-west-2: RecognizeText on OrderFlowers \(\w+\/\w+\): "I would like to order some flowers" → FallbackIntent, expected OrderFlowers — fix: compare the bot with the primary's \(`npx lexdr --aws bot diff`\)/,
        ),
      ]);
      expect(r.out).toMatch(/✓ us-east-1: RecognizeText on OrderFlowers/);
      expect(r.out).not.toContain('alarm');
      expect(r.code).toBe(1);
    } finally {
      sys.lex['us-west-2']!.setFault({ mode: 'none' });
    }
  });

  it('fails an invalid settings item (and cannot probe the bots without it), and an alarm with its actions off', async () => {
    const key = { connectRegion: { S: settingsItemKey(REGION) } };
    const saved = (await sys.dynamo.client.send(new GetItemCommand({ TableName: sys.config.tableName, Key: key })))
      .Item!;
    await sys.dynamo.client.send(
      new PutItemCommand({ TableName: sys.config.tableName, Item: { ...key, settings: { S: '{"connectRegion":' } } }),
    );
    await cw.send(new DisableAlarmActionsCommand({ AlarmNames: [ALARM] }));
    try {
      const r = await verify();
      expect(lines(r.out, '✗')).toEqual([
        expect.stringMatching(
          /^✗ settings item us-east-1#settings: settings item "us-east-1#settings" is not JSON: .* — fix: redeploy the health-check stack \(`npx cdk deploy Lexdr-HealthCheck-us-east-1`\): it writes the settings item$/,
        ),
        '✗ no bot can be probed: the settings item is unreadable (see above)',
        `✗ alarm ${ALARM} has its actions disabled — fix: aws cloudwatch enable-alarm-actions --alarm-names ${ALARM} --region us-east-1`,
      ]);
      expect(r.code).toBe(1);
    } finally {
      await sys.dynamo.client.send(new PutItemCommand({ TableName: sys.config.tableName, Item: saved }));
      await cw.send(new EnableAlarmActionsCommand({ AlarmNames: [ALARM] }));
    }
  });

  it('prints the report as JSON', async () => {
    const r = await verify('--no-notify', '--json');
    const report = JSON.parse(r.out) as {
      ok: boolean;
      stacks: { stack: string; connectRegion: string; checks: { check: string; status: string }[] }[];
    };
    expect(report.ok).toBe(true);
    expect(report.stacks).toEqual([expect.objectContaining({ stack: STACK, connectRegion: REGION })]);
    expect(report.stacks[0]!.checks.map((c) => `${c.check}:${c.status}`)).toEqual([
      'settings:pass',
      'workflow:pass',
      'lexdr-item:pass',
      'lookup:pass',
      'recognize-text:pass',
      'recognize-text:pass',
    ]);
    expect(r.code).toBe(0);
  });

  it('exits 3 when the stack is not deployed', async () => {
    const r = await runLexdr(['verify', '--cdk-json', cdkJson, '--connect-region', 'us-west-2'], env, dir);
    expect(r.code).toBe(3);
    expect(r.err).toContain(
      'lexdr: stack Lexdr-HealthCheck-us-west-2 not found in us-west-2: deploy it with `npx cdk deploy --all`',
    );
    expect(r.out).toBe('');
  });
});
