/**
 * What a game day observed, and its verdict: each expected outcome of `core/game-days.ts` against what was seen — the
 * same check on AWS and locally, whatever observed it (the sources are named in the report).
 */
import type { Expectation, GameDay, GameDayAlarm } from '../../../core/game-days';
import { describeExpectation } from '../../../core/game-days';
import type { DrItem, RegionChange } from '../dr-table';

/** Whether an alarm was seen in ALARM during the run, and by what. */
export interface AlarmSeen {
  everAlarm: boolean;
  /** What observed it: the CloudWatch alarm (AWS), or the local signal the alarm's metric carries. */
  source: string;
  detail?: string;
}

/** Callers walked through the contact flow during the run. */
export interface CallersSeen {
  walked: number;
  served: number;
  /** Callers whose flow took the lookup's error branch (no answer within the flow's limit, or a failure). */
  lookupGaveUp: number;
  dropped: string[];
  source: string;
}

export interface Observation {
  target: 'local' | 'aws';
  regions: string[];
  before: DrItem | null;
  after: DrItem | null;
  /** Every lexRegion seen from the start to the end, in order, repeats removed. */
  regionsSeen: string[];
  /** Each region's failure counter at the start, and the highest seen during the run. */
  failsBefore: Record<string, number>;
  failsMax: Record<string, number>;
  /** Region changes recorded since the start. */
  history: RegionChange[];
  alarms: Partial<Record<GameDayAlarm, AlarmSeen>>;
  probeErrors?: { value: number; source: string };
  callers?: CallersSeen;
  /** How the run ended: FIS's experiment status (or the local run's), and why. */
  end: { status: string; reason?: string };
}

export interface Verdict {
  expected: string;
  observed: string;
  ok: boolean;
}

const changeText = (c: RegionChange) => `${c.from} → ${c.to} (${c.reason}${c.drill ? ', drill' : ''}) at ${c.at}`;

function judgeOne(e: Expectation, o: Observation): Omit<Verdict, 'expected'> {
  const before = o.before?.lexRegion ?? o.regions[0] ?? 'none';
  switch (e.kind) {
    case 'region': {
      const last = o.after?.lexRegion;
      const seen = last === undefined || o.regionsSeen.at(-1) === last ? o.regionsSeen : [...o.regionsSeen, last];
      const after = seen.at(-1) ?? before;
      const path = seen.some((r) => r !== before)
        ? [before, ...seen.filter((r, i) => r !== (seen[i - 1] ?? before))].join(' → ')
        : `stayed on ${before}`;
      if (!e.moves) return { ok: seen.every((r) => r === before), observed: `lexDR ${path}` };
      const next = o.regions.find((r) => r !== before) ?? 'another region';
      return { ok: after === next, observed: `lexDR ${path}; expected ${next}` };
    }
    case 'history': {
      const seen = o.history.length === 0 ? 'no region change recorded' : o.history.map(changeText).join('; ');
      if (!e.reason) return { ok: o.history.length === 0, observed: seen };
      return {
        ok: o.history.some((c) => c.reason === e.reason && (e.drill === undefined || c.drill === e.drill)),
        observed: seen,
      };
    }
    case 'alarm': {
      const a = o.alarms[e.alarm];
      if (!a) return { ok: false, observed: `${e.alarm} not observed` };
      const seen = `${e.alarm} ${a.everAlarm ? 'was in ALARM' : 'never in ALARM'} (${a.source}${a.detail ? `: ${a.detail}` : ''})`;
      return { ok: a.everAlarm === (e.state === 'ALARM'), observed: seen };
    }
    case 'probe-errors': {
      const p = o.probeErrors;
      if (!p) return { ok: false, observed: 'ProbeErrors not observed' };
      const ok = (e.min === undefined || p.value >= e.min) && (e.max === undefined || p.value <= e.max);
      return { ok, observed: `ProbeErrors ${p.value} (${p.source})` };
    }
    case 'no-failures-counted': {
      const rose = Object.keys(o.failsMax).filter((r) => (o.failsMax[r] ?? 0) > (o.failsBefore[r] ?? 0));
      return {
        ok: rose.length === 0,
        observed:
          rose.length === 0
            ? 'no failure counter rose'
            : rose.map((r) => `${r} counted ${o.failsMax[r]} failure(s) (was ${o.failsBefore[r] ?? 0})`).join('; '),
      };
    }
    case 'callers-served': {
      const c = o.callers;
      if (!c || c.walked === 0) return { ok: false, observed: 'no caller was walked through the flow' };
      const ok = c.dropped.length === 0 && c.served === c.walked && (!e.lookupPastLimit || c.lookupGaveUp > 0);
      const dropped = c.dropped.length ? `; dropped: ${c.dropped.join('; ')}` : '';
      return {
        ok,
        observed: `${c.served} of ${c.walked} callers served, ${c.lookupGaveUp} after the lookup's error branch (${c.source})${dropped}`,
      };
    }
  }
}

/** Each expectation of the game day against the observation. */
export function judge(g: GameDay, o: Observation): Verdict[] {
  return g.expected.map((e) => ({ expected: describeExpectation(e), ...judgeOne(e, o) }));
}

/** Whether the run counts as passed: it ran to its end (not stopped, not failed) and every expectation holds. */
export function passed(verdicts: readonly Verdict[], o: Observation): boolean {
  return ['completed', 'succeeded'].includes(o.end.status) && verdicts.every((v) => v.ok);
}

export interface GameDayReport {
  name: string;
  target: 'local' | 'aws';
  where: string;
  passed: boolean;
  end: Observation['end'];
  verdicts: Verdict[];
  observation: Observation;
}

export function formatReport(r: GameDayReport): string {
  const lines = [
    `Game day ${r.name} on ${r.where}: ${r.passed ? 'PASSED' : 'FAILED'} (run ${r.end.status}${r.end.reason ? `: ${r.end.reason}` : ''})`,
  ];
  for (const v of r.verdicts) {
    lines.push(`  ${v.ok ? 'ok  ' : 'FAIL'}  expected: ${v.expected}`);
    lines.push(`        observed: ${v.observed}`);
  }
  return lines.join('\n');
}
