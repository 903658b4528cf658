import { parseConfig } from '../../infra/config';
import {
  CW_PER_DASHBOARD,
  LEX_TEXT_REQUEST,
  SFN_EXPRESS_PER_GB_SECOND,
  alarmCount,
  estimateMonthlyCost,
  formatCostReport,
} from '../../infra/cost';

const defaults = parseConfig({});
const line = (e: ReturnType<typeof estimateMonthlyCost>, item: RegExp) => {
  const found = e.lines.find((l) => item.test(l.item));
  if (!found) throw new Error(`no line ${item}`);
  return found;
};

test('one execution a minute, ten 6-second cycles each, every bot probed in every region', () => {
  const e = estimateMonthlyCost(defaults);
  expect(e.basis).toMatchObject({ executions: 43_200, cycles: 432_000, probes: 864_000, nluProbes: 1_440 });
  // Per execution: plan once, decide each of the ten cycles, make the metric data once; and every probe.
  expect(e.basis.lambdaInvocations).toBe(43_200 * (1 + 10 + 1) + 864_000);
});

test('Express duration: (cycles − 1) × cadence + a few seconds, in 64 MB blocks', () => {
  const e = estimateMonthlyCost(defaults);
  const d = line(e, /Express duration/);
  expect(d.quantity).toBeCloseTo(43_200 * 57 * (64 / 1024));
  expect(d.usd).toBeCloseTo(d.quantity * SFN_EXPRESS_PER_GB_SECOND);
});

test('liveness probes are free; NLU probes cost a text request each', () => {
  const e = estimateMonthlyCost(defaults);
  expect(line(e, /Liveness probes/).usd).toBe(0);
  expect(line(e, /NLU probes/).usd).toBeCloseTo(1_440 * LEX_TEXT_REQUEST);
  const always = estimateMonthlyCost(parseConfig({ probe: { method: 'nlu' } }));
  expect(line(always, /NLU probes/).quantity).toBe(864_000);
  expect(line(always, /NLU probes/).usd).toBeCloseTo(648);
  const never = estimateMonthlyCost(parseConfig({ probe: { nluEveryMinutes: 0 } }));
  expect(line(never, /NLU probes/).usd).toBe(0);
});

test('metrics and alarms grow with bots × regions', () => {
  const e = estimateMonthlyCost(parseConfig({ regions: ['us-east-1', 'us-west-2', 'eu-west-2'] }));
  expect(e.basis.customMetrics).toBe(2 * 3 + 3);
  expect(alarmCount(parseConfig({}))).toBe(11);
  expect(line(e, /Dashboard/).usd).toBe(CW_PER_DASHBOARD);
});

test('the always-free tiers never remove more than the line they apply to', () => {
  const e = estimateMonthlyCost(defaults);
  expect(e.freeTierUsd).toBeLessThan(0);
  expect(e.totalAfterFreeTierUsd).toBeGreaterThan(0);
  expect(e.totalAfterFreeTierUsd).toBeCloseTo(e.totalUsd + e.freeTierUsd);
  const dashboard = e.freeTier.find((l) => /dashboards/.test(l.item))!;
  expect(-dashboard.usd).toBe(CW_PER_DASHBOARD);
});

test('an existing alarm topic needs no KMS key', () => {
  const e = estimateMonthlyCost(parseConfig({ alarmTopicArn: 'arn:aws:sns:us-east-1:111111111111:oncall' }));
  expect(e.lines.some((l) => l.service === 'KMS')).toBe(false);
});

test('the 2020 design: 8,640 PostText calls ≈ $6.48 plus Lambda and a write each run', () => {
  const e = estimateMonthlyCost(defaults);
  expect(e.original.lines[0]).toMatchObject({ quantity: 8_640 });
  expect(e.original.lines[0]!.usd).toBeCloseTo(6.48);
  expect(e.original.totalUsd).toBeGreaterThan(6.48);
  expect(e.original.totalUsd).toBeLessThan(6.6);
});

test('worst-case detection: cadence + the confirmed probes + write (failThreshold × cadence without confirmation) vs 5 minutes + timeout', () => {
  expect(estimateMonthlyCost(defaults).detectionSeconds).toEqual({ lexdr: 10.1, original: 301.5 });
  const unconfirmed = parseConfig({ confirmFailures: false });
  expect(estimateMonthlyCost(unconfirmed).detectionSeconds.lexdr).toBe(2 * 6 + 1.5 + 0.1);
  const fast = parseConfig({ cadenceSeconds: 5, failThreshold: 1, probe: { timeoutMs: 1000, latencyBudgetMs: 800 } });
  expect(estimateMonthlyCost(fast).detectionSeconds.lexdr).toBe(6.1);
});

test('call traffic adds lookup requests and (cached) reads', () => {
  const e = estimateMonthlyCost(defaults, { callsPerMonth: 100_000 });
  expect(line(e, /Connect lookup requests/).quantity).toBe(100_000);
  expect(line(e, /Reads \(lookup/).quantity).toBe(50_000);
});

test('the report prints every line, both totals, the original design and detection times', () => {
  const e = estimateMonthlyCost(defaults);
  const text = formatCostReport(defaults, e);
  for (const l of e.lines) expect(text).toContain(l.item);
  expect(text).toContain(`$${e.totalUsd.toFixed(2)}`);
  expect(text).toContain(`$${e.totalAfterFreeTierUsd.toFixed(2)}`);
  expect(text).toContain('The 2020 design');
  expect(text).toContain('lexdr:    10.1 s');
});
