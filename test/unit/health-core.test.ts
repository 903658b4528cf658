import {
  decideCycle,
  emptyTally,
  evaluate,
  metricDataFor,
  planFirstCycle,
  tallyProbes,
  targetsFor,
} from '../../core/health-core';
import { VALUES_PER_DATUM } from '../../core/aws-limits';
import { roundLatency } from '../../core/cycle-metrics';
import type { DrItem } from '../../core/health-core';
import type { ProbeResult } from '../../core/probe-core';
import { settingsFor } from './settings-fixture';

const settings = settingsFor(['us-east-1', 'us-west-2', 'eu-west-2'], { nluEveryCycles: 6, lookupCacheSeconds: 5 });
const NOW = new Date('2026-11-20T12:00:00Z');
const results = (ok: Record<string, boolean>): ProbeResult[] =>
  Object.entries(ok).map(([region, pass]) => ({
    bot: 'OrderFlowers',
    region,
    method: 'liveness',
    ok: pass,
    reason: pass ? 'ok' : 'server-error',
    latencyMs: 20,
  }));

/** Runs the pure decision over a sequence of cycles, feeding each item into the next. */
function run(seq: Record<string, boolean>[], start: DrItem | null = null, now = NOW) {
  let item = start;
  const changes = [];
  for (const s of seq) {
    const r = evaluate(settings, item, results(s), now);
    item = { ...r.item, version: (item?.version ?? 0) + (r.write === 'none' ? 0 : 1) };
    if (r.change) changes.push(r.change);
  }
  return { item: item!, changes };
}
const up = { 'us-east-1': true, 'us-west-2': true, 'eu-west-2': true };
const eDown = { 'us-east-1': false, 'us-west-2': true, 'eu-west-2': true };
const allDown = { 'us-east-1': false, 'us-west-2': false, 'eu-west-2': false };

