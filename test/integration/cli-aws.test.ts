/**
 * The CLI's `--aws` target against a deployed-stack double at the SDK boundary: a local HTTP server that speaks
 * the AWS JSON protocols (Step Functions, DynamoDB, CloudWatch) and CloudFormation's query protocol, records
 * every request and answers canned responses. The real SDK v3 clients are pointed at it with --endpoint-url;
 * the tests assert the request shapes and the exit codes.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { runLexdr } from './cli-harness';

interface Call {
  target: string;
  body: Record<string, unknown>;
  host?: string;
}

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:lexdr-health-check';
const LOOKUP_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:lexdr-lookup';
// Express execution ARNs: `express:<machine>:<name>:<id>`.
const EXEC_PREFIX = 'arn:aws:states:us-east-1:123456789012:express:lexdr-health-check:';
const execArn = (name: string) => `${EXEC_PREFIX}${name}:6f1c2a44-0b7e-4c55-9d2e-1a2b3c4d5e6f`;

let server: Server;
let endpoint: string;
let dir: string;
let calls: Call[] = [];
let lexRegion = 'us-east-1';
/** How long StartSyncExecution takes to answer. */
let syncMs = 30;
let stackExists = true;
let pinned = false;

function item() {
  return marshall({
    connectRegion: 'us-east-1',
    lexRegion,
    version: 7,
    regionHealth: {
      'us-east-1': {
        fails: lexRegion === 'us-east-1' ? 0 : 2,
        passes: 0,
        reason: lexRegion === 'us-east-1' ? 'ok' : 'drill',
      },
      'us-west-2': { fails: 0, passes: 3, reason: 'ok' },
    },
    pin: pinned ? { region: 'us-west-2', until: '2099-01-01T00:00:00.000Z', by: 'alice', reason: 'maintenance' } : null,
  });
}

async function answer(target: string, body: Record<string, unknown>): Promise<[number, unknown]> {
  switch (target) {
    case 'AWSStepFunctions.StartExecution':
      return [200, { executionArn: execArn(body.name as string), startDate: Date.now() / 1000 }];
    case 'AWSStepFunctions.StartSyncExecution': {
      const startDate = Date.now() / 1000;
      await new Promise((r) => setTimeout(r, syncMs));
      lexRegion = 'us-west-2';
      return [
        200,
        {
          executionArn: execArn(body.name as string),
          stateMachineArn: SM,
          name: body.name,
          status: 'SUCCEEDED',
          startDate,
          stopDate: Date.now() / 1000,
          input: body.input,
          inputDetails: { included: true },
          output: '{}',
          outputDetails: { included: true },
          billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: 100 },
        },
      ];
    }
    // As Step Functions answers for an Express execution.
    case 'AWSStepFunctions.DescribeExecution':
      return [
        400,
        {
          __type: 'com.amazonaws.swf.service.v2.model#InvalidArn',
          message: "Invalid Arn: 'Resource type not valid in this context: express'",
        },
      ];
    case 'DynamoDB_20120810.GetItem':
      return [200, { Item: item() }];
    case 'DynamoDB_20120810.UpdateItem':
      return [200, {}];
    case 'DynamoDB_20120810.Query': {
      const exec = calls.find((c) => c.target === 'AWSStepFunctions.StartSyncExecution');
      const arn = exec ? execArn(exec.body.name as string) : execArn('old');
      return [
        200,
        {
          Items: [
            marshall({
              connectRegion: 'us-east-1',
              changeId: `2026-11-01T10:00:00.000Z#x#1`,
              from: 'us-east-1',
              to: 'us-west-2',
              reason: 'failover',
              detail: 'us-east-1 failed 2 consecutive probe(s): drill',
              at: '2026-11-01T10:00:00.000Z',
              execution: arn,
              cycle: 1,
              drill: true,
              version: 8,
            }),
          ],
          Count: 1,
          ScannedCount: 1,
        },
      ];
    }
    case 'GraniteServiceVersion20100801.ListMetrics':
      return [
        200,
        {
          Metrics: ['us-east-1', 'us-west-2'].map((r) => ({
            Namespace: 'lexdr',
            MetricName: 'ProbeSuccess',
            Dimensions: [
              { Name: 'ConnectRegion', Value: 'us-east-1' },
              { Name: 'Bot', Value: 'OrderFlowers' },
              { Name: 'Region', Value: r },
            ],
          })),
        },
      ];
    case 'GraniteServiceVersion20100801.GetMetricData': {
      const t = Math.floor(Date.now() / 60_000) * 60;
      const q = body.MetricDataQueries as {
        Id: string;
        MetricStat: { Metric: { Dimensions: { Name: string; Value: string }[] } };
      }[];
      return [
        200,
        {
          MetricDataResults: q.map((x) => {
            const region = x.MetricStat.Metric.Dimensions.find((d) => d.Name === 'Region')!.Value;
            const ok = region === 'us-west-2' ? 1 : 0.5;
            return {
              Id: x.Id,
              Label: x.Id,
              Timestamps: [t],
              Values: [x.Id.startsWith('ok') ? ok : 120],
              StatusCode: 'Complete',
            };
          }),
        },
      ];
    }
    default:
      return [400, { __type: 'UnknownOperationException', message: `double does not serve ${target}` }];
  }
}

