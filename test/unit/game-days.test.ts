/** The game days' one definition list (core/game-days.ts) and the verdict the CLI draws from an observation. */
import {
  GAME_DAYS,
  GAME_DAY_NAMES,
  fisGameDays,
  gameDay,
  isoDuration,
  templateDescription,
} from '../../core/game-days';
import type { Observation } from '../../cli/lib/gameday/verdict';
import { judge, passed } from '../../cli/lib/gameday/verdict';

describe('the definitions', () => {
  it('name each game day once; FIS runs the function faults, the drill is lexdr’s own', () => {
    expect(GAME_DAYS.map((g) => g.name)).toEqual([...GAME_DAY_NAMES]);
    expect(fisGameDays().map((g) => g.name)).toEqual(['probe-function-fails', 'lookup-slow', 'probe-function-slow']);
    expect(gameDay('lex-region-fails').fault).toEqual({ kind: 'drill' });
    expect(() => gameDay('lex-down')).toThrow('game day "lex-down": must be one of probe-function-fails');
  });

  it('give every FIS experiment a stop condition that is not its own expected alarm', () => {
    for (const g of fisGameDays()) {
      expect(g.stopOn.length).toBeGreaterThan(0);
      const expectedInAlarm = g.expected.flatMap((e) => (e.kind === 'alarm' && e.state === 'ALARM' ? [e.alarm] : []));
      expect(g.stopOn.filter((a) => expectedInAlarm.includes(a))).toEqual([]);
    }
  });

  it("delay the lookup past the flow's 3 s limit and the probe within its 8 s timeout", () => {
    expect(gameDay('lookup-slow').fault).toMatchObject({ function: 'lookup', effect: 'delay', delayMs: 4000 });
    expect(gameDay('probe-function-slow').fault).toMatchObject({ function: 'probe', effect: 'delay', delayMs: 3000 });
  });

  it('write FIS durations and descriptions FIS accepts', () => {
    expect([300, 180, 90, 1].map(isoDuration)).toEqual(['PT5M', 'PT3M', 'PT1M30S', 'PT1S']);
    expect(() => isoDuration(0)).toThrow('duration 0');
    for (const g of GAME_DAYS) expect(templateDescription(g).length).toBeLessThanOrEqual(512);
  });
});

describe('the verdict', () => {
  const base: Observation = {
    target: 'local',
    regions: ['us-east-1', 'us-west-2'],
    before: null,
    after: null,
    regionsSeen: ['us-east-1'],
    failsBefore: { 'us-east-1': 0, 'us-west-2': 0 },
    failsMax: { 'us-east-1': 0, 'us-west-2': 0 },
    history: [],
    alarms: { HealthCheckBlind: { everAlarm: true, source: 'test' } },
    probeErrors: { value: 4, source: 'test' },
    end: { status: 'completed' },
  };

  it('passes probe-function-fails when everything expected was observed', () => {
    const v = judge(gameDay('probe-function-fails'), base);
    expect(v.every((x) => x.ok)).toBe(true);
    expect(passed(v, base)).toBe(true);
  });

  it('fails it when callers moved, naming the path, and when the run was stopped', () => {
    const moved = { ...base, regionsSeen: ['us-east-1', 'us-west-2'] };
    const v = judge(gameDay('probe-function-fails'), moved);
    expect(v[0]).toEqual({
      expected: 'lexDR stays on the region it had at the start',
      observed: 'lexDR us-east-1 → us-west-2',
      ok: false,
    });
    const stopped = { ...base, end: { status: 'stopped', reason: 'stop condition NotOnPrimary' } };
    expect(passed(judge(gameDay('probe-function-fails'), stopped), stopped)).toBe(false);
  });

  it('fails an expectation it could not observe rather than passing it', () => {
    const { probeErrors: _unused, ...none } = base;
    const v = judge(gameDay('probe-function-fails'), { ...none, alarms: {} });
    expect(v.filter((x) => !x.ok).map((x) => x.observed)).toEqual([
      'HealthCheckBlind not observed',
      'ProbeErrors not observed',
    ]);
  });
});
