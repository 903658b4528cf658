/**
 * `lexdr --aws gameday run` against the deployed-stack double (cli-aws-double.ts; moto serves FIS only as far as
 * creating and tagging templates, not StartExperiment or GetExperiment): the template found by its tags, the experiment
 * started with a signed StartExperiment and followed with GetExperiment, the alarms read from CloudWatch, ProbeErrors
 * from GetMetricData, and the report and exit code from what was observed; the drill through StartSyncExecution.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GAME_DAY_TAGS } from '../../core/game-days';
import { settingsItemKey } from '../../core/settings-item';
import { parseConfig } from '../../infra/config';
import { buildSettings } from '../../infra/settings';
import type { RawRequest } from './cli-aws-double';
import { FLAGS, calls, double, extraAnswers, lexdr, useAwsDouble } from './cli-aws-double';

useAwsDouble();

const STACK = 'Lexdr-HealthCheck-us-east-1';
const alarm = (id: string) => `${STACK}-Alarms${id}4F2A9C1B-ABCDEF123456`;
const template = (id: string, name: string, connectRegion = 'us-east-1') => ({
  id,
  description: `lexdr game day ${name}`,
  tags: {
    Name: `lexdr-${connectRegion}-${name}`,
    [GAME_DAY_TAGS.experiment]: name,
    [GAME_DAY_TAGS.connectRegion]: connectRegion,
    [GAME_DAY_TAGS.alarm('HealthCheckBlind')]: alarm('HealthCheckBlind'),
    [GAME_DAY_TAGS.alarm('NotOnPrimary')]: alarm('NotOnPrimary'),
    [GAME_DAY_TAGS.alarm('NoHealthyRegion')]: alarm('NoHealthyRegion'),
    [GAME_DAY_TAGS.alarm('HealthCheckNotRunning')]: alarm('HealthCheckNotRunning'),
  },
});

/** The stack's settings item (the flow walk reads the bots and their aliases there). */
const SETTINGS = buildSettings(
  parseConfig({ connectRegion: 'us-east-1', regions: ['us-east-1', 'us-west-2'] }),
  (_bot, region) => ({ botId: region === 'us-east-1' ? 'EASTBOT001' : 'WESTBOT001', botAliasId: 'ALIAS00001' }),
  '123456789012',
);

/** What the FIS and CloudWatch parts of the double answer; reset before each test. */
const fis = {
  templates: [
    template('EXTfails1', 'probe-function-fails'),
    template('EXTfails2', 'probe-function-fails', 'us-west-2'),
    template('EXTslow1', 'lookup-slow'),
  ],
  /** Lex turns the flow walk took, by bot ID. */
  lexTurns: [] as string[],
  /** The experiment's statuses, one per GetExperiment. */
  statuses: ['running', 'running', 'completed'] as string[],
  stopReason: undefined as string | undefined,
  /** Whether HealthCheckBlind is in ALARM while the experiment runs. */
  blindFires: true,
  gets: 0,
  headers: [] as IncomingHttpHeaders[],
};

