import { parseConfig } from '../../infra/config';
import { STATE_PAYLOAD_LIMIT_BYTES } from '../../core/aws-limits';
import { estimatePeakStateBytes } from '../../infra/limits';
import { measureScale, scaleConfig, workflowScaleConfig } from '../../bench/lib/scale';

// The real ASL and handlers, with Step Functions' 256 KiB enforced on every state by the local runner.

// 12 bots × 3 regions for a full minute, healthy and with every region down: the config reader's estimate bounds
// the largest state.
test('the config reader’s state estimate bounds the largest state the real workflow carries', async () => {
  const config = parseConfig(scaleConfig(12));
  const estimate = estimatePeakStateBytes(config);
  const run = await measureScale(config, 'liveness', 1);
  expect(run.allPassed).toBe(true);
  const peak = Math.max(run.peakStateBytes, run.peakFailingStateBytes);
  expect(run.peakFailingStateBytes).toBeGreaterThan(run.peakStateBytes);
  expect(peak).toBeLessThanOrEqual(estimate);
  expect(peak).toBeLessThan(STATE_PAYLOAD_LIMIT_BYTES);
}, 60_000);

// 100 bots × 5 regions, every region down (every probe fails with the longest detail it carries: the largest
// state), one cycle: the state stays well under 256 KiB, and the estimate — which bounds a full minute, whose
// tally holds more latencies (measured by `npm run bench`, bench/REPORT.md) — is not loose and leaves a fifth to spare.
test('100 bots × 5 regions keep the largest state well under 256 KiB', async () => {
  const regions = ['us-east-1', 'us-west-2', 'eu-west-2', 'eu-central-1', 'ap-southeast-2'];
  // A loaded 2-core machine answers 500 local probes slower than the default budget: time enough that none fails.
  const config = workflowScaleConfig(100, regions, { timeoutMs: 4000, latencyBudgetMs: 3500 });
  const estimate = estimatePeakStateBytes(config);
  const run = await measureScale(config, 'liveness', 0, { cycles: 1 });
  expect(run.allPassed).toBe(true);
  const peak = Math.max(run.peakStateBytes, run.peakFailingStateBytes);
  expect(peak).toBe(run.peakFailingStateBytes);
  expect(peak).toBeLessThan(0.7 * STATE_PAYLOAD_LIMIT_BYTES);
  expect(peak).toBeLessThanOrEqual(estimate);
  expect(peak).toBeGreaterThan(0.75 * estimate);
  expect(estimate).toBeLessThan(0.8 * STATE_PAYLOAD_LIMIT_BYTES);
}, 90_000);
