import type { ReportRule, ReportWindow } from '../../core/caller-reports';
import {
  DEFAULT_REPORT_RULE,
  REPORT_MAX_TRACKED,
  applyReport,
  parseReport,
  reportWindowKey,
} from '../../core/caller-reports';
import { decideCycle, planFirstCycle, readItem } from '../../core/health-core';
import type { CycleState } from '../../core/health-core';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ProbeResult } from '../../core/probe-core';
import { settingsFor } from './settings-fixture';

const T0 = Date.parse('2026-12-06T12:00:00Z');
const rule: ReportRule = {
  enabled: true,
  contacts: 3,
  windowSeconds: 30,
  minIntervalSeconds: 15,
  confirmWith: 'speech',
};
const E = 'us-east-1';
const W = 'us-west-2';

/** Feeds reports (contact, seconds after T0) through the rule, each window into the next. */
function feed(reports: [string, number, string?][], r: ReportRule = rule, start: ReportWindow | null = null) {
  let w = start;
  return reports.map(([contactId, s, region]) => {
    const d = applyReport(w, { contactId, lexRegion: region ?? E, at: T0 + s * 1000 }, r, E);
    if (d.accepted) w = d.next;
    return d;
  });
}

describe('the caller-report rule', () => {
  it('starts a check when N distinct contacts report the active region within the window', () => {
    const out = feed([
      ['a', 0],
      ['b', 10],
      ['c', 20],
    ]);
    expect(out.map((d) => d.outcome)).toEqual(['below-threshold', 'below-threshold', 'triggered']);
    expect(out[2]!.trigger).toEqual({
      region: E,
      contacts: 3,
      firstAt: new Date(T0).toISOString(),
      lastAt: new Date(T0 + 20_000).toISOString(),
    });
    expect(out[2]!.next.triggers).toBe(1);
  });

  it('does not count reports older than the window', () => {
    const out = feed([
      ['a', 0],
      ['b', 10],
      ['c', 31],
    ]);
    expect(out[2]!.outcome).toBe('below-threshold');
    expect(out[2]!.fresh).toBe(2);
  });

  it('counts a contact once: a repeated report (Lambda or Connect retrying) changes nothing', () => {
    const out = feed([
      ['a', 0],
      ['a', 1],
      ['a', 2],
      ['b', 3],
    ]);
    expect(out.map((d) => d.outcome)).toEqual(['below-threshold', 'duplicate', 'duplicate', 'below-threshold']);
    expect(out[1]!.accepted).toBe(false);
    expect(out[3]!.fresh).toBe(2);
    expect(out[3]!.next.reports).toBe(2);
  });

  it('rate-limits checks, and a later check needs N new contacts after the last one', () => {
    const one = { ...rule, contacts: 1 };
    const out = feed(
      [
        ['a', 0],
        ['b', 5],
        ['c', 14],
        ['d', 16],
        ['e', 40],
      ],
      one,
    );
    expect(out.map((d) => d.outcome)).toEqual(['triggered', 'rate-limited', 'rate-limited', 'triggered', 'triggered']);
    // The check at 16 s counts only the reports after the first check (b, c, d), not a.
    expect(out[3]!.trigger!.contacts).toBe(3);
    expect(out[4]!.trigger!.contacts).toBe(1);
  });

  it('never starts a check for a region that is not the active one, nor when disabled, but records the report', () => {
    const [standby] = feed([['a', 0, W]], { ...rule, contacts: 1 });
    expect(standby!.outcome).toBe('not-active');
    expect(standby!.accepted).toBe(true);
    const [off] = feed([['a', 0]], { ...rule, contacts: 1, enabled: false });
    expect(off!.outcome).toBe('disabled');
    expect(off!.next.reports).toBe(1);
  });

  it('keeps at most REPORT_MAX_TRACKED contacts, the newest', () => {
    const flood = Array.from({ length: REPORT_MAX_TRACKED + 50 }, (_, i) => [`c${i}`, i / 10] as [string, number]);
    const out = feed(flood, { ...rule, contacts: 100, minIntervalSeconds: 3600 });
    const last = out.at(-1)!.next;
    expect(Object.keys(last.recent)).toHaveLength(REPORT_MAX_TRACKED);
    expect(last.recent[`c${REPORT_MAX_TRACKED + 49}`]).toBeDefined();
    expect(last.recent.c0).toBeUndefined();
    // A flood of forged reports starts at most one check per minIntervalSeconds.
    expect(out.filter((d) => d.outcome === 'triggered')).toHaveLength(1);
  });

  it('keys one window item per Connect region and bot region', () => {
    expect(reportWindowKey(E, W)).toBe('us-east-1#reports#us-west-2');
  });
});

