/**
 * The decision core under lexdr's own failures: a probe that could not run, a wrong intent seen by NLU only, a
 * blip beside a failing primary, a repeated or overlapping execution, a drill that cannot fit. Each round goes
 * through `decideCycle` and a model of the state machine's writes (the item is written from the decision's
 * attribute values, as the ASL's UpdateItem does), so what is asserted is what the table would hold.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { WORKFLOW_TIMEOUT_SECONDS } from '../../core/aws-limits';
import type { CycleState } from '../../core/health-core';
import { decideCycle, evaluate, maxCycles, metricDataFor, planFirstCycle, readItem } from '../../core/health-core';
import type { DrItem } from '../../core/dr-item';
import type { ProbeReason, ProbeResult, ProbeTarget } from '../../core/probe-core';
import type { Settings } from '../../core/settings';
import { settingsFor } from './settings-fixture';

const E = 'us-east-1';
const W = 'us-west-2';
const EU = 'eu-west-2';

type Outcome = ProbeReason; // 'ok' passes
/** What each probe answers in a round: region → outcome (a function of the probe for NLU-aware cases). */
type World = (t: ProbeTarget) => Outcome;

const result = (t: ProbeTarget, outcome: Outcome): ProbeResult => ({
  bot: t.bot,
  region: t.region,
  method: t.method,
  ok: outcome === 'ok',
  reason: outcome,
  latencyMs: outcome === 'probe-error' ? -1 : 10,
});

/** The table, as the state machine writes it: an item rebuilt from a decision's attribute values. */
class Table {
  raw: Record<string, AttributeValue> | undefined;
  writes = 0;
  history = new Map<string, unknown>();
  constructor(readonly settings: Settings) {}
  item(): DrItem | null {
    return readItem(this.raw, this.settings);
  }
  apply(s: CycleState): void {
    const d = s.decision!;
    if (d.write === 'none') return;
    const v = d.values;
    this.raw = {
      ...this.raw,
      connectRegion: { S: d.key },
      lexRegion: d.write === 'switch' || !this.raw?.lexRegion ? v.to : this.raw.lexRegion,
      regionHealth: v.health,
      pin: v.pin,
      drill: v.drill,
      blind: v.blind,
      version: v.next,
      lastWrite: v.token,
      ...(d.write === 'switch' ? { lastChange: v.change } : {}),
    };
    this.writes += 1;
    if (d.history) this.history.set(d.history.changeId!.S!, d.history);
  }
}

const T0 = Date.parse('2026-11-20T12:00:00.000Z');

/**
 * Runs one execution of `cycles` cycles started at `startedAt`, each round probed by `world`, each decision at its
 * round's time (confirmations a second apart), against `table`. Returns the states decided.
 */
function execute(
  settings: Settings,
  table: Table,
  world: World,
  o: { startedAt?: number; cycles?: number; input?: Record<string, unknown>; id?: string } = {},
): CycleState[] {
  const startedAt = o.startedAt ?? T0;
  const id = `arn:aws:states:${E}:1:execution:m:${o.id ?? `x${startedAt}`}`;
  let s = planFirstCycle(
    settings,
    { cycles: o.cycles ?? 1, ...o.input },
    { id, startedAt: new Date(startedAt).toISOString() },
  );
  const out: CycleState[] = [];
  for (let guard = 0; !s.done && guard < 100; guard += 1) {
    const now = new Date(Date.parse(s.cycle.at) + s.cycle.attempt * 1000 + 100);
    const probes = s.targets.map((t) => result(t, world(t)));
    s = decideCycle(settings, { ...s, probes, stored: { ...(table.raw ? { Item: table.raw } : {}) } }, now);
    table.apply(s);
    out.push(s);
  }
  return out;
}

const byRegion =
  (m: Record<string, Outcome>): World =>
  (t) =>
    m[t.region] ?? 'ok';