describe('evaluate (hysteresis)', () => {
  it('stays on the primary through a single failed probe', () => {
    const { item, changes } = run([up, eDown, up]);
    expect(item.lexRegion).toBe('us-east-1');
    expect(changes).toEqual([]);
  });

  it('fails over to the next region in priority order after failThreshold failures', () => {
    const { item, changes } = run([up, eDown, eDown]);
    expect(item.lexRegion).toBe('us-west-2');
    expect(changes).toEqual([expect.objectContaining({ from: 'us-east-1', to: 'us-west-2', reason: 'failover' })]);
  });

  it('skips a failing secondary and picks the third region', () => {
    const { item } = run([
      { 'us-east-1': false, 'us-west-2': false, 'eu-west-2': true },
      { 'us-east-1': false, 'us-west-2': false, 'eu-west-2': true },
    ]);
    expect(item.lexRegion).toBe('eu-west-2');
  });

  it('answers err when no region is healthy', () => {
    const { item, changes } = run([allDown, allDown]);
    expect(item.lexRegion).toBe('err');
    expect(changes.at(-1)?.reason).toBe('no-healthy-region');
  });

  it('fails back only after recoverThreshold consecutive passes, not on an intermittent primary', () => {
    const { item, changes } = run([eDown, eDown, up, up, eDown, up, up]);
    expect(item.lexRegion).toBe('us-west-2');
    expect(changes).toHaveLength(1);
    const after = run([up], item);
    expect(after.item.lexRegion).toBe('us-east-1');
    expect(after.changes[0]?.reason).toBe('failback');
  });

  it('needs no write once counters saturate', () => {
    const { item } = run([up, up, up]);
    const r = evaluate(settings, item, results(up), NOW);
    expect(r.write).toBe('none');
  });

  it('keeps a pinned region while healthy and breaks the pin when it fails', () => {
    const base = run([up, up, up]).item;
    const pinned: DrItem = {
      ...base,
      pin: { region: 'eu-west-2', until: '2026-11-20T13:00:00Z', by: 'ops', reason: 'maintenance' },
    };
    const p1 = evaluate(settings, pinned, results(up), NOW);
    expect(p1.item.lexRegion).toBe('eu-west-2');
    expect(p1.change?.reason).toBe('pinned');
    const broken = run(
      [
        { ...up, 'eu-west-2': false },
        { ...up, 'eu-west-2': false },
      ],
      p1.item,
    );
    expect(broken.item.lexRegion).toBe('us-east-1');
    expect(broken.item.pin).toBeNull();
    expect(broken.changes.at(-1)?.reason).toBe('pin-broken');
  });

  it('counts an active drill’s regions as failed even when their probes pass, until it ends', () => {
    const base = run([up, up, up]).item;
    const drill = { failRegions: ['us-east-1'], until: '2026-11-20T12:01:00Z', execution: 'x' };
    const r1 = evaluate(settings, base, results(up), NOW, { drill });
    const r2 = evaluate(settings, { ...r1.item, version: 1 }, results(up), NOW, { drill });
    expect(r2.item.lexRegion).toBe('us-west-2');
    expect(r2.item.regionHealth['us-east-1']?.reason).toBe('drill');
    expect(r2.item.drill).toEqual(drill);
  });

  it('holds a drill execution’s regions as a lease renewed every cycle, cleared by its last cycle', () => {
    const exec = { id: 'arn:aws:states:us-east-1:1:execution:m:d1', startedAt: '2026-11-20T12:00:00.000Z' };
    let s = planFirstCycle(settings, { drill: { failRegions: ['us-east-1'] }, cycles: 2 }, exec);
    s = decideCycle(settings, { ...s, probes: results(up) }, NOW);
    expect(s.decision?.values.drill).toMatchObject({ M: { until: { S: '2026-11-20T12:00:20.000Z' } } });
    // The drilled region failed once: the next round confirms it inside the same cycle, still under the lease.
    expect(s.cycle).toMatchObject({ index: 0, attempt: 1 });
    s = decideCycle(settings, { ...s, probes: results(up) }, NOW);
    expect(s.decision?.values.drill).toMatchObject({ M: { until: { S: '2026-11-20T12:00:20.000Z' } } });
    expect(s.cycle).toMatchObject({ index: 1, attempt: 0 });
    s = decideCycle(settings, { ...s, probes: results(up) }, NOW);
    expect(s.cycle.index).toBe(1);
    s = decideCycle(settings, { ...s, probes: results(up) }, NOW);
    expect(s.done).toBe(true);
    expect(s.decision?.values.drill).toEqual({ NULL: true });
  });

  it('drops an expired pin', () => {
    const base = run([up, up, up]).item;
    const expired: DrItem = {
      ...base,
      lexRegion: 'us-west-2',
      pin: { region: 'us-west-2', until: '2026-11-20T11:00:00Z', by: 'ops', reason: 'x' },
    };
    const r = evaluate(settings, expired, results(up), NOW);
    expect(r.item.pin).toBeNull();
    expect(r.item.lexRegion).toBe('us-east-1');
  });
});

describe('planning and cycles', () => {
  const exec = { id: 'arn:aws:states:us-east-1:1:execution:m:e1', startedAt: '2026-11-20T12:00:00.000Z' };

  it('probes every region in priority order, drilled regions marked', () => {
    const t = targetsFor(settings, false, ['us-west-2']);
    expect(t.map((x) => [x.region, x.drillFail ?? false, x.method])).toEqual([
      ['us-east-1', false, 'liveness'],
      ['us-west-2', true, 'liveness'],
      ['eu-west-2', false, 'liveness'],
    ]);
  });

  it('uses NLU on every nluEveryCycles-th cycle of wall-clock time', () => {
    const s = planFirstCycle(settings, {}, exec);
    expect(s.cycle).toMatchObject({ index: 0, of: 6, nlu: true });
    expect(s.targets[0]?.method).toBe('nlu');
  });

  it('rejects unknown input keys and unknown drill regions with the value received', () => {
    expect(() => planFirstCycle(settings, { drill: { failRegions: ['xx-1'] } }, exec)).toThrow(
      /drill.failRegions.0: got "xx-1"/,
    );
    expect(() => planFirstCycle(settings, { bogus: 1 }, exec)).toThrow(/InvalidInputError|invalid execution input/);
  });

  it('accepts the Step Functions console placeholder input', () => {
    expect(planFirstCycle(settings, { Comment: 'Insert your JSON here' }, exec).drill).toBeNull();
  });

  it('schedules cycles at start + index × cadence and ends after `of` cycles', () => {
    let s = planFirstCycle(settings, { cycles: 2 }, exec);
    s = decideCycle(settings, { ...s, probes: results(up) }, NOW);
    expect(s.cycle.at).toBe('2026-11-20T12:00:10.000Z');
    expect(s.done).toBe(false);
    s = decideCycle(settings, { ...s, probes: results(up) }, NOW);
    expect(s.done).toBe(true);
  });

  it('decides nothing when lexDR could not be read, keeping probe metrics only', () => {
    const s = planFirstCycle(settings, {}, exec);
    const out = decideCycle(settings, { ...s, probes: results(allDown), readError: { Error: 'x' } }, NOW);
    expect(out.decision?.write).toBe('none');
    const names = metricDataFor(out.connectRegion, out.metrics).map((m) => m.MetricName);
    expect(names).toContain('ProbeSuccess');
    expect(names).not.toContain('ActiveRegionIndex');
  });
});