function cfnAnswer(form: URLSearchParams): [number, string] {
  if (form.get('Action') !== 'DescribeStacks') return [400, '<ErrorResponse/>'];
  if (!stackExists)
    return [
      400,
      `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${form.get('StackName')} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
    ];
  const outputs = {
    StateMachineArn: SM,
    TableName: 'lexdr-stack-DrTable',
    HistoryTableName: 'lexdr-stack-History',
    LookupFunctionArn: LOOKUP_ARN,
  };
  return [
    200,
    `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${form.get('StackName')}</StackName><StackId>id</StackId><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-11-01T00:00:00Z</CreationTime><Outputs>${Object.entries(
      outputs,
    )
      .map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${v}</OutputValue></member>`)
      .join(
        '',
      )}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
  ];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lexdr-cli-aws-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      if (!target) {
        const form = new URLSearchParams(text);
        calls.push({ target: `CloudFormation.${form.get('Action')}`, body: Object.fromEntries(form) });
        const [status, xml] = cfnAnswer(form);
        res.writeHead(status, { 'content-type': 'text/xml' });
        res.end(xml);
        return;
      }
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      calls.push({ target, body, host: req.headers.host ?? '' });
      void answer(target, body).then(([status, out]) => {
        const json = JSON.stringify(out);
        if (res.destroyed) return;
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          ...(status >= 400 ? { 'x-amzn-errortype': (out as { __type: string }).__type.split('#').pop()! } : {}),
        });
        res.end(json);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address() as { port: number };
  endpoint = `http://127.0.0.1:${a.port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  calls = [];
  lexRegion = 'us-east-1';
  syncMs = 30;
  stackExists = true;
  pinned = false;
});

const lexdr = (argv: string[]) =>
  runLexdr(
    ['--aws', '--region', 'us-east-1', '--endpoint-url', endpoint, ...argv],
    { LEXDR_POLL_MS: '5', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test' },
    dir,
  );

const FLAGS = ['--state-machine-arn', SM, '--table', 'lexDR', '--regions', 'us-east-1,us-west-2'];

describe('lexdr --aws against a deployed-stack double', () => {
  it('drill: StartSyncExecution with the drill input (no DescribeExecution, which Express refuses), the decision and a console link', async () => {
    const r = await lexdr([
      ...FLAGS,
      'drill',
      '--fail',
      'us-east-1',
      '--cycles',
      '3',
      '--reason',
      'game day',
      '--wait',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const start = calls.find((c) => c.target === 'AWSStepFunctions.StartSyncExecution')!;
    expect(start.body.stateMachineArn).toBe(SM);
    // A custom endpoint gets no `sync-` host prefix.
    expect(start.host).toBe(endpoint.replace('http://', ''));
    expect(start.body.name).toMatch(/^lexdr-cli-/);
    expect(JSON.parse(start.body.input as string)).toEqual({
      drill: { failRegions: ['us-east-1'], reason: 'game day' },
      cycles: 3,
    });
    expect(calls.filter((c) => c.target.startsWith('AWSStepFunctions.')).map((c) => c.target)).toEqual([
      'AWSStepFunctions.StartSyncExecution',
    ]);
    const get = calls.find((c) => c.target === 'DynamoDB_20120810.GetItem')!;
    expect(get.body).toMatchObject({
      TableName: 'lexDR',
      Key: { connectRegion: { S: 'us-east-1' } },
      ConsistentRead: true,
    });
    const query = calls.find((c) => c.target === 'DynamoDB_20120810.Query')!;
    expect(query.body).toMatchObject({
      TableName: 'lexDR-history',
      KeyConditionExpression: 'connectRegion = :c AND changeId >= :since',
    });
    expect(r.out).toContain('lexDR: us-east-1 → us-west-2');
    expect(r.out).toContain('Recorded: us-east-1 → us-west-2 (failover)');
    expect(r.out).toContain(
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXEC_PREFIX}`,
    );
    expect(calls.some((c) => c.target.startsWith('CloudFormation'))).toBe(false);
  });

  it('drill --wait exits 1 when the active region is still a drilled region', async () => {
    const r = await lexdr([...FLAGS, 'drill', '--fail', 'us-west-2', '--wait']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('drill failed: the active region is still us-west-2');
  });

  it('drill exits 1 when the execution is still running at --timeout', async () => {
    syncMs = 3000;
    const r = await lexdr([...FLAGS, 'drill', '--fail', 'us-east-1', '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('still running after 1s');
  });

  it('drill --detach: StartExecution and nothing else from Step Functions', async () => {
    const r = await lexdr([...FLAGS, 'drill', '--fail', 'us-east-1', '--detach']);
    expect(r.code).toBe(0);
    expect(calls.filter((c) => c.target.startsWith('AWSStepFunctions.')).map((c) => c.target)).toEqual([
      'AWSStepFunctions.StartExecution',
    ]);
    expect(r.out).toContain(
      `Console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXEC_PREFIX}`,
    );
  });

  it('failover: UpdateItem sets the pin and bumps the version', async () => {
    const r = await lexdr([
      ...FLAGS,
      'failover',
      '--to',
      'us-west-2',
      '--for',
      '2h',
      '--reason',
      'maintenance',
      '--by',
      'alice',
      '--yes',
    ]);
    expect(r.code).toBe(0);
    const u = calls.find((c) => c.target === 'DynamoDB_20120810.UpdateItem')!;
    expect(u.body).toMatchObject({
      TableName: 'lexDR',
      Key: { connectRegion: { S: 'us-east-1' } },
      UpdateExpression: 'SET pin = :pin, version = if_not_exists(version, :zero) + :one',
      ExpressionAttributeValues: {
        ':zero': { N: '0' },
        ':one': { N: '1' },
        ':pin': { M: { region: { S: 'us-west-2' }, by: { S: 'alice' }, reason: { S: 'maintenance' } } },
      },
    });
    const until = (u.body.ExpressionAttributeValues as Record<string, { M: { until: { S: string } } }>)[':pin']!.M.until
      .S;
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(119 * 60_000);
    expect(r.out).toContain(
      'Callers stay on us-east-1 until the next health-check cycle applies it and moves them to us-west-2 (recorded in the history as "pinned")',
    );
  });

  it('failback: a conditional UpdateItem removes the pin and bumps the version; without a pin it writes nothing', async () => {
    const none = await lexdr([...FLAGS, 'failback', '--yes']);
    expect(none.code).toBe(0);
    expect(none.out).toContain('nothing to do');
    expect(calls.some((c) => c.target === 'DynamoDB_20120810.UpdateItem')).toBe(false);

    pinned = true;
    const r = await lexdr([...FLAGS, 'failback', '--yes']);
    expect(r.code).toBe(0);
    // Callers are on the primary; the pin to us-west-2 was not applied yet: only the pin goes, on the version read.
    expect(r.out).toContain('Pin to us-west-2 removed before the workflow applied it. Callers stay on us-east-1.');
    expect(calls.find((c) => c.target === 'DynamoDB_20120810.UpdateItem')!.body).toEqual({
      TableName: 'lexDR',
      Key: { connectRegion: { S: 'us-east-1' } },
      UpdateExpression: 'SET pin = :null, version = :next',
      ConditionExpression:
        'attribute_not_exists(version) OR version = :expected OR NOT attribute_type(version, :number)',
      ExpressionAttributeValues: {
        ':expected': { N: '7' },
        ':next': { N: '8' },
        ':number': { S: 'N' },
        ':null': { NULL: true },
      },
    });
  });

  it('failback refuses while the primary fails its probes, and writes nothing', async () => {
    lexRegion = 'us-west-2';
    const r = await lexdr([...FLAGS, 'failback', '--yes']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('not failing back: us-east-1 failed its latest probe (drill; 2 consecutive failures)');
    expect(calls.some((c) => c.target === 'DynamoDB_20120810.UpdateItem')).toBe(false);
  });

  it('failback without --yes on a non-terminal exits 2 and writes nothing', async () => {
    pinned = true;
    const r = await lexdr([...FLAGS, 'failback']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('pass --yes');
    expect(calls.some((c) => c.target === 'DynamoDB_20120810.UpdateItem')).toBe(false);
  });

  it('status: the item from DynamoDB and the last probes from CloudWatch metrics', async () => {
    const r = await lexdr([...FLAGS, 'status', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as {
      target: string;
      activeRegion: string;
      probes: { region: string; ok: boolean; latencyMs: number }[];
    };
    expect(s).toMatchObject({ target: 'aws', activeRegion: 'us-east-1' });
    expect(s.probes.map((p) => [p.region, p.ok, p.latencyMs])).toEqual([
      ['us-east-1', false, 120],
      ['us-west-2', true, 120],
    ]);
    const list = calls.find((c) => c.target === 'GraniteServiceVersion20100801.ListMetrics')!;
    expect(list.body).toMatchObject({ Namespace: 'lexdr', MetricName: 'ProbeSuccess' });
    const data = calls.find((c) => c.target === 'GraniteServiceVersion20100801.GetMetricData')!;
    const queries = data.body.MetricDataQueries as {
      MetricStat: { Metric: { MetricName: string; Dimensions: { Name: string }[] } };
    }[];
    const dims = (name: string) =>
      queries
        .filter((q) => q.MetricStat.Metric.MetricName === name)
        .map((q) => q.MetricStat.Metric.Dimensions.map((d) => d.Name).join());
    // Success per bot and region, latency per region (as the workflow publishes them).
    expect(dims('ProbeSuccess')).toEqual(['ConnectRegion,Bot,Region', 'ConnectRegion,Bot,Region']);
    expect(dims('ProbeLatency')).toEqual(['ConnectRegion,Region', 'ConnectRegion,Region']);
  });

  it('history: Query with changeId >= the --since time', async () => {
    const r = await lexdr([...FLAGS, 'history', '--since', '7d', '--json']);
    expect(r.code).toBe(0);
    const q = calls.find((c) => c.target === 'DynamoDB_20120810.Query')!;
    const since = (q.body.ExpressionAttributeValues as Record<string, { S: string }>)[':since']!.S;
    expect(Math.abs(Date.parse(since) - (Date.now() - 7 * 86_400_000))).toBeLessThan(60_000);
    expect(JSON.parse(r.out)).toEqual([expect.objectContaining({ reason: 'failover', drill: true })]);
  });

  it('resolves the ARN and tables from the stack outputs (DescribeStacks)', async () => {
    const r = await lexdr(['--stack', 'MyStack', 'drill', '--fail', 'us-east-1', '--json']);
    expect(r.code).toBe(0);
    expect(calls[0]).toMatchObject({ target: 'CloudFormation.DescribeStacks', body: { StackName: 'MyStack' } });
    expect(calls.find((c) => c.target === 'AWSStepFunctions.StartSyncExecution')!.body.stateMachineArn).toBe(SM);
    expect(calls.find((c) => c.target === 'DynamoDB_20120810.GetItem')!.body.TableName).toBe('lexdr-stack-DrTable');
    expect(calls.find((c) => c.target === 'DynamoDB_20120810.Query')!.body.TableName).toBe('lexdr-stack-History');
  });

  it('exits 3 with what to do when the stack does not exist', async () => {
    stackExists = false;
    const r = await lexdr(['drill', '--fail', 'us-east-1']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('stack Lexdr-HealthCheck-us-east-1 not found in us-east-1');
    expect(calls.some((c) => c.target === 'AWSStepFunctions.StartExecution')).toBe(false);
  });

  it('flow render --aws takes the lookup ARN from the stack output', async () => {
    const queue =
      'arn:aws:connect:us-east-1:123456789012:instance/11111111-1111-1111-1111-111111111111/queue/22222222-2222-2222-2222-222222222222';
    const r = await lexdr(['--stack', 'MyStack', 'flow', 'render', '--agent-queue-arn', queue]);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(calls[0]).toMatchObject({ target: 'CloudFormation.DescribeStacks', body: { StackName: 'MyStack' } });
    expect(r.out).toContain(LOOKUP_ARN);
    expect(r.out).toContain(queue);
  });

  it('fault is refused on AWS (exit 2)', async () => {
    const r = await lexdr([...FLAGS, 'fault', 'us-east-1', 'down']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('local system only');
  });
});