describe('parseReport', () => {
  const known = { regions: [E, W], bots: ['OrderFlowers'] };
  const connect = (params: Record<string, string>, contactId = '1b7c3d4e-0000-4000-8000-000000000001') => ({
    Name: 'ContactFlowEvent',
    Details: { ContactData: { ContactId: contactId, InstanceARN: 'arn:aws:connect:…' }, Parameters: params },
  });

  it('reads the contact flow’s report action as Connect sends it', () => {
    const r = parseReport(
      connect({ bot: 'OrderFlowers', lexRegion: E, kind: 'error', block: 'talk-to-bot' }),
      known,
      T0,
    );
    expect(r).toEqual({
      source: 'connect',
      contactId: '1b7c3d4e-0000-4000-8000-000000000001',
      bot: 'OrderFlowers',
      lexRegion: E,
      kind: 'error',
      block: 'talk-to-bot',
      at: T0,
    });
  });

  it('reads the Twilio bridge’s report', () => {
    const callSid = `CA${'0'.repeat(31)}1`;
    const r = parseReport(
      { source: 'twilio-bridge', callSid, bot: 'OrderFlowers', lexRegion: W, kind: 'no-input' },
      known,
      T0,
    );
    expect(r.contactId).toBe(callSid);
    expect(r.source).toBe('twilio-bridge');
  });

  it('rejects unknown regions, bots, kinds and malformed contact IDs, naming the value', () => {
    expect(() => parseReport(connect({ bot: 'OrderFlowers', lexRegion: 'xx-1', kind: 'error' }), known, T0)).toThrow(
      /lexRegion "xx-1" is not a configured region/,
    );
    expect(() => parseReport(connect({ bot: 'Other', lexRegion: E, kind: 'error' }), known, T0)).toThrow(
      /bot "Other" is not configured/,
    );
    expect(() => parseReport(connect({ bot: 'OrderFlowers', lexRegion: E, kind: 'angry' }), known, T0)).toThrow(
      /kind: got "angry"/,
    );
    expect(() => parseReport(connect({ bot: 'OrderFlowers', lexRegion: E, kind: 'error' }, 'a b'), known, T0)).toThrow(
      /ContactId: got "a b"/,
    );
    expect(() => parseReport({ source: 'twilio-bridge', callSid: 'x' }, known, T0)).toThrow(
      /InvalidInputError|callSid/,
    );
  });
});

