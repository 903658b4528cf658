/** `lexdr cost --json` through the in-process CLI: amounts as the model means them, not floating-point noise. */
import { tmpdir } from 'node:os';
import { JSON_DECIMALS } from '../../cli/commands/cost';
import { readConfigFile } from '../../infra/config';
import { estimateMonthlyCost } from '../../infra/cost';
import { runLexdr } from './cli-harness';

const numbers = (v: unknown): number[] =>
  typeof v === 'number'
    ? [v]
    : Array.isArray(v)
      ? v.flatMap(numbers)
      : v && typeof v === 'object'
        ? Object.values(v).flatMap(numbers)
        : [];

test('cost --json rounds every amount to 4 decimals and keeps the totals within rounding of the model', async () => {
  const r = await runLexdr(['cost', '--json', '--calls', '100000'], {}, tmpdir());
  expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
  expect(r.out).not.toMatch(/\d\.\d{5,}/); // no 0.043199999999999995
  const printed = JSON.parse(r.out) as ReturnType<typeof estimateMonthlyCost>;
  for (const n of numbers(printed)) expect(Math.round(n * 10 ** JSON_DECIMALS) / 10 ** JSON_DECIMALS).toBe(n);
  const exact = estimateMonthlyCost(readConfigFile(), { callsPerMonth: 100000 });
  expect(Math.abs(printed.totalUsd - exact.totalUsd)).toBeLessThanOrEqual(0.00005);
  expect(printed.lines.map((l) => l.item)).toEqual(exact.lines.map((l) => l.item));
  expect(printed.lines.find((l) => l.item === 'Express requests')!.usd).toBe(0.0432);
});
