/**
 * The local Step Functions endpoint speaks Step Functions' own API (AWS JSON 1.0), so any SDK's client works
 * against it with host prefixes off: the official JS `SFNClient` and a raw request as another language's SDK
 * sends it. It answers for an Express state machine as AWS does (DescribeExecution → InvalidArn).
 */
import { execFile, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { LocalSystem } from '../../local/system';
import { FAST, startFast } from './system-fixture';

const TOKEN = 'sfn-test-token-abcdefghijklmnop';
let sys: LocalSystem;
let sfn: SFNClient;

beforeAll(async () => {
  sys = await startFast(FAST, { token: TOKEN });
  sfn = new SFNClient({
    endpoint: sys.stepfunctions.url,
    region: 'us-east-1',
    credentials: { accessKeyId: TOKEN, secretAccessKey: 'local' },
    // The SDK sends StartSyncExecution to `sync-<host>`; a local endpoint has no such name.
    disableHostPrefix: true,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  sfn.destroy();
  await sys.stepfunctions.drain();
  await sys.close();
});

/** A raw AWS JSON 1.0 request, as botocore (inject_host_prefix=False) or any other SDK puts it on the wire. */
function raw(
  target: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  const url = new URL(sys.stepfunctions.url);
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `AWSStepFunctions.${target}`,
          'x-amz-date': '20261201T000000Z',
          authorization: `AWS4-HMAC-SHA256 Credential=${TOKEN}/20261201/us-east-1/states/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
          'content-length': Buffer.byteLength(text),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

const drill = (region: string) => JSON.stringify({ drill: { failRegions: [region] }, cycles: 2 });

describe('the local Step Functions API', () => {
  it('DescribeStateMachine: the real definition, an EXPRESS machine', async () => {
    const r = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: sys.runner.stateMachineArn }));
    expect(r.type).toBe('EXPRESS');
    expect(r.status).toBe('ACTIVE');
    // The definition as deployed, not the interpreter's rewrite of it.
    const def = JSON.parse(r.definition!) as { StartAt: string; States: Record<string, { Type: string }> };
    expect(def.StartAt).toBe('Plan first cycle');
    expect(def.States['Wait for the next cycle']!.Type).toBe('Wait');
    expect(r.definition).toContain('$$.Execution.StartTime');
    expect(r.roleArn).toBe('arn:aws:iam::000000000000:role/lexdr-local');
  });

  it('StartSyncExecution through SFNClient runs a drill to its end: status, output, and lexDR moved', async () => {
    const r = await sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn: sys.runner.stateMachineArn,
        name: 'sdk-drill',
        input: drill('us-east-1'),
      }),
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.executionArn).toMatch(/^arn:aws:states:us-east-1:000000000000:express:lexdr-health-check:sdk-drill:/);
    expect(typeof r.output).toBe('string');
    expect(r.startDate).toBeInstanceOf(Date);
    expect(r.stopDate!.getTime()).toBeGreaterThanOrEqual(r.startDate!.getTime());
    expect(r.billingDetails?.billedMemoryUsedInMB).toBe(64);
    expect((await sys.readItem())?.lexRegion).toBe('us-west-2');
    const changes = await sys.history();
    expect(changes.some((c) => c.execution === r.executionArn && c.to === 'us-west-2')).toBe(true);
  });

  it('StartSyncExecution as a raw AWS JSON 1.0 request (another SDK) gets the same answer', async () => {
    const r = await raw('StartSyncExecution', {
      stateMachineArn: sys.runner.stateMachineArn,
      input: drill('us-west-2'),
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(r.json).toMatchObject({ status: 'SUCCEEDED', stateMachineArn: sys.runner.stateMachineArn });
    expect(typeof r.json.output).toBe('string');
    expect(typeof r.json.startDate).toBe('number');
    expect(JSON.parse(r.json.input as string)).toEqual(JSON.parse(drill('us-west-2')));
  });

  // botocore, when this machine's Python has it: another language's SDK, as its users would configure it.
  const botocore = spawnSync('python3', ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0;
  (botocore ? it : it.skip)(
    "Python's botocore (inject_host_prefix=False) starts a drill and reads Express's refusal",
    async () => {
      const script = `
import json, sys, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
sfn = boto3.client('stepfunctions', endpoint_url=sys.argv[1], region_name='us-east-1',
    aws_access_key_id=sys.argv[3], aws_secret_access_key='local',
    config=Config(inject_host_prefix=False, retries={'max_attempts': 1}))
r = sfn.start_sync_execution(stateMachineArn=sys.argv[2], input=json.dumps({'cycles': 1}))
try:
    sfn.describe_execution(executionArn=r['executionArn'])
    code = None
except ClientError as e:
    code = e.response['Error']['Code']
print(json.dumps({'status': r['status'], 'output': r.get('output'), 'describe': code}))
`;
      // Asynchronous: the endpoint runs in this process.
      const run = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
        execFile(
          'python3',
          ['-c', script, sys.stepfunctions.url, sys.runner.stateMachineArn, TOKEN],
          { timeout: 20_000 },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr })),
        ),
      );
      expect(run.stderr).toBe('');
      const out = JSON.parse(run.stdout) as { status: string; output: string | null; describe: string | null };
      expect(out.status).toBe('SUCCEEDED');
      expect(typeof out.output).toBe('string');
      expect(out.describe).toBe('InvalidArn');
    },
  );

  it('StartSyncExecution of an execution that fails: FAILED with the error and cause', async () => {
    const r = await sfn.send(
      new StartSyncExecutionCommand({ stateMachineArn: sys.runner.stateMachineArn, input: '{"cycles": 999}' }),
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBeTruthy();
    expect(r.cause).toBeTruthy();
    expect(r.output).toBeUndefined();
  });

  it('DescribeExecution of an Express execution: 400 InvalidArn, as AWS answers', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: sys.runner.stateMachineArn, input: '{"cycles": 1}' }),
    );
    expect(started.executionArn).toContain(':express:lexdr-health-check:');
    const err = (await sfn
      .send(new DescribeExecutionCommand({ executionArn: started.executionArn! }))
      .catch((e: unknown) => e)) as { name: string; message: string; $metadata: { httpStatusCode: number } };
    expect(err.name).toBe('InvalidArn');
    expect(err.message).toBe("Invalid Arn: 'Resource type not valid in this context: express'");
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it('ListExecutions is not supported for an Express machine; unknown machines and bad input are refused', async () => {
    const list = (await sfn
      .send(new ListExecutionsCommand({ stateMachineArn: sys.runner.stateMachineArn }))
      .catch((e: unknown) => e)) as Error;
    expect(list.name).toBe('StateMachineTypeNotSupported');
    const other = sys.runner.stateMachineArn.replace('lexdr-health-check', 'nope');
    const missing = (await sfn
      .send(new StartSyncExecutionCommand({ stateMachineArn: other, input: '{}' }))
      .catch((e: unknown) => e)) as Error;
    expect(missing.name).toBe('StateMachineDoesNotExist');
    const bad = (await sfn
      .send(new StartExecutionCommand({ stateMachineArn: sys.runner.stateMachineArn, input: '{not json' }))
      .catch((e: unknown) => e)) as Error;
    expect(bad.name).toBe('InvalidExecutionInput');
    const name = (await sfn
      .send(new StartExecutionCommand({ stateMachineArn: sys.runner.stateMachineArn, name: 'has space' }))
      .catch((e: unknown) => e)) as Error;
    expect(name.name).toBe('InvalidName');
  });

  it('refuses a request without the token, or with a foreign Host, and serves the next one', async () => {
    const noToken = await raw(
      'DescribeStateMachine',
      { stateMachineArn: sys.runner.stateMachineArn },
      { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/states/aws4_request, Signature=00' },
    );
    expect(noToken.status).toBe(403);
    expect(noToken.json.__type).toBe('UnrecognizedClientException');
    const rebind = await raw(
      'StartSyncExecution',
      { stateMachineArn: sys.runner.stateMachineArn },
      { host: 'rebind.evil.example' },
    );
    expect(rebind.status).toBe(403);
    const ok = await raw('DescribeStateMachine', { stateMachineArn: sys.runner.stateMachineArn });
    expect(ok.status).toBe(200);
  });
});
