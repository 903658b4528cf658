/**
 * From the validated config and each bot's per-region IDs to the handlers' settings for one Connect region (the
 * settings item of its DR table, core/settings.ts). The stack and the local runtime both build settings
 * here, so the handlers see the same shape everywhere.
 */
import type { BotConfig, BotRegion, LexdrConfig } from './config';
import { cyclesPerExecution, nluEveryCycles, speechEveryCycles } from './config';
import type { Settings } from '../core/settings';
import { botAliasArn, parseSettings } from '../core/settings';

/** Resolves a bot's IDs in a region (bot stacks' outputs, context IDs, or the local regions' IDs). */
export type BotIdResolver = (bot: BotConfig, region: string) => BotRegion;

/** IDs given in the config: per region (`existing`) or one set shared by replicas (`global-resiliency`). */
export function configuredIds(bot: BotConfig, region: string): BotRegion | undefined {
  if (bot.source === 'existing') return bot.ids[region];
  if (bot.source === 'global-resiliency') return Object.values(bot.ids)[0];
  return undefined;
}

export function buildSettings(
  config: LexdrConfig,
  resolve: BotIdResolver,
  account: string,
  partition = 'aws',
  connectRegion: string = config.connectRegion,
): Settings {
  if (!config.connectRegions.includes(connectRegion))
    throw new Error(
      `connect region ${connectRegion} is not one of connectRegions (${config.connectRegions.join(', ')})`,
    );
  return parseSettings({
    connectRegion,
    regions: config.regions,
    bots: config.bots.map((bot) => ({
      name: bot.name,
      localeId: bot.localeId,
      regions: Object.fromEntries(
        config.regions.map((region) => {
          const ids = configuredIds(bot, region) ?? resolve(bot, region);
          return [region, { ...ids, botAliasArn: botAliasArn(partition, region, account, ids.botId, ids.botAliasId) }];
        }),
      ),
      ...(bot.v1 ? { v1: bot.v1 } : {}),
    })),
    failThreshold: config.failThreshold,
    recoverThreshold: config.recoverThreshold,
    cadenceSeconds: config.cadenceSeconds,
    cyclesPerExecution: cyclesPerExecution(config),
    nluEveryCycles: nluEveryCycles(config),
    speechEveryCycles: speechEveryCycles(config),
    confirmFailures: config.confirmFailures,
    confirmDelaySeconds: config.confirmDelaySeconds,
    probe: {
      method: config.probe.method,
      utterance: config.probe.utterance,
      expectedIntent: config.probe.expectedIntent,
      ...(config.probe.expectedSlot ? { expectedSlot: config.probe.expectedSlot } : {}),
      timeoutMs: config.probe.timeoutMs,
      latencyBudgetMs: config.probe.latencyBudgetMs,
    },
    lookupCacheSeconds: config.lookupCacheSeconds,
    callerReports: config.callerReports,
  });
}
