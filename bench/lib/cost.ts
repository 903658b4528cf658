/** The cost model's figure for the default config next to the 2020 design's. */
import { readConfigFile } from '../../infra/config';
import { estimateMonthlyCost } from '../../infra/cost';

export function benchCost() {
  const e = estimateMonthlyCost(readConfigFile());
  return {
    lexdrUsd: e.totalUsd,
    lexdrAfterFreeTierUsd: e.totalAfterFreeTierUsd,
    originalUsd: e.original.totalUsd,
    detectionSeconds: e.detectionSeconds,
    basis: e.basis,
  };
}
