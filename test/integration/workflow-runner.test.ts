/** The runner binds every Task by Resource and never hides a skipped or failing task. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createHealthCheckHandler } from '../../handlers/lib/health-check-handler';
import type { LocalSystem } from '../../local/system';
import { FN } from '../../local/system';
import { WorkflowRunner, substitute } from '../../local/workflow-runner';
import { startFast } from './system-fixture';

let sys: LocalSystem;
let cw: CloudWatchClient;
beforeAll(async () => {
  sys = await startFast();
  cw = new CloudWatchClient({ endpoint: sys.cloudwatch.url, region: 'us-east-1' });
});
afterAll(async () => {
  cw.destroy();
  await sys.close();
});

const subs = {
  HealthCheckFunctionArn: FN.healthCheck,
  ProbeFunctionArn: FN.probe,
  TableName: 'lexDR',
  HistoryTableName: 'lexDR-history',
  MetricNamespace: 'lexdr',
};

describe('workflow runner', () => {
  it('has Promise.withResolvers (aws-local-stepfunctions needs it on Node 20)', () => {
    expect(typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers).toBe('function');
  });

  it('refuses a definition with an unresolved token', () => {
    expect(() => substitute('{"a": "${Nope}"}', {})).toThrow('no substitution for ${Nope}');
  });

  it('refuses to run when a Lambda task has no handler', () => {
    expect(
      () =>
        new WorkflowRunner({
          substitutions: subs,
          lambdas: { [FN.probe]: async () => ({}) },
          dynamodb: sys.dynamo.client,
          cloudwatch: cw,
          region: 'us-east-1',
        }),
    ).toThrow(/no local Lambda for FunctionName .*health-check/);
  });

  it('turns a probe Lambda that throws into no observation, not a failed execution nor a failover', async () => {
    let thrown = 0;
    const runner = new WorkflowRunner({
      substitutions: subs,
      lambdas: {
        [FN.healthCheck]: createHealthCheckHandler({ settings: sys.settings, now: () => new Date() }),
        [FN.probe]: async (e) => {
          if ((e as { region: string }).region === 'us-east-1') {
            thrown += 1;
            throw Object.assign(new Error('out of memory'), { name: 'Runtime.OutOfMemory' });
          }
          return { bot: 'OrderFlowers', region: 'us-west-2', method: 'liveness', ok: true, reason: 'ok', latencyMs: 5 };
        },
      },
      dynamodb: sys.dynamo.client,
      cloudwatch: cw,
      region: 'us-east-1',
      waitMs: 0,
      retryMs: 0,
    });
    const r = await runner.run({ cycles: 2 });
    expect(r.status).toBe('SUCCEEDED');
    expect(thrown).toBe(2);
    expect(r.path.filter((s) => s === 'Probe could not run')).toHaveLength(2);
    // A probe that could not run observed nothing: the primary's counters do not move, callers stay, and the
    // item says the check is blind there.
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe('us-east-1');
    expect(item?.regionHealth['us-east-1']).toMatchObject({ fails: 0 });
    expect(item?.blind).toMatchObject({ regions: ['us-east-1'] });
    expect(item?.blind?.detail).toContain('Runtime.OutOfMemory');
  });
});
