/** The `stream` probe method as the config, the settings, the planner and the cost model see it. */
import { parseConfig } from '../../infra/config';
import { LEX_STREAMING_TEXT_REQUEST, estimateMonthlyCost } from '../../infra/cost';
import { PROBE_METHODS } from '../../core/settings';
import { probeTargetSchema } from '../../core/probe-core';

const stream = parseConfig({ probe: { method: 'stream' } });

test('the config, the settings and the probe request accept the stream method', () => {
  expect(stream.probe.method).toBe('stream');
  expect(PROBE_METHODS).toContain('stream');
  expect(() => parseConfig({ probe: { method: 'streaming' } })).toThrow(/probe\.method/);
  expect(probeTargetSchema.shape.method.safeParse('stream').success).toBe(true);
});

test('every probe of a stream config is one streaming text request; none is a RecognizeText or free liveness probe', () => {
  const e = estimateMonthlyCost(stream);
  const probes = e.basis.probes;
  const lex = e.lines.filter((l) => l.service === 'Lex');
  expect(lex.find((l) => /Stream probes/.test(l.item))).toMatchObject({
    quantity: probes,
    usd: probes * LEX_STREAMING_TEXT_REQUEST,
  });
  expect(lex.find((l) => /RecognizeText/.test(l.item))?.quantity).toBe(0);
  expect(lex.find((l) => /Liveness/.test(l.item))?.quantity).toBe(0);
  expect(e.basis.nluProbes).toBe(probes);
  // The callers' API costs more than liveness with an hourly RecognizeText.
  expect(e.totalUsd).toBeGreaterThan(estimateMonthlyCost(parseConfig({})).totalUsd);
});

test('a liveness config has no stream line', () => {
  expect(estimateMonthlyCost(parseConfig({})).lines.some((l) => /Stream probes/.test(l.item))).toBe(false);
});
