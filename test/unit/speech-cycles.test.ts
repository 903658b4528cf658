import { decideCycle, planFirstCycle } from '../../core/health-core';
import type { ProbeResult } from '../../core/probe-core';
import { ConfigError, parseConfig, speechUse } from '../../infra/config';
import { estimateMonthlyCost } from '../../infra/cost';
import { settingsFor } from './settings-fixture';

const E = 'us-east-1';
const W = 'us-west-2';

describe('periodic speech probes (probe.speechEveryMinutes)', () => {
  const settings = settingsFor([E, W], { cadenceSeconds: 10, speechEveryCycles: 3 });
  // Slot 177,000,000 is a multiple of 3: the execution's first cycle speaks, the next two do not.
  const exec = {
    id: 'arn:aws:states:us-east-1:1:express:m:e',
    startedAt: new Date(1_770_000_000 * 1000).toISOString(),
  };

  it('probes every region by speech on every N-th cycle of wall-clock time, and by the configured method otherwise', () => {
    let s = planFirstCycle(settings, {}, exec);
    const methods: string[][] = [];
    for (let i = 0; i < 3; i++) {
      methods.push(s.targets.map((t) => t.method));
      const ok = s.targets.map(
        (t) =>
          ({ bot: t.bot, region: t.region, method: t.method, ok: true, reason: 'ok', latencyMs: 5 }) as ProbeResult,
      );
      s = decideCycle(settings, { ...s, probes: ok }, new Date(Date.parse(s.cycle.at) + 500));
    }
    expect(methods).toEqual([
      ['speech', 'speech'],
      ['liveness', 'liveness'],
      ['liveness', 'liveness'],
    ]);
  });

  it('confirms a failure of a speech cycle by speech', () => {
    const s = planFirstCycle(settings, {}, exec);
    const probes: ProbeResult[] = [
      { bot: 'OrderFlowers', region: E, method: 'speech', ok: false, reason: 'server-error', latencyMs: 5 },
      { bot: 'OrderFlowers', region: W, method: 'speech', ok: true, reason: 'ok', latencyMs: 5 },
    ];
    const next = decideCycle(settings, { ...s, probes }, new Date(Date.parse(s.cycle.at) + 500));
    expect(next.cycle.attempt).toBe(1);
    expect(next.targets.map((t) => [t.region, t.method])).toEqual([[E, 'speech']]);
  });
});

describe('the config and the cost of speech', () => {
  it('names where speech is used, and asks for the recording’s phrase there', () => {
    expect(speechUse(parseConfig({}))).toEqual({
      path: ['callerReports', 'confirmWith'],
      what: 'callerReports.confirmWith "speech"',
    });
    expect(speechUse(parseConfig({ callerReports: { confirmWith: 'probe' } }))).toBeUndefined();
    expect(() => parseConfig({ probe: { utterance: 'I want pizza' } })).toThrow(ConfigError);
    expect(() => parseConfig({ probe: { utterance: 'I want pizza' } })).toThrow(
      /probe\.utterance.*callerReports\.confirmWith "speech" sends the shipped recording of "I would like to order some flowers"/s,
    );
    expect(() =>
      parseConfig({
        probe: { utterance: 'I want pizza', speechEveryMinutes: 5 },
        callerReports: { confirmWith: 'probe' },
      }),
    ).toThrow(/probe\.speechEveryMinutes 5 sends the shipped recording/);
    expect(
      parseConfig({ probe: { utterance: 'I want pizza' }, callerReports: { confirmWith: 'probe' } }).probe.utterance,
    ).toBe('I want pizza');
  });

  it('prices a speech request per periodic speech probe', () => {
    const base = estimateMonthlyCost(parseConfig({}));
    const every5 = estimateMonthlyCost(parseConfig({ probe: { speechEveryMinutes: 5 } }));
    const line = every5.lines.find((l) => l.item === 'Speech probes (RecognizeUtterance)')!;
    // 30 days of a speech probe every 5 minutes, in each of the two regions, at $0.004.
    expect(line.quantity).toBe(((30 * 24 * 60) / 5) * 2);
    expect(line.usd).toBeCloseTo(line.quantity * 0.004, 6);
    expect(base.lines.find((l) => l.item === 'Speech probes (RecognizeUtterance)')).toBeUndefined();
  });
});
