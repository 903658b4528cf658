/**
 * The real statemachine/health-check.asl.json run by aws-local-stepfunctions, with the real handlers and real
 * SDK clients over HTTP against local Lex regions, dynalite and a local CloudWatch.
 */
import { getEventListeners } from 'node:events';
import { metricValues, sum } from '../reliability/helpers';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { LocalSystem } from '../../local/system';
import { cycles, startFast } from './system-fixture';

const E = 'us-east-1';
const W = 'us-west-2';

describe('health-check workflow against the local regions', () => {
  let sys: LocalSystem;

  beforeAll(async () => {
    sys = await startFast();
  });
  afterAll(async () => {
    await sys?.close();
  });
  beforeEach(async () => {
    for (const r of Object.values(sys.lex)) r.setFault({ mode: 'none' });
    // Back to a healthy, saturated primary before each scenario.
    await cycles(sys, 4);
    sys.cloudwatch.clear();
  });

  it('stays on the primary while healthy and stops writing once the counters are saturated', async () => {
    const before = await sys.readItem();
    await cycles(sys, 3);
    const after = await sys.readItem();
    expect(after?.lexRegion).toBe(E);
    expect(after?.version).toBe(before?.version);
  });

  it('confirms a failed primary inside the cycle and fails over after failThreshold failures', async () => {
    sys.lex[E]!.setFault({ mode: 'down' });
    const [r] = await cycles(sys, 1);
    expect(r!.path.filter((s) => s === 'Wait to confirm')).toHaveLength(1);
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(W);
    expect(item?.lastChange).toMatchObject({ from: E, to: W, reason: 'failover', drill: false, cycle: 0 });
    expect(item?.regionHealth[E]).toMatchObject({ fails: 2, reason: 'server-error' });
    const history = await sys.history();
    expect(history.at(-1)).toMatchObject({ from: E, to: W, reason: 'failover' });
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(1);
  });

  it('keeps callers on the primary when one probe fails and its confirmation passes', async () => {
    sys.lex[E]!.setFault({ mode: 'none' });
    await cycles(sys, 30); // back on the primary, counters saturated
    expect((await sys.readItem())?.lexRegion).toBe(E);
    sys.cloudwatch.clear();
    sys.lex[E]!.setFault({ mode: 'down' });
    // The fault lasts one probe: it is gone when the confirmation round probes again.
    const off = sys.onEvent((e) => {
      if (e.type === 'cycle') sys.lex[E]!.setFault({ mode: 'none' });
    });
    try {
      await cycles(sys, 1);
    } finally {
      off();
    }
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(E);
    expect(item?.regionHealth[E]).toMatchObject({ fails: 0, passes: 1 });
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(0);
    expect(metricValues(sys, 'ProbeSuccess', { Region: E }).sort()).toEqual([0, 1]);
  });

  it('returns to the primary only after recoverThreshold consecutive passes', async () => {
    sys.lex[E]!.setFault({ mode: 'down' });
    await cycles(sys, 2);
    expect((await sys.readItem())?.lexRegion).toBe(W);
    sys.lex[E]!.setFault({ mode: 'none' });
    await cycles(sys, 2);
    expect((await sys.readItem())?.lexRegion).toBe(W);
    await cycles(sys, 1);
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(E);
    expect(item?.lastChange).toMatchObject({ from: W, to: E, reason: 'failback' });
  });

  it('writes err when no region is healthy, and leaves err as soon as one passes', async () => {
    sys.lex[E]!.setFault({ mode: 'down' });
    sys.lex[W]!.setFault({ mode: 'down' });
    await cycles(sys, 2);
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe('err');
    expect(item?.lastChange).toMatchObject({ to: 'err', reason: 'no-healthy-region' });
    sys.lex[W]!.setFault({ mode: 'none' });
    await cycles(sys, 1);
    expect((await sys.readItem())?.lexRegion).toBe(W);
  });

  it.each([
    ['throttled', 'throttled'],
    ['notfound', 'not-found'],
    ['hang', 'timeout'],
    ['slow', 'slow'],
  ] as const)('counts a %s primary as a failure with reason %s', async (mode, reason) => {
    sys.lex[E]!.setFault({ mode, latencyMs: 600 });
    await cycles(sys, 2);
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(W);
    expect(item?.regionHealth[E]?.reason).toBe(reason);
    expect(item?.lastChange?.detail).toContain(reason);
  });

  it('runs a drill through the same decision and write path without calling the drilled bot', async () => {
    const calls = () => Object.values(sys.lex[E]!.stats()).reduce((a, b) => a + b, 0);
    const before = calls();
    const r = await sys.runExecution({ drill: { failRegions: [E], reason: 'game day' }, cycles: 2 });
    expect(r.status).toBe('SUCCEEDED');
    expect(calls()).toBe(before);
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(W);
    expect(item?.lastChange).toMatchObject({ from: E, to: W, reason: 'failover', drill: true });
    expect(item?.regionHealth[E]?.reason).toBe('drill');
  });

  it('keeps drilled regions failed in executions running alongside a drill (the schedule), until its lease ends', async () => {
    // What a drill execution holds in the item between its cycles: its regions, with a short lease.
    const lease = {
      failRegions: [E],
      until: new Date(sys.clock().getTime() + 20_000).toISOString(),
      execution: 'drill-1',
    };
    await sys.dynamo.client.send(
      new UpdateItemCommand({
        TableName: 'lexDR',
        Key: { connectRegion: { S: E } },
        UpdateExpression: 'SET drill = :d',
        ExpressionAttributeValues: { ':d': { M: marshall(lease) } },
      }),
    );
    // The scheduled executions' probes of us-east-1 pass, but the drill still counts.
    await cycles(sys, 2);
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(W);
    expect(item?.lastChange).toMatchObject({ from: E, to: W, reason: 'failover', drill: true });
    expect(item?.drill).toEqual(lease);
    await sys.dynamo.client.send(
      new UpdateItemCommand({ TableName: 'lexDR', Key: { connectRegion: { S: E } }, UpdateExpression: 'REMOVE drill' }),
    );
  });

  it('ends the drill with the drill execution (its last cycle clears the lease)', async () => {
    const r = await sys.runExecution({ drill: { failRegions: [E] }, cycles: 2 });
    expect(r.status).toBe('SUCCEEDED');
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(W);
    expect(item?.drill).toBeNull();
  });

  it('rejects a malformed drill input with a clear error', async () => {
    const r = await sys.runExecution({ drill: { failRegions: ['mars-north-1'] } });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('InvalidInputError');
    expect(r.cause).toContain('drill.failRegions.0');
  });

  it('keeps a pinned region while it is healthy, and breaks the pin when it fails', async () => {
    const item = await sys.readItem();
    await sys.dynamo.client.send(
      new UpdateItemCommand({
        TableName: 'lexDR',
        Key: { connectRegion: { S: E } },
        UpdateExpression: 'SET pin = :pin, version = version + :one',
        ExpressionAttributeValues: {
          ':pin': {
            M: marshall({ region: W, until: new Date(Date.now() + 3600_000).toISOString(), by: 'ops', reason: 'test' }),
          },
          ':one': { N: '1' },
        },
      }),
    );
    await cycles(sys, 1);
    let now = await sys.readItem();
    expect(now?.lexRegion).toBe(W);
    expect(now?.lastChange).toMatchObject({ to: W, reason: 'pinned' });
    await cycles(sys, 3);
    expect((await sys.readItem())?.lexRegion).toBe(W);
    sys.lex[W]!.setFault({ mode: 'down' });
    await cycles(sys, 2);
    now = await sys.readItem();
    expect(now?.lexRegion).toBe(E);
    expect(now?.pin).toBeNull();
    expect(now?.lastChange).toMatchObject({ from: W, to: E, reason: 'pin-broken' });
    expect(item).not.toBeNull();
  });

  it('leaves the same table state when the same execution runs twice', async () => {
    sys.lex[E]!.setFault({ mode: 'down' });
    await cycles(sys, 1);
    const first = await sys.runExecution({ cycles: 1 }, { name: 'repeat-me' });
    const afterFirst = await sys.readItem();
    const historyFirst = await sys.history();
    const second = await sys.runExecution({ cycles: 1 }, { name: 'repeat-me' });
    expect(first.status).toBe('SUCCEEDED');
    expect(second.status).toBe('SUCCEEDED');
    const afterSecond = await sys.readItem();
    expect(afterSecond?.lexRegion).toBe(afterFirst?.lexRegion);
    expect(afterSecond?.regionHealth).toEqual(afterFirst?.regionHealth);
    expect(await sys.history()).toHaveLength(historyFirst.length);
  });

  it("keeps no listener on a caller's abort signal once an execution ended (a schedule shares one signal)", async () => {
    const schedule = new AbortController();
    for (let i = 0; i < 12; i += 1)
      expect((await sys.runExecution({ cycles: 1 }, { signal: schedule.signal })).status).toBe('SUCCEEDED');
    expect(getEventListeners(schedule.signal, 'abort')).toHaveLength(0);
  });

  it('fails the execution (after its metrics) when a change cannot reach the history table, keeping lastChange', async () => {
    sys.lex[E]!.setFault({ mode: 'down' });
    sys.dynamo.setFault({ mode: 'throttled', operations: ['PutItem'] });
    const historyBefore = (await sys.history()).length;
    let r;
    try {
      r = await sys.runExecution({ cycles: 3 });
    } finally {
      sys.dynamo.setFault({ mode: 'none' });
    }
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('HistoryNotRecorded');
    expect(r.path).toEqual(expect.arrayContaining(['History not recorded', 'Publish metrics']));
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(W);
    expect(item?.lastChange).toMatchObject({ from: E, to: W, reason: 'failover' });
    expect(await sys.history()).toHaveLength(historyBefore);
    expect(sys.cloudwatch.datapoints({ metric: 'RegionChanges' }).find((p) => p.value === 1)?.count).toBe(1);
  });

  it('still writes when the stored version is not a number (a hand-edited item cannot freeze lexDR)', async () => {
    await sys.dynamo.client.send(
      new UpdateItemCommand({
        TableName: 'lexDR',
        Key: { connectRegion: { S: E } },
        UpdateExpression: 'SET version = :v',
        ExpressionAttributeValues: { ':v': { S: 'garbage' } },
      }),
    );
    sys.lex[E]!.setFault({ mode: 'down' });
    await cycles(sys, 2);
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(W);
    expect(item?.version).toBeGreaterThan(0);
  });

  it('publishes probe success and latency per region, the active region index and region changes', async () => {
    sys.lex[E]!.setFault({ mode: 'down' });
    const r = await sys.runExecution({ cycles: 2 });
    expect(r.status).toBe('SUCCEEDED');
    const pts = sys.cloudwatch.datapoints();
    expect(pts.every((p) => p.namespace === 'lexdr')).toBe(true);
    const success = (region: string) =>
      sys.cloudwatch.datapoints({ metric: 'ProbeSuccess', dimensions: { Region: region, Bot: 'OrderFlowers' } });
    // Cycle 0 probes both regions and confirms the failed primary (one more probe of it); cycle 1 probes both.
    expect(success(E)).toEqual([expect.objectContaining({ value: 0, count: 3 })]);
    expect(success(W)).toEqual([expect.objectContaining({ value: 1, count: 2 })]);
    // Latency per region (not per bot): five probes, each counted once, in milliseconds.
    const latency = sys.cloudwatch.datapoints({ metric: 'ProbeLatency' });
    expect(latency.every((p) => p.unit === 'Milliseconds')).toBe(true);
    expect(latency.map((p) => Object.keys(p.dimensions).sort().join())).toContain('ConnectRegion,Region');
    expect(latency.some((p) => 'Bot' in p.dimensions)).toBe(false);
    expect(latency.filter((p) => p.dimensions.Region === W).reduce((n, p) => n + p.count, 0)).toBe(2);
    const active = sys.cloudwatch.datapoints({ metric: 'ActiveRegionIndex', dimensions: { ConnectRegion: E } });
    expect(active.map((p) => [p.value, p.count]).sort()).toEqual([
      [0, 1],
      [1, 2],
    ]);
    const changes = sys.cloudwatch.datapoints({ metric: 'RegionChanges' });
    expect(changes.find((p) => p.value === 1)?.count).toBe(1);
    expect(sys.cloudwatch.datapoints({ metric: 'NoHealthyRegion' }).every((p) => p.value === 0)).toBe(true);
  });

  it('calls every Task binding of the ASL in a failover run (no state silently skipped)', async () => {
    for (const k of Object.keys(sys.runner.calls)) sys.runner.calls[k] = 0;
    sys.lex[E]!.setFault({ mode: 'down' });
    const r = await sys.runExecution({ cycles: 3 });
    expect(r.status).toBe('SUCCEEDED');
    expect(sys.runner.calls).toEqual({
      'Plan first cycle': 1,
      Probe: 7,
      'Read lexDR': 4,
      Decide: 4,
      'Switch region': 1,
      'Record the change': 1,
      'Save health counters': expect.any(Number),
      'Prepare metrics': 1,
      'Publish metrics': 1,
    });
    expect(sys.runner.calls['Save health counters']).toBeGreaterThanOrEqual(1);
    expect(r.path).toContain('Wait for the next cycle');
    expect(r.path).toContain('Wait to confirm');
  });
});

