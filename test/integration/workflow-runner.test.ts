/** The runner binds every Task by Resource and never hides a skipped or failing task. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { STATE_PAYLOAD_LIMIT_BYTES } from '../../core/aws-limits';
import { createHealthCheckHandler } from '../../core/health-check-handler';
import type { ProbeEvent } from '../../core/probe-core';
import type { LocalSystem } from '../../local/system';
import { FN, localAslSubstitutions } from '../../local/system';
import type { LambdaHandler, WorkflowRunnerOptions } from '../../local/workflow-runner';
import { WorkflowRunner, substitute, truncateToSecond } from '../../local/workflow-runner';
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

const subs = localAslSubstitutions({ tableName: 'lexDR', historyTableName: 'lexDR-history', metricNamespace: 'lexdr' });

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
          if ((e as ProbeEvent).target.region === 'us-east-1') {
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

  describe("AWS's limits", () => {
    const okProbe = (region: string) => ({
      bot: 'OrderFlowers',
      region,
      method: 'liveness',
      ok: true,
      reason: 'ok',
      latencyMs: 5,
    });
    const make = (o: Partial<WorkflowRunnerOptions> & { probe?: LambdaHandler; plan?: (e: unknown) => void } = {}) => {
      const health = createHealthCheckHandler({ settings: sys.settings, now: () => new Date() });
      return new WorkflowRunner({
        substitutions: subs,
        lambdas: {
          [FN.healthCheck]: async (e) => {
            o.plan?.(e);
            return health(e);
          },
          [FN.probe]: o.probe ?? (async (e) => okProbe((e as ProbeEvent).target.region)),
        },
        dynamodb: sys.dynamo.client,
        cloudwatch: cw,
        region: 'us-east-1',
        waitMs: 0,
        retryMs: 0,
        ...o,
      });
    };

    it('fails a state over 256 KB with States.DataLimitExceeded, which the Catch on States.ALL does not catch', async () => {
      const big = 'x'.repeat(300 * 1024);
      const runner = make({
        probe: async (e) => ({ ...okProbe((e as ProbeEvent).target.region), detail: big }),
      });
      const r = await runner.run({ cycles: 1 });
      expect(r.status).toBe('FAILED');
      expect(r.error).toBe('States.DataLimitExceeded');
      expect(r.cause).toMatch(/exceeding the maximum number of bytes/);
      // The probe state's Catch (States.ALL → "Probe could not run") did not take it, and nothing ran after it.
      expect(r.path).not.toContain('Probe could not run');
      expect(runner.calls['Publish metrics']).toBe(0);
      expect(runner.calls['Decide']).toBe(0);
    });

    it('accepts a state just under 256 KB', async () => {
      const runner = make({
        probe: async (e) => ({ ...okProbe((e as ProbeEvent).target.region), detail: 'x'.repeat(100 * 1024) }),
      });
      const r = await runner.run({ cycles: 1 });
      expect(r.status).toBe('SUCCEEDED');
      // The record says how large the largest state was: two regions' results of 100 KiB each, and more.
      expect(r.largestStateBytes).toBeGreaterThan(200 * 1024);
      expect(r.largestStateBytes).toBeLessThanOrEqual(STATE_PAYLOAD_LIMIT_BYTES);
    });

    it('refuses an execution input over 256 KB before any state runs', async () => {
      const runner = make();
      const r = await runner.run({ cycles: 1, padding: 'x'.repeat(STATE_PAYLOAD_LIMIT_BYTES) });
      expect(r.status).toBe('FAILED');
      expect(r.error).toBe('States.DataLimitExceeded');
      expect(Object.values(runner.calls).every((n) => n === 0)).toBe(true);
    });

    it('fails a 7 MB Lambda response as Lambda does (a catchable function error), before the state limit', async () => {
      const runner = make({
        probe: async (e) => ({ ...okProbe((e as ProbeEvent).target.region), detail: 'x'.repeat(7 * 1024 * 1024) }),
      });
      const r = await runner.run({ cycles: 1 });
      expect(r.status).toBe('SUCCEEDED');
      expect(r.path).toContain('Probe could not run');
      // The probe that could not return observed nothing: the check is blind there, the counters stay.
      const item = await sys.readItem();
      expect(item?.blind?.regions).toContain('us-east-1');
      expect(item?.regionHealth['us-east-1']?.fails).toBe(0);
    });

    it('gives $$.Execution.StartTime the start the runner was given', async () => {
      const seen: string[] = [];
      const runner = make({
        plan: (e) => {
          const x = e as { action?: string; execution?: { startedAt: string } };
          if (x.action === 'plan') seen.push(x.execution!.startedAt);
        },
      });
      const startedAt = new Date('2031-03-04T05:06:07.089Z');
      const r = await runner.run({ cycles: 1 }, { startedAt });
      expect(r.status).toBe('SUCCEEDED');
      expect(r.startedAt).toBe(startedAt.toISOString());
      expect(seen).toEqual([startedAt.toISOString()]);
    });

    it('waits for a timestamp truncated to the second, on the given clock', async () => {
      const t0 = Date.parse('2031-03-04T05:06:00.000Z');
      const sleeps: number[] = [];
      const runner = make({
        waitMs: undefined,
        clock: { now: () => new Date(t0), sleep: async (ms) => void sleeps.push(ms) },
      });
      // The second cycle is due at 05:06:10.750 (start + 10 s cadence); Step Functions waits until 05:06:10.
      const r = await runner.run({ cycles: 2 }, { startedAt: new Date(t0 + 750) });
      expect(r.status).toBe('SUCCEEDED');
      expect(sleeps).toEqual([10_000]);
      expect(truncateToSecond('2031-03-04T05:06:10.750Z')).toBe(t0 + 10_000);
    });

    it('ends an execution that outlives the Express cap TIMED_OUT', async () => {
      const runner = make({
        maxDurationMs: 50,
        probe: async (e) => {
          await new Promise((resolve) => setTimeout(resolve, 200));
          return okProbe((e as ProbeEvent).target.region);
        },
      });
      const r = await runner.run({ cycles: 1 });
      expect(r.status).toBe('TIMED_OUT');
      expect(r.error).toBe('States.Timeout');
      expect(runner.calls['Decide']).toBe(0);
    });

    it('names executions with Express ARNs, one per start unless a redelivery passes its own', async () => {
      const runner = make();
      const a = await runner.run({ cycles: 1 }, { name: 'n1', executionArn: runner.executionArnFor('n1') });
      expect(a.executionArn).toMatch(
        /^arn:aws:states:us-east-1:000000000000:express:lexdr-health-check:n1:[0-9a-f-]{36}$/,
      );
      expect(runner.executionArnFor('n1')).not.toBe(a.executionArn);
    });
  });
});
