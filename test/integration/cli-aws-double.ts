/**
 * The deployed-stack double the CLI's `--aws` suites run against, at the SDK boundary: a local HTTP server that speaks
 * the AWS JSON protocols (Step Functions, DynamoDB, CloudWatch) and CloudFormation's query protocol, records every
 * request and answers canned responses; `lexdr` runs the CLI with the real SDK v3 clients pointed at it
 * (--endpoint-url).
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { runLexdr } from './cli-harness';

/** A request the double received. */
export interface Call {
  target: string;
  body: Record<string, unknown>;
  host?: string;
}

export const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:lexdr-health-check';
export const LOOKUP_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:lexdr-lookup';
// Express execution ARNs: `express:<machine>:<name>:<id>`.
export const EXEC_PREFIX = 'arn:aws:states:us-east-1:123456789012:express:lexdr-health-check:';
const execArn = (name: string) => `${EXEC_PREFIX}${name}:6f1c2a44-0b7e-4c55-9d2e-1a2b3c4d5e6f`;

let server: Server;
// Set by the hooks `useAwsDouble` registers; the suites read it as a live binding.
export let endpoint: string;
let dir: string;
/** Every request since the test started, in order. */
export const calls: Call[] = [];
const ANSWERS = {
  lexRegion: 'us-east-1',
  /** How long StartSyncExecution takes to answer. */
  syncMs: 30,
  stackExists: true,
  pinned: false,
};
/** A request as a suite's own answer sees it. */
export interface RawRequest {
  method: string;
  path: string;
  /** `x-amz-target` (JSON protocols), or '' (REST and query protocols). */
  target: string;
  text: string;
  headers: IncomingHttpHeaders;
}

/**
 * Answers a suite adds for other APIs (REST ones: FIS, Lambda Invoke, Lex), tried first: status, body and response
 * headers; `undefined` passes.
 */
export const extraAnswers: ((r: RawRequest) => [number, unknown, Record<string, string>?] | undefined)[] = [];

/** What the double answers (a test may change it); reset before each test. */
export const double = { ...ANSWERS };

function item() {
  return marshall({
    connectRegion: 'us-east-1',
    lexRegion: double.lexRegion,
    version: 7,
    regionHealth: {
      'us-east-1': {
        fails: double.lexRegion === 'us-east-1' ? 0 : 2,
        passes: 0,
        reason: double.lexRegion === 'us-east-1' ? 'ok' : 'drill',
      },
      'us-west-2': { fails: 0, passes: 3, reason: 'ok' },
    },
    pin: double.pinned
      ? { region: 'us-west-2', until: '2099-01-01T00:00:00.000Z', by: 'alice', reason: 'maintenance' }
      : null,
  });
}

async function answer(target: string, body: Record<string, unknown>): Promise<[number, unknown]> {
  switch (target) {
    case 'AWSStepFunctions.StartExecution':
      return [200, { executionArn: execArn(body.name as string), startDate: Date.now() / 1000 }];
    case 'AWSStepFunctions.StartSyncExecution': {
      const startDate = Date.now() / 1000;
      await new Promise((r) => setTimeout(r, double.syncMs));
      double.lexRegion = 'us-west-2';
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
  if (!double.stackExists)
    return [
      400,
      `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${form.get('StackName')} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
    ];
  const outputs = {
    StateMachineArn: SM,
    TableName: 'lexdr-stack-DrTable',
    HistoryTableName: 'lexdr-stack-History',
    LookupFunctionArn: LOOKUP_ARN,
    ReportFunctionArn: LOOKUP_ARN.replace(/:function:.*$/, ':function:lexdr-stack-Report'),
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

/** Registers the suite's hooks: start the double before the suite, stop it after, forget the requests before each test. */
export function useAwsDouble(): void {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lexdr-cli-aws-'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const target = String(req.headers['x-amz-target'] ?? '');
        const raw = { method: req.method ?? 'GET', path: req.url ?? '/', target, text, headers: req.headers };
        const extra = extraAnswers.map((a) => a(raw)).find((x) => x !== undefined);
        if (extra) {
          const [status, out, headers] = extra;
          calls.push({
            target: target || `${raw.method} ${raw.path}`,
            body: text.startsWith('{') ? JSON.parse(text) : {},
          });
          const type = (out as { __type?: string } | null)?.__type;
          res.writeHead(status, {
            'content-type': 'application/json',
            ...(type ? { 'x-amzn-errortype': type } : {}),
            ...headers,
          });
          res.end(JSON.stringify(out));
          return;
        }
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
    calls.length = 0;
    Object.assign(double, ANSWERS);
  });
}

/** Runs the CLI against the double. */
export const lexdr = (argv: string[]) =>
  runLexdr(
    ['--aws', '--region', 'us-east-1', '--endpoint-url', endpoint, ...argv],
    { LEXDR_POLL_MS: '5', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test' },
    dir,
  );

/** The deployed stack's names given as flags (no DescribeStacks). */
export const FLAGS = ['--state-machine-arn', SM, '--table', 'lexDR', '--regions', 'us-east-1,us-west-2'];
