/** Handler settings for the tests: one bot (OrderFlowers) in `regions`, primary first, its IDs numbered by region. */
import { parseSettings } from '../../core/settings';
import type { Settings } from '../../core/settings';

export function settingsFor(regions: readonly string[], over: Partial<Settings> = {}): Settings {
  return parseSettings({
    connectRegion: 'us-east-1',
    regions,
    bots: [
      {
        name: 'OrderFlowers',
        localeId: 'en_US',
        regions: Object.fromEntries(
          regions.map((r, i) => [
            r,
            {
              botId: `BOT00000${i}X`,
              botAliasId: `ALIAS0000${i}`,
              botAliasArn: `arn:aws:lex:${r}:111111111111:bot-alias/BOT00000${i}X/ALIAS0000${i}`,
            },
          ]),
        ),
      },
    ],
    failThreshold: 2,
    recoverThreshold: 3,
    cadenceSeconds: 10,
    cyclesPerExecution: 6,
    nluEveryCycles: 0,
    probe: {
      method: 'liveness',
      utterance: 'I would like to order some flowers',
      expectedIntent: 'OrderFlowers',
      timeoutMs: 1000,
      latencyBudgetMs: 500,
    },
    lookupCacheSeconds: 1,
    ...over,
  });
}
