/**
 * Anti-flapping soak on a simulated clock with the default thresholds (leave after 2 failed cycles, come back
 * after 30 clean ones). Through the real ASL with the real handlers, one execution per simulated minute of 6
 * cycles at 10 s, exactly as the schedule runs it; Wait states take 0 ms and the health check's clock advances
 * 10 s per cycle.
 *
 * The full simulated hour of a flaky primary runs on the pure decision core (`evaluate`, the function the
 * workflow's Decide step calls), because 360 cycles through the workflow cost 12–40 s depending on the machine's
 * load — too much for `npm test`. Its first 10 minutes, and the hard outage, run through the real workflow.
 */
import type { CycleState, DrItem, RegionChange } from '../../core/health-core';
import { evaluate } from '../../core/health-core';
import type { ProbeResult } from '../../core/probe-core';
import type { LocalSystem } from '../../local/system';
import { startLocalSystem } from '../../local/system';
import { changeKey, metricValues, resetSystem, seeded, sum } from './helpers';

const E = 'us-east-1';
const W = 'us-west-2';
const CADENCE_S = 10;
const START = Date.parse('2026-11-02T09:00:00.000Z');

interface CycleLog {
  at: number;
  /** 0: a cycle's probe round; 1: its confirmation of a failure, a second later. */
  attempt: number;
  primaryFaulted: boolean;
  probesOk: Record<string, boolean>;
  to: string;
  change: RegionChange | null;
}