describe('a probe that could not run is no observation', () => {
  const settings = settingsFor([E, W]);

  it('leaves every counter and the active region alone when no probe can run, and says the check is blind', () => {
    const table = new Table(settings);
    execute(settings, table, () => 'ok', { cycles: 3 });
    const healthy = table.item()!;
    const states = execute(settings, table, () => 'probe-error', { startedAt: T0 + 60_000, cycles: 6 });
    const item = table.item()!;
    expect(item.lexRegion).toBe(E);
    expect(item.regionHealth).toEqual(healthy.regionHealth);
    expect(item.blind).toMatchObject({ regions: [E, W] });
    expect(states.every((s) => s.decision!.change === null)).toBe(true);
    // No ProbeSuccess from a probe that did not run; ProbeErrors counts them.
    const last = metricDataFor(E, states.at(-1)!.metrics);
    expect(last.find((m) => m.MetricName === 'ProbeSuccess')).toBeUndefined();
    const errors = last.filter((m) => m.MetricName === 'ProbeErrors');
    expect(errors.reduce((n, m) => n + m.Values.reduce((a, v, i) => a + v * m.Counts[i]!, 0), 0)).toBe(12);
  });

  it('never writes err while a region could not be observed: callers stay where they are', () => {
    const table = new Table(settings);
    execute(settings, table, () => 'ok', { cycles: 3 });
    // The primary really fails; the secondary's probe function is throttled.
    execute(settings, table, byRegion({ [E]: 'server-error', [W]: 'probe-error' }), {
      startedAt: T0 + 60_000,
      cycles: 3,
    });
    const item = table.item()!;
    // The secondary's counters say it is healthy (it was never seen failing): it takes the callers.
    expect(item.lexRegion).toBe(W);
    expect(item.lastChange).toMatchObject({ from: E, to: W, reason: 'failover' });
  });

  it('holds the active region instead of err when every region failed but one could not be probed this round', () => {
    const table = new Table(settings);
    execute(settings, table, byRegion({ [W]: 'server-error' }), { cycles: 3 }); // the secondary is down
    expect(table.item()!.regionHealth[W]!.fails).toBe(2);
    // Now the primary fails for real too, while the secondary's probes cannot run.
    execute(settings, table, byRegion({ [E]: 'server-error', [W]: 'probe-error' }), {
      startedAt: T0 + 60_000,
      cycles: 3,
    });
    expect(table.item()!.lexRegion).toBe(E);
    // Both reached and failed: now err is the truth.
    execute(settings, table, byRegion({ [E]: 'server-error', [W]: 'server-error' }), { startedAt: T0 + 120_000 });
    expect(table.item()!.lexRegion).toBe('err');
  });

  it('treats lexdr’s own access and request errors as no observation too', () => {
    const table = new Table(settings);
    execute(settings, table, byRegion({ [E]: 'access-denied' }), { cycles: 6 });
    expect(table.item()!.lexRegion).toBe(E);
    expect(table.item()!.regionHealth[E]!.fails).toBe(0);
  });
});

describe('NLU failures count until an NLU probe passes', () => {
  // Liveness every cycle, NLU every 360 cycles (hourly): cycle 0 of this start is an NLU cycle.
  const settings = settingsFor([E, W], { nluEveryCycles: 360 });
  const nluStart = Math.ceil(T0 / 3_600_000) * 3_600_000;

  it('fails over a region whose NLU recognises the wrong intent, though its liveness probes pass', () => {
    const table = new Table(settings);
    execute(settings, table, () => 'ok', { startedAt: nluStart - 60_000, cycles: 6 });
    const wrongIntentE: World = (t) => (t.region === E && t.method === 'nlu' ? 'wrong-intent' : 'ok');
    const states = execute(settings, table, wrongIntentE, { startedAt: nluStart, cycles: 2 });
    expect(states[0]!.targets.find((t) => t.region === E)?.method).toBe('nlu'); // re-checked by NLU at once
    const item = table.item()!;
    expect(item.lexRegion).toBe(W);
    expect(item.lastChange).toMatchObject({ from: E, to: W, reason: 'failover' });
    expect(item.regionHealth[E]).toMatchObject({ reason: 'wrong-intent', nluFailed: true });
  });

  it('keeps a wrong intent in force on liveness passes, and re-checks it by NLU in the next cycle', () => {
    const s = settingsFor([E, W], { nluEveryCycles: 360, confirmFailures: false });
    const table = new Table(s);
    execute(s, table, () => 'ok', { startedAt: nluStart - 60_000, cycles: 6 });
    const wrongIntentE: World = (t) => (t.region === E && t.method === 'nlu' ? 'wrong-intent' : 'ok');
    const states = execute(s, table, wrongIntentE, { startedAt: nluStart, cycles: 3 });
    expect(states[0]!.targets.filter((t) => t.region === E).map((t) => t.method)).toEqual(['nlu']);
    expect(table.item()!.lexRegion).toBe(W);
    expect(table.history.size).toBe(1);
  });

  it('clears the wrong intent when an NLU probe passes again', () => {
    const table = new Table(settings);
    execute(settings, table, () => 'ok', { startedAt: nluStart - 60_000, cycles: 6 });
    execute(settings, table, (t) => (t.region === E && t.method === 'nlu' ? 'wrong-intent' : 'ok'), {
      startedAt: nluStart,
      cycles: 1,
    });
    expect(table.item()!.regionHealth[E]!.nluFailed).toBe(true);
    // A new execution's first round probes by liveness (its plan has not read the item): the wrong intent stays in
    // force; its decision re-checks the region by NLU in the next round, which passes.
    const states = execute(settings, table, () => 'ok', { startedAt: nluStart + 10_000, cycles: 2 });
    expect(states[0]!.targets.filter((t) => t.region === E).map((t) => t.method)).toEqual(['nlu']);
    expect(table.item()!.regionHealth[E]).toMatchObject({ nluFailed: false, fails: 0 });
  });
});