describe('a report-started check', () => {
  const settings = settingsFor([E, W], { callerReports: DEFAULT_REPORT_RULE });
  const exec = { id: 'arn:aws:states:us-east-1:1:express:m:reports-x', startedAt: '2026-12-06T12:00:03.000Z' };
  const burst = { region: E, contacts: 1, firstAt: '2026-12-06T12:00:02.000Z', lastAt: '2026-12-06T12:00:02.000Z' };
  const probe = (region: string, ok: boolean, method: ProbeResult['method'] = 'liveness'): ProbeResult => ({
    bot: 'OrderFlowers',
    region,
    method,
    ok,
    reason: ok ? 'ok' : 'server-error',
    latencyMs: 30,
    ...(ok ? {} : { detail: 'InternalServerException' }),
  });
  /** The lexDR item after the schedule observed E healthy in the same slot. */
  const storedHealthy = () =>
    marshall({
      connectRegion: E,
      lexRegion: E,
      version: 4,
      regionHealth: {
        [E]: { fails: 0, passes: 3, reason: 'ok', seen: 0, nluFailed: false },
        [W]: { fails: 0, passes: 3, reason: 'ok', seen: 0, nluFailed: false },
      },
    });
  const decide = (s: CycleState, probes: ProbeResult[], seen = 0) => {
    const item = storedHealthy();
    const health = item.regionHealth!.M!;
    for (const r of [E, W]) health[r]!.M!.seen = { N: String(seen) };
    return decideCycle(settings, { ...s, probes, stored: { Item: item } }, new Date('2026-12-06T12:00:03.300Z'));
  };

  it('is one cycle that probes the reported region by speech, the others as configured', () => {
    const s = planFirstCycle(settings, { reported: burst }, exec);
    expect(s.cycle.of).toBe(1);
    expect(s.cycle.reported).toBe(true);
    expect(s.targets.map((t) => [t.region, t.method])).toEqual([
      [E, 'speech'],
      [W, 'liveness'],
    ]);
    const byProbe = settingsFor([E, W], { callerReports: { ...DEFAULT_REPORT_RULE, confirmWith: 'probe' } });
    expect(planFirstCycle(byProbe, { reported: burst }, exec).targets.map((t) => t.method)).toEqual([
      'liveness',
      'liveness',
    ]);
  });

  it('moves callers when its probe fails: the burst plus one failed probe make failThreshold, recorded in history', () => {
    const s = planFirstCycle(settings, { reported: burst }, exec);
    // The schedule's round of the same slot was already counted: the check's round still counts (its own ids).
    const slotSeen = Math.floor(Date.parse(exec.startedAt) / 1000 / settings.cadenceSeconds) * 64;
    const next = decide(s, [probe(E, false, 'speech'), probe(W, true)], slotSeen);
    const d = next.decision!;
    expect(d.write).toBe('switch');
    expect(d.to).toBe(W);
    expect(d.change!.reason).toBe('failover');
    expect(d.change!.reported).toEqual({
      contacts: 1,
      firstAt: burst.firstAt,
      lastAt: burst.lastAt,
      confirmedBy: 'OrderFlowers: InternalServerException',
    });
    expect(d.change!.detail).toMatch(/1 caller\(s\) reported us-east-1 failing .* confirmed by a probe/);
    expect(d.history).not.toBeNull();
    expect(d.history!.reported!.M!.confirmedBy!.S).toBe('OrderFlowers: InternalServerException');
    // Metrics as for any failover: one region change, the active index now 1.
    expect(next.metrics.decisions.RegionChanges).toEqual([[1, 1]]);
    expect(next.metrics.decisions.ActiveRegionIndex).toEqual([[1, 1]]);
    expect(next.metrics.success[E]!.OrderFlowers).toEqual([0, 1]);
  });

  it('the lexDR item reads back the change with what started it', () => {
    const s = planFirstCycle(settings, { reported: burst }, exec);
    const d = decide(s, [probe(E, false, 'speech'), probe(W, true)]).decision!;
    const item = { ...storedHealthy(), lastChange: d.values.change };
    expect(readItem(item, settings)!.lastChange!.reported).toEqual(d.change!.reported);
    expect(readItem(storedHealthy(), settings)!.lastChange).toBeUndefined();
  });

  it('never moves callers when its probe passes: reports alone do not switch', () => {
    const s = planFirstCycle(settings, { reported: burst }, exec);
    const d = decide(s, [probe(E, true, 'speech'), probe(W, true)]).decision!;
    expect(d.write).not.toBe('switch');
    expect(d.to).toBe(E);
  });

  it('a slow answer counts as one failure, not as the confirmation: a busy moment does not move everyone', () => {
    const s = planFirstCycle(settings, { reported: burst }, exec);
    const slow = { ...probe(E, false, 'speech'), reason: 'slow' as const, detail: '1300 ms > budget 1200 ms' };
    const next = decide(s, [slow, probe(W, true)]);
    expect(next.decision!.to).toBe(E);
    expect(next.decision!.write).toBe('health');
  });

  it('moves nothing when its probe could not run (lexdr’s own failure)', () => {
    const s = planFirstCycle(settings, { reported: burst }, exec);
    const blind = { ...probe(E, false, 'speech'), reason: 'probe-error' as const };
    expect(decide(s, [blind, probe(W, true)]).decision!.to).toBe(E);
  });

  it('without reports one failed probe is not enough (failThreshold 2)', () => {
    const s = planFirstCycle(settings, {}, exec);
    expect(decide(s, [probe(E, false), probe(W, true)]).decision!.to).toBe(E);
  });

  it('rejects a burst for an unknown region and a drill that is also a report-started check', () => {
    expect(() => planFirstCycle(settings, { reported: { ...burst, region: 'xx-1' } }, exec)).toThrow(
      /region must be one of the configured regions/,
    );
    expect(() => planFirstCycle(settings, { reported: burst, drill: { failRegions: [E] } }, exec)).toThrow(
      /a drill cannot also be a report-started check/,
    );
  });
});