describe('a wrong intent seen only by the NLU probe, with NLU every minute', () => {
  let nlu: LocalSystem;
  beforeAll(async () => {
    nlu = await startFast({
      connectRegion: E,
      regions: [E, W],
      cadenceSeconds: 10,
      failThreshold: 2,
      recoverThreshold: 3,
      probe: { method: 'liveness', nluEveryMinutes: 1, timeoutMs: 1000, latencyBudgetMs: 600 },
    });
    await cycles(nlu, 2);
  });
  afterAll(async () => {
    await nlu?.close();
  });

  it('fails the region over within the minute: the NLU failure is re-checked at once and stays in force', async () => {
    nlu.lex[E]!.setFault({ mode: 'wrongintent' });
    const r = await nlu.runExecution({}); // one scheduled minute: its NLU cycle, then liveness cycles
    expect(r.status).toBe('SUCCEEDED');
    const item = await nlu.readItem();
    expect(item?.lexRegion).toBe(W);
    expect(item?.lastChange).toMatchObject({ from: E, to: W, reason: 'failover' });
    expect(item?.lastChange?.detail).toContain('wrong-intent');
    expect(item?.regionHealth[E]).toMatchObject({ nluFailed: true });
    expect(await nlu.history()).toHaveLength(1);
  });
});
