/**
 * At-least-once delivery, for real: every execution delivered twice, the second starting while the first runs
 * (same ARN, input and start), as Express may do. The workflow must end where a single delivery ends — the same
 * active region, the same recorded changes, each change counted once — through a failover and a failback.
 */
import type { RegionChange } from '../../core/health-core';
import type { LocalSystem } from '../../local/system';
import { FAST, startFast } from '../integration/system-fixture';
import { metricValues, sum } from './helpers';

const E = 'us-east-1';
const W = 'us-west-2';

/** Primary down for 3 executions, then healthy for 5 (recoverThreshold 3): one failover, one failback. */
async function scenario(sys: LocalSystem) {
  const statuses: string[] = [];
  sys.lex[E]!.setFault({ mode: 'down' });
  for (let i = 0; i < 3; i += 1) statuses.push((await sys.runExecution({ cycles: 1 })).status);
  const during = (await sys.readItem())?.lexRegion;
  sys.lex[E]!.setFault({ mode: 'none' });
  for (let i = 0; i < 5; i += 1) statuses.push((await sys.runExecution({ cycles: 1 })).status);
  const history = (await sys.history()).sort((a, b) => a.at.localeCompare(b.at));
  return {
    statuses,
    during,
    after: (await sys.readItem())?.lexRegion,
    changes: history.map((c: RegionChange) => `${c.from}>${c.to} ${c.reason}`),
    counted: sum(metricValues(sys, 'RegionChanges')),
    lookup: await sys.lookup({ Name: 'ContactFlowEvent', Details: { Parameters: {} } }),
  };
}

describe('at-least-once delivery through a failover and a failback', () => {
  let once: LocalSystem;
  let twice: LocalSystem;
  beforeAll(async () => {
    [once, twice] = await Promise.all([startFast(FAST), startFast(FAST, { atLeastOnce: { rate: 1 } })]);
  });
  afterAll(async () => {
    await Promise.all([once?.close(), twice?.close()]);
  });

  it('every execution delivered twice ends where single delivery ends', async () => {
    const a = await scenario(once);
    const b = await scenario(twice);
    expect(twice.redeliveries()).toBe(8);
    expect(a.changes).toEqual([`${E}>${W} failover`, `${W}>${E} failback`]);
    expect(b.statuses).toEqual(a.statuses);
    expect(b.during).toBe(W);
    expect(b.after).toBe(a.after);
    expect(b.changes).toEqual(a.changes);
    // Each change counted once, however many deliveries decided it.
    expect(b.counted).toBe(b.changes.length);
    expect(b.lookup).toMatchObject({ lexRegion: E, status: 'ok' });
  });

  it('a drill delivered twice fails over once and records one drill change', async () => {
    const before = twice.redeliveries();
    for (const r of Object.values(twice.lex)) r.setFault({ mode: 'none' });
    const historyBefore = (await twice.history()).length;
    const r = await twice.runExecution({ drill: { failRegions: [E], reason: 'game day' }, cycles: 3 });
    expect(twice.redeliveries()).toBe(before + 1);
    expect(r.status).toBe('SUCCEEDED');
    expect((await twice.readItem())?.lexRegion).toBe(W);
    const added = (await twice.history()).slice(historyBefore);
    expect(added.filter((c) => c.drill).map((c) => `${c.from}>${c.to} ${c.reason}`)).toEqual([`${E}>${W} failover`]);
  });
});
