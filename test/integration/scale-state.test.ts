import { parseConfig } from '../../infra/config';
import { STATE_PAYLOAD_LIMIT_BYTES, estimatePeakStateBytes } from '../../infra/limits';
import { measureScale, scaleConfig } from '../../bench/lib/scale';

// 12 bots × 3 regions through the real ASL and handlers: the state's peak, healthy and with every region down,
// stays under Step Functions' 256 KiB and under the config reader's estimate — which must not be loose either.
test('the config reader’s state estimate bounds the largest state the real workflow carries', async () => {
  const config = parseConfig(scaleConfig(12));
  const estimate = estimatePeakStateBytes(config);
  const run = await measureScale(config, 'liveness', 1);
  expect(run.allPassed).toBe(true);
  const peak = Math.max(run.peakStateBytes, run.peakFailingStateBytes);
  expect(run.peakFailingStateBytes).toBeGreaterThan(run.peakStateBytes);
  expect(peak).toBeLessThanOrEqual(estimate);
  expect(peak).toBeGreaterThan(0.6 * estimate);
  expect(peak).toBeLessThan(STATE_PAYLOAD_LIMIT_BYTES);
}, 60_000);
