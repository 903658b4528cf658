/** One health-check cycle for many bots × regions through the real ASL (Map state, MaxConcurrency 40). */
import type { LexdrConfigInput } from '../../infra/config';
import { startLocalSystem } from '../../local/system';
import { median } from './stats';

export interface ScaleFigures {
  bots: number;
  regions: number;
  probes: number;
  liveness: number[];
  nlu: number[];
  allPassed: boolean;
}

/** A 10-character Lex-style ID, unique per bot and region. */
const id = (prefix: string, bot: number, region: number) =>
  `${prefix}${String(bot).padStart(3, '0')}R${region}`.padEnd(10, 'X').slice(0, 10).toUpperCase();

export async function benchScale(
  bots = 50,
  repeats = 5,
  log: (s: string) => void = console.log,
): Promise<ScaleFigures> {
  const regions = ['us-east-1', 'us-west-2', 'eu-west-2'];
  const config = (method: 'liveness' | 'nlu'): LexdrConfigInput => ({
    connectRegion: 'us-east-1',
    regions,
    bots: Array.from({ length: bots }, (_, i) => ({
      name: `Bot${i}`,
      source: 'existing' as const,
      ids: Object.fromEntries(regions.map((r, ri) => [r, { botId: id('BOT', i, ri), botAliasId: id('ALS', i, ri) }])),
    })),
    probe: { method, nluEveryMinutes: 0 },
  });
  const out: ScaleFigures = {
    bots,
    regions: regions.length,
    probes: bots * regions.length,
    liveness: [],
    nlu: [],
    allPassed: true,
  };
  for (const method of ['liveness', 'nlu'] as const) {
    const sys = await startLocalSystem({ config: config(method), waitMs: 0, retryMs: 0 });
    try {
      await sys.runExecution({ cycles: 1 }); // warm-up
      for (let i = 0; i < repeats; i += 1) {
        const t = performance.now();
        const r = await sys.runExecution({ cycles: 1 });
        const ms = performance.now() - t;
        out[method].push(ms);
        const probes = sys.lastProbes();
        if (r.status !== 'SUCCEEDED' || probes.length !== out.probes || probes.some((p) => !p.ok))
          out.allPassed = false;
      }
      log(`  scale: ${method} cycle of ${out.probes} probes, median ${median(out[method]).toFixed(0)} ms`);
    } finally {
      await sys.close();
    }
  }
  return out;
}