describe('the metric tally', () => {
  const probe = (region: string, bot: string, ok: boolean, latencyMs: number) => ({
    bot,
    region,
    method: 'liveness' as const,
    ok,
    reason: ok ? ('ok' as const) : ('server-error' as const),
    latencyMs,
  });

  it('counts passes and failures per bot and region, latency per region, and makes MetricData of them', () => {
    let t = tallyProbes(emptyTally(), [probe('a', 'B1', true, 12), probe('a', 'B2', false, 12)], () => true);
    t = tallyProbes(t, [probe('a', 'B1', true, 1234), probe('b', 'B1', true, 40)], () => true);
    expect(t.success).toEqual({ a: { B1: [2, 0], B2: [0, 1] }, b: { B1: [1, 0] } });
    expect(t.latency).toEqual({
      a: [
        [12, 2],
        [1200, 1],
      ],
      b: [[40, 1]],
    });
    const data = metricDataFor('x', t);
    const b1a = data.find(
      (d) => d.MetricName === 'ProbeSuccess' && d.Dimensions.some((x) => x.Name === 'Bot' && x.Value === 'B1'),
    );
    expect(b1a).toEqual({
      MetricName: 'ProbeSuccess',
      Dimensions: [
        { Name: 'ConnectRegion', Value: 'x' },
        { Name: 'Bot', Value: 'B1' },
        { Name: 'Region', Value: 'a' },
      ],
      Unit: 'None',
      Values: [1],
      Counts: [2],
    });
    const latencyA = data.find((d) => d.MetricName === 'ProbeLatency' && d.Dimensions[1]!.Value === 'a');
    expect(latencyA).toMatchObject({ Unit: 'Milliseconds', Values: [12, 1200], Counts: [2, 1] });
    expect(latencyA!.Dimensions.map((d) => d.Name)).toEqual(['ConnectRegion', 'Region']);
  });

  it('counts a probe that could not run in ProbeErrors only', () => {
    const t = tallyProbes(emptyTally(), [probe('a', 'B1', false, -1)], () => false);
    expect(t.success).toEqual({});
    expect(metricDataFor('x', t)).toEqual([
      {
        MetricName: 'ProbeErrors',
        Dimensions: [
          { Name: 'ConnectRegion', Value: 'x' },
          { Name: 'Region', Value: 'a' },
        ],
        Unit: 'Count',
        Values: [1],
        Counts: [1],
      },
    ]);
  });

  it("keeps two significant digits of a latency, and splits a datum at CloudWatch's 150 values", () => {
    expect([0, 7, 99, 100, 104, 105, 999, 1049, 1050, 20_000].map(roundLatency)).toEqual([
      0, 7, 99, 100, 100, 110, 1000, 1000, 1100, 20_000,
    ]);
    // 180 distinct values: 100, 110 … 990 and 1000, 1100 … 9900 ms.
    const many = Array.from({ length: 90 }, (_, i) => [(i + 10) * 10, (i + 10) * 100]).flatMap(([a, b]) => [
      probe('a', 'B1', true, a!),
      probe('a', 'B1', true, b!),
    ]);
    const data = metricDataFor(
      'x',
      tallyProbes(emptyTally(), many, () => true),
    ).filter((d) => d.MetricName === 'ProbeLatency');
    expect(data.map((d) => d.Values.length)).toEqual([VALUES_PER_DATUM, 180 - VALUES_PER_DATUM]);
    expect(data.flatMap((d) => d.Counts).reduce((a, b) => a + b, 0)).toBe(180);
    expect(data.every((d) => d.Values.length === d.Counts.length && d.Values.length <= VALUES_PER_DATUM)).toBe(true);
  });
});
