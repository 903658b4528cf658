/**
 * The config's cross-field rules — what no single field can say on its own (the cadence against the minute, the probe
 * timeout against the cadence, each bot's IDs against its source and the regions, the Connect instances against the
 * Connect regions) — and, when deploying, the limits check of `./limits-check.ts`. Each issue is reported on the key
 * to change.
 */
import type { z } from 'zod';
import { PROBE_RECORDING } from '../../core/probe-recording';
import { speechUse } from './speech';
import { checkLimits } from './limits-check';
import { arnRegion } from './schema';
import type { BaseConfig } from './schema';

/** The config's rules; with `deployLimits`, also what one stack can deploy (its state, template, resources). */
export const rules = (deployLimits: boolean) => (c: BaseConfig, ctx: z.RefinementCtx) => {
  if (60 % c.cadenceSeconds !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['cadenceSeconds'],
      message: `must divide 60 evenly (5, 6, 10, 12, 15, 20, 30, 60) so cycles line up with the 1-minute schedule`,
    });
  }
  if (c.probe.latencyBudgetMs > c.probe.timeoutMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['probe', 'latencyBudgetMs'],
      message: `must not exceed probe.timeoutMs (${c.probe.timeoutMs})`,
    });
  }
  if (c.probe.timeoutMs / 1000 >= c.cadenceSeconds) {
    ctx.addIssue({
      code: 'custom',
      path: ['probe', 'timeoutMs'],
      message: `must be shorter than one cycle (cadenceSeconds ${c.cadenceSeconds} s)`,
    });
  }
  // Speech probes play the shipped recording of one phrase: the probe's utterance must be that phrase, in English.
  const speechBy = speechUse(c);
  if (speechBy && c.probe.utterance !== PROBE_RECORDING.transcript) {
    ctx.addIssue({
      code: 'custom',
      path: ['probe', 'utterance'],
      message: `${speechBy.what} sends the shipped recording of "${PROBE_RECORDING.transcript}": set probe.utterance to it, record your phrase with \`npx tsx bot/record-probe-utterance.ts "<phrase>"\`, or set callerReports.confirmWith to "probe"`,
    });
  }
  if (speechBy)
    c.bots.forEach((b, i) => {
      if (!b.localeId.startsWith('en_'))
        ctx.addIssue({
          code: 'custom',
          path: ['bots', i, 'localeId'],
          message: `${speechBy.what} sends an English recording; a bot in ${b.localeId} would not understand it (set callerReports.confirmWith to "probe")`,
        });
    });
  c.bots.forEach((b, i) => {
    if (b.source === 'existing') {
      const missing = c.regions.filter((r) => !b.ids[r]);
      if (missing.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['bots', i, 'ids'],
          message: `source "existing" needs botId/botAliasId for every region; missing ${missing.join(', ')}`,
        });
      }
    }
    if (b.source === 'global-resiliency' && Object.keys(b.ids).length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['bots', i, 'ids'],
        message: `source "global-resiliency" takes exactly one entry of IDs (shared by the replica regions)`,
      });
    }
    if ((c.probe.method === 'v1-putsession' || c.probe.method === 'v1-posttext') && !b.v1) {
      ctx.addIssue({
        code: 'custom',
        path: ['bots', i, 'v1'],
        message: `probe.method "${c.probe.method}" needs the bot's Lex V1 name and alias`,
      });
    }
  });
  if (c.connectRegion && c.connectRegions && !c.connectRegions.includes(c.connectRegion)) {
    ctx.addIssue({
      code: 'custom',
      path: ['connectRegion'],
      message: `must be one of connectRegions (${c.connectRegions.join(', ')}), or left out`,
    });
  }
  const connectRegions = c.connectRegions ?? [c.connectRegion ?? 'us-east-1'];
  const instances = [
    ...(c.connectInstanceArn ? [{ path: ['connectInstanceArn'], arn: c.connectInstanceArn }] : []),
    ...c.connectInstances.map((x, i) => ({ path: ['connectInstances', i, 'instanceArn'], arn: x.instanceArn })),
  ];
  const seen = new Set<string>();
  for (const { path, arn } of instances) {
    const region = arnRegion(arn);
    if (!connectRegions.includes(region)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `is in ${region}, not one of the Connect regions (${connectRegions.join(', ')})`,
      });
    } else if (seen.has(region)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `a second Connect instance in ${region}: one per Connect region`,
      });
    }
    seen.add(region);
  }
  if (deployLimits) checkLimits(c, ctx);
};

export const withConnectRegions = (c: BaseConfig) => {
  const connectRegions = c.connectRegions ?? [c.connectRegion ?? 'us-east-1'];
  return { ...c, connectRegion: c.connectRegion ?? connectRegions[0]!, connectRegions };
};