function answer(r: RawRequest): [number, unknown, Record<string, string>?] | undefined {
  if (r.path.startsWith('/experiment')) fis.headers.push(r.headers);
  if (r.method === 'GET' && r.path.startsWith('/experimentTemplates?'))
    return [200, { experimentTemplates: fis.templates }];
  const got = /^\/experimentTemplates\/([^/?]+)$/.exec(r.path);
  if (r.method === 'GET' && got) {
    const t = fis.templates.find((x) => x.id === got[1]);
    if (!t) return [404, { __type: 'ResourceNotFoundException', message: 'no such template' }];
    return [
      200,
      {
        experimentTemplate: {
          ...t,
          stopConditions: [
            {
              source: 'aws:cloudwatch:alarm',
              value: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarm('NotOnPrimary')}`,
            },
          ],
          targets: {
            Function: {
              resourceType: 'aws:lambda:function',
              resourceArns: ['arn:aws:lambda:us-east-1:123456789012:function:probe'],
              selectionMode: 'ALL',
            },
          },
          actions: {
            ProbeError: {
              actionId: 'aws:lambda:invocation-error',
              parameters: { duration: 'PT5M', invocationPercentage: '100' },
            },
          },
        },
      },
    ];
  }
  const experiment = (status: string) => ({
    experiment: {
      id: 'EXPgameday1',
      experimentTemplateId: 'EXTfails1',
      state: { status, ...(status === 'stopped' && fis.stopReason ? { reason: fis.stopReason } : {}) },
      startTime: Date.now() / 1000,
    },
  });
  if (r.method === 'POST' && r.path === '/experiments') return [200, experiment('initiating')];
  if (r.method === 'GET' && r.path === '/experiments/EXPgameday1')
    return [200, experiment(fis.statuses[Math.min((fis.gets += 1) - 1, fis.statuses.length - 1)]!)];
  if (r.target === 'DynamoDB_20120810.GetItem' && r.text.includes(settingsItemKey('us-east-1')))
    return [
      200,
      { Item: { connectRegion: { S: settingsItemKey('us-east-1') }, settings: { S: JSON.stringify(SETTINGS) } } },
    ];
  // The lookup, slowed past its 3 s timeout by FIS's extension, as Lambda answers Invoke.
  if (r.method === 'POST' && r.path.startsWith('/2015-03-31/functions/'))
    return [
      200,
      { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds' },
      { 'x-amz-function-error': 'Unhandled' },
    ];
  const lex = /^\/bots\/([A-Z0-9]+)\/botAliases\/[A-Z0-9]+\/botLocales\/en_US\/sessions\/[^/]+\/text$/.exec(r.path);
  if (r.method === 'POST' && lex) {
    fis.lexTurns.push(lex[1]!);
    return [200, { sessionState: { intent: { name: 'OrderFlowers', state: 'InProgress' } }, messages: [] }];
  }
  if (r.target === 'GraniteServiceVersion20100801.DescribeAlarms') {
    const body = JSON.parse(r.text) as { AlarmNames?: string[]; AlarmNamePrefix?: string };
    if (body.AlarmNamePrefix) return [200, { MetricAlarms: [] }];
    const state = (name: string) =>
      name === alarm('HealthCheckBlind') && fis.blindFires && fis.gets > 0
        ? 'ALARM'
        : name === alarm('NotOnPrimary') && double.lexRegion !== 'us-east-1'
          ? 'ALARM'
          : 'OK';
    return [200, { MetricAlarms: (body.AlarmNames ?? []).map((n) => ({ AlarmName: n, StateValue: state(n) })) }];
  }
  if (r.target === 'GraniteServiceVersion20100801.GetMetricData') {
    const body = JSON.parse(r.text) as {
      MetricDataQueries: { Id: string; MetricStat: { Metric: { MetricName: string } } }[];
    };
    return [
      200,
      {
        MetricDataResults: body.MetricDataQueries.map((q) => ({
          Id: q.Id,
          Timestamps: [Math.floor(Date.now() / 1000)],
          Values: q.MetricStat.Metric.MetricName === 'ProbeErrors' && fis.blindFires ? [3] : [],
          StatusCode: 'Complete',
        })),
      },
    ];
  }
  return undefined;
}

const initial = { ...fis, templates: [...fis.templates], statuses: [...fis.statuses] };
beforeAll(() => void extraAnswers.push(answer));
afterAll(() => void extraAnswers.splice(extraAnswers.indexOf(answer), 1));
beforeEach(() =>
  Object.assign(fis, {
    ...initial,
    templates: [...initial.templates],
    statuses: [...initial.statuses],
    gets: 0,
    headers: [],
  }),
);

const run = (...argv: string[]) => lexdr([...FLAGS, 'gameday', 'run', ...argv, '--yes', '--settle', '0s']);

describe('lexdr --aws gameday run', () => {
  it('probe-function-fails: starts the tagged template with a signed StartExperiment, follows it, checks the outcome', async () => {
    const r = await run('probe-function-fails');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const start = calls.find((c) => c.target === 'POST /experiments')!;
    expect(start.body).toMatchObject({
      experimentTemplateId: 'EXTfails1',
      clientToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tags: { [GAME_DAY_TAGS.experiment]: 'probe-function-fails' },
    });
    expect(calls.filter((c) => c.target === 'GET /experiments/EXPgameday1')).toHaveLength(3);
    // SigV4 for FIS, in the region of the stack.
    expect(String(fis.headers[0]!.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID[A-Z]+\/\d{8}\/us-east-1\/fis\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/,
    );
    expect(r.out).toContain('Started FIS experiment EXPgameday1 from template EXTfails1.');
    expect(r.out).toContain(': PASSED (run completed)');
    expect(r.out).toContain(`observed: HealthCheckBlind was in ALARM (CloudWatch alarm ${alarm('HealthCheckBlind')}`);
    expect(r.out).toContain('observed: ProbeErrors 6 (CloudWatch lexdr/ProbeErrors, Sum over the run)');
    expect(r.out).toContain('observed: lexDR stayed on us-east-1');
  });

  it('an experiment FIS stopped on a stop condition, without the expected alarm: exit 1, saying why', async () => {
    fis.statuses = ['running', 'stopped'];
    fis.stopReason = 'Experiment halted by stop condition';
    fis.blindFires = false;
    const r = await run('probe-function-fails');
    expect(r.code).toBe(1);
    expect(r.out).toContain(': FAILED (run stopped: Experiment halted by stop condition)');
    expect(r.out).toMatch(
      /FAIL {2}expected: alarm HealthCheckBlind goes to ALARM\n\s+observed: HealthCheckBlind never in ALARM/,
    );
    expect(r.out).toContain('observed: ProbeErrors 0');
    expect(r.err).toContain('game day probe-function-fails failed: 2 expectation(s) not met; the run ended stopped');
  });

  it("lookup-slow walks a caller through the flow: the lookup Lambda times out, the fallback's deployed alias serves", async () => {
    const r = await run('lookup-slow');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(calls.some((c) => c.target.startsWith('POST /2015-03-31/functions/'))).toBe(true);
    // The flow's fallback tries the primary's deployed alias first.
    expect(fis.lexTurns).toEqual(['EASTBOT001']);
    expect(r.out).toContain("observed: 1 of 1 callers served, 1 after the lookup's error branch");
  });

  it('lex-region-fails runs the drill (StartSyncExecution) and reads NotOnPrimary from CloudWatch', async () => {
    const r = await run('lex-region-fails');
    expect(r.code).toBe(0);
    expect(calls.some((c) => c.target === 'AWSStepFunctions.StartSyncExecution')).toBe(true);
    expect(calls.some((c) => c.target === 'POST /experiments')).toBe(false);
    expect(r.out).toContain('observed: lexDR us-east-1 → us-west-2; expected us-west-2');
    expect(r.out).toContain(`observed: NotOnPrimary was in ALARM (CloudWatch alarm ${alarm('NotOnPrimary')}`);
  });

  it('a dry run names the template and its action and starts nothing', async () => {
    const r = await lexdr([...FLAGS, 'gameday', 'run', 'probe-function-fails', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Injects: FIS experiment template EXTfails1 (aws:lambda:invocation-error');
    expect(r.out).toContain('for PT5M.');
    expect(calls.some((c) => c.target === 'POST /experiments')).toBe(false);
  });

  it('without a template for the Connect region: exit 3, saying to deploy with gameDays', async () => {
    fis.templates = [template('EXTother', 'probe-function-fails', 'us-west-2')];
    const r = await run('probe-function-fails');
    expect(r.code).toBe(3);
    expect(r.err).toContain(
      'no FIS experiment template tagged lexdr:game-day=probe-function-fails for Connect us-east-1',
    );
    expect(r.err).toContain('"gameDays": true');
  });

  it("--duration is refused for an FIS experiment (the template's duration holds)", async () => {
    const r = await run('probe-function-fails', '--duration', '1m');
    expect(r.code).toBe(2);
    expect(r.err).toContain("--duration: on AWS the FIS template's duration holds (PT5M)");
  });
});