describe('the failover target is chosen by its counters', () => {
  it('moves to a secondary that blipped once in the same cycle, never to err', () => {
    const settings = settingsFor([E, W], { confirmFailures: false });
    const table = new Table(settings);
    execute(settings, table, () => 'ok', { cycles: 4 });
    execute(settings, table, byRegion({ [E]: 'server-error' }), { startedAt: T0 + 60_000 });
    execute(settings, table, byRegion({ [E]: 'server-error', [W]: 'timeout' }), { startedAt: T0 + 70_000 });
    expect(table.item()!.lexRegion).toBe(W);
    expect(table.item()!.regionHealth[W]!.fails).toBe(1);
  });

  it('prefers a recovered lower-priority region to a flapping higher-priority one', () => {
    const settings = settingsFor([E, W, EU]);
    const stored: DrItem = {
      connectRegion: E,
      lexRegion: E,
      version: 5,
      regionHealth: {
        [E]: { fails: 1, passes: 0, reason: 'server-error', seen: 1, nluFailed: false },
        [W]: { fails: 0, passes: 1, reason: 'ok', seen: 1, nluFailed: false },
        [EU]: { fails: 0, passes: 3, reason: 'ok', seen: 1, nluFailed: false },
      },
      pin: null,
      drill: null,
      blind: null,
    };
    const probe = (region: string, ok: boolean): ProbeResult => ({
      bot: 'OrderFlowers',
      region,
      method: 'liveness',
      ok,
      reason: ok ? 'ok' : 'server-error',
      latencyMs: 5,
    });
    const r = evaluate(settings, stored, [probe(E, false), probe(W, true), probe(EU, true)], new Date(T0));
    expect(r.change).toMatchObject({ from: E, to: EU, reason: 'failover' });
  });
});

describe('repeats and overlaps cannot count twice', () => {
  const settings = settingsFor([E, W], { confirmFailures: false });

  it('counts one observation per region per cadence slot across overlapping executions', () => {
    const table = new Table(settings);
    execute(settings, table, () => 'ok', { cycles: 4 });
    // Two executions 4 s apart, both in the same 10 s slot, both see the primary fail once.
    execute(settings, table, byRegion({ [E]: 'server-error' }), { startedAt: T0 + 60_000, id: 'a' });
    execute(settings, table, byRegion({ [E]: 'server-error' }), { startedAt: T0 + 64_000, id: 'b' });
    expect(table.item()!.regionHealth[E]!.fails).toBe(1);
    expect(table.item()!.lexRegion).toBe(E);
    // The next slot is a second observation: now it fails over.
    execute(settings, table, byRegion({ [E]: 'server-error' }), { startedAt: T0 + 70_000, id: 'c' });
    expect(table.item()!.lexRegion).toBe(W);
  });

  it('gives a repeated decision of the same round the same history key and write token', () => {
    const plan = planFirstCycle(
      settings,
      { cycles: 1 },
      { id: 'arn:x:execution:m:r', startedAt: new Date(T0).toISOString() },
    );
    const stored: Record<string, AttributeValue> = {
      connectRegion: { S: E },
      lexRegion: { S: E },
      version: { N: '3' },
      regionHealth: {
        M: { [E]: { M: { fails: { N: '1' }, passes: { N: '0' }, reason: { S: 'server-error' }, seen: { N: '0' } } } },
      },
    };
    const probes = plan.targets.map((t) => result(t, t.region === E ? 'server-error' : 'ok'));
    const a = decideCycle(settings, { ...plan, probes, stored: { Item: stored } }, new Date(T0 + 300));
    const b = decideCycle(settings, { ...plan, probes, stored: { Item: stored } }, new Date(T0 + 2700));
    expect(a.decision!.write).toBe('switch');
    expect(a.decision!.history!.changeId).toEqual(b.decision!.history!.changeId);
    expect(a.decision!.values.token).toEqual(b.decision!.values.token);
  });

  it('skips the cycles a late execution missed instead of racing through them', () => {
    const table = new Table(settings);
    execute(settings, table, () => 'ok', { cycles: 4 });
    let s = planFirstCycle(
      settings,
      {},
      { id: 'arn:x:execution:m:late', startedAt: new Date(T0 + 60_000).toISOString() },
    );
    // Its first decision happens 35 s after its start (it was held up): the next cycle is the one of now.
    const probes = s.targets.map((t) => result(t, t.region === E ? 'server-error' : 'ok'));
    s = decideCycle(settings, { ...s, probes, stored: { Item: table.raw! } }, new Date(T0 + 95_000));
    expect(s.cycle.index).toBe(3);
  });
});

describe('drills fit the execution', () => {
  const settings = settingsFor([E, W]);

  it('rejects more cycles than finish inside the state machine timeout, naming the limit', () => {
    const most = maxCycles(settings);
    expect(most).toBeGreaterThanOrEqual(6);
    expect(() =>
      planFirstCycle(
        settings,
        { drill: { failRegions: [E] }, cycles: 30 },
        { id: 'x', startedAt: new Date(T0).toISOString() },
      ),
    ).toThrow(new RegExp(`at most ${most} cycles fit one execution.*${WORKFLOW_TIMEOUT_SECONDS} s timeout`));
    expect(() =>
      planFirstCycle(settings, { cycles: most }, { id: 'x', startedAt: new Date(T0).toISOString() }),
    ).not.toThrow();
  });
});