describe('anti-flapping soak (simulated clock, default thresholds)', () => {
  let sys: LocalSystem;
  let clock = START;
  /** Start of the current cycle on the simulated clock. */
  let cycleStart = START;
  /** Decides the primary's fault for a round of cycle `index` (every round draws anew); set per scenario. */
  let faultFor: (index: number) => boolean = () => false;
  let log: CycleLog[] = [];

  beforeAll(async () => {
    sys = await startLocalSystem({
      config: {
        connectRegion: E,
        regions: [E, W],
        cadenceSeconds: CADENCE_S,
        failThreshold: 2,
        recoverThreshold: 30,
        lookupCacheSeconds: 0,
        probe: { method: 'liveness', nluEveryMinutes: 60, timeoutMs: 1500, latencyBudgetMs: 1200 },
      },
      waitMs: 0,
      retryMs: 0,
      now: () => new Date(clock),
    });
    expect(sys.config.cadenceSeconds).toBe(CADENCE_S);
    sys.onEvent((e) => {
      if (e.type !== 'cycle') return;
      const s: CycleState = e.state;
      log.push({
        at: clock,
        attempt: e.decided.attempt,
        primaryFaulted: !e.probes.filter((p) => p.region === E).every((p) => p.ok),
        probesOk: Object.fromEntries(e.probes.map((p) => [p.region, p.ok])),
        to: s.decision!.to,
        change: s.decision!.change,
      });
      // The next round: its confirmation a second later, or the next cycle 10 simulated seconds after this one.
      if (s.cycle.attempt > 0 && !s.done) clock += s.cycle.waitSeconds * 1000;
      else clock = cycleStart += CADENCE_S * 1000;
      const cycles = log.filter((c) => c.attempt === 0).length;
      sys.lex[E]!.setFault({ mode: faultFor(s.cycle.attempt > 0 && !s.done ? cycles - 1 : cycles) ? 'down' : 'none' });
    });
  });
  afterAll(async () => {
    await sys?.close();
  });

  async function runMinutes(minutes: number) {
    for (let m = 0; m < minutes; m += 1) {
      const r = await sys.runExecution({});
      if (r.status !== 'SUCCEEDED') throw new Error(`execution failed: ${r.error}: ${r.cause}`);
    }
  }

  async function start(fault: (index: number) => boolean) {
    await resetSystem(sys);
    log = [];
    clock = cycleStart = START;
    faultFor = fault;
    sys.lex[E]!.setFault({ mode: fault(0) ? 'down' : 'none' });
  }

  /** Every change decided is in the history table, and counted once in RegionChanges. */
  async function expectNothingLost() {
    const decided = log.flatMap((c) => (c.change ? [c.change] : []));
    const history = await sys.history();
    expect(history.map(changeKey).sort()).toEqual(decided.map(changeKey).sort());
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(decided.length);
    expect((await sys.readItem())?.lastChange).toEqual(decided.at(-1));
    return decided;
  }

  it('one hour of a primary failing 30 % of its probes at random (decision core): at most 2 region changes, never err', () => {
    const random = seeded(20261102);
    const probe = (region: string, ok: boolean): ProbeResult => ({
      bot: sys.settings.bots[0]!.name,
      region,
      method: 'liveness',
      ok,
      reason: ok ? 'ok' : 'server-error',
      latencyMs: 5,
    });
    let stored: DrItem | null = null;
    const changes: string[] = [];
    let failed = 0;
    for (let i = 0; i < 360; i += 1) {
      const primaryOk = random() >= 0.3;
      if (!primaryOk) failed += 1;
      const at = START + i * 10_000;
      const apply = (r: ReturnType<typeof evaluate>) => {
        expect(r.item.lexRegion).not.toBe('err');
        if (r.change) changes.push(`${r.change.from}>${r.change.to} ${r.change.reason}`);
        const version: number = (stored?.version ?? 0) + (r.write === 'none' ? 0 : 1);
        stored = { ...r.item, version };
        return r;
      };
      const r = apply(
        evaluate(sys.settings, stored, [probe(E, primaryOk), probe(W, true)], new Date(at), {
          observation: i * 16 + 16,
        }),
      );
      // As the workflow does: a failure under failThreshold is confirmed a second later, with a fresh draw.
      if (!primaryOk && r.item.regionHealth[E]!.fails < 2) {
        const again = random() >= 0.3;
        if (!again) failed += 1;
        apply(evaluate(sys.settings, stored, [probe(E, again)], new Date(at + 1000), { observation: i * 16 + 17 }));
      }
    }
    expect(failed / 360).toBeGreaterThan(0.2);
    expect(failed / 360).toBeLessThan(0.5);
    expect(changes.length).toBeLessThanOrEqual(2);
    expect(changes[0]).toBe(`${E}>${W} failover`);
    expect((stored as DrItem | null)?.lexRegion).toBe(W);
  });

  it('10 minutes of a primary failing 30 % of its probes at random, through the workflow: at most 2 changes, never err', async () => {
    const random = seeded(20261102);
    await start(() => random() < 0.3);
    await runMinutes(10);

    expect(log.filter((c) => c.attempt === 0)).toHaveLength(60);
    expect(log.some((c) => !c.probesOk[E])).toBe(true);
    expect(log.every((c) => c.probesOk[W] !== false)).toBe(true); // a confirmation round probes only the primary
    // Never err while another region is healthy (the secondary passed every probe).
    expect(log.filter((c) => c.to === 'err')).toEqual([]);
    const changes = await expectNothingLost();
    expect(changes.length).toBeLessThanOrEqual(2);
    if (changes.length > 0) expect(changes[0]).toMatchObject({ from: E, to: W, reason: 'failover' });
  });

  it('a 10-minute hard outage of the primary: exactly one failover and one failback', async () => {
    const healthyBefore = 12; // 2 minutes
    const outage = 60; // 10 minutes
    await start((i) => i >= healthyBefore && i < healthyBefore + outage);
    await runMinutes(2 + 10 + 6);

    const changes = await expectNothingLost();
    expect(changes.map((c) => `${c.from}>${c.to} ${c.reason}`)).toEqual([`${E}>${W} failover`, `${W}>${E} failback`]);
    const outageStart = START + healthyBefore * CADENCE_S * 1000;
    const outageEnd = outageStart + outage * CADENCE_S * 1000;
    // Failover on the first failed cycle, once its confirmation (a second later) failed too.
    expect(Date.parse(changes[0]!.at) - outageStart).toBe(1000);
    // Failback on the 30th clean cycle after the outage: 5 minutes of clean probes, not earlier.
    expect(Date.parse(changes[1]!.at) - outageEnd).toBe((30 - 1) * CADENCE_S * 1000);
    expect(log.filter((c) => c.to === 'err')).toEqual([]);
    expect((await sys.readItem())?.lexRegion).toBe(E);
    await expect(sys.lookup({ Name: 'ContactFlowEvent', Details: { Parameters: {} } })).resolves.toMatchObject({
      lexRegion: E,
      status: 'ok',
    });
  });
});
