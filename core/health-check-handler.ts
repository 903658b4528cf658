/** The health-check Lambda's adapter: validates the workflow's event and calls the pure core. */
import { z } from 'zod';
import { InvalidInputError, describeIssues } from './errors';
import type { CycleState, MetricDatum } from './health-core';
import { cycleStateSchema, decideCycle, metricDataFor, parseCycleState, planFirstCycle } from './health-core';
import { logger } from './powertools';
import type { Settings } from './settings';

const eventSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('plan'),
    input: z.unknown(),
    execution: z.object({
      id: z.string().min(1),
      startedAt: z.string().min(1),
      delivery: z.string().max(64).optional(),
    }),
  }),
  z.object({ action: z.literal('decide'), state: z.unknown() }),
  z.object({ action: z.literal('metrics'), state: cycleStateSchema.pick({ connectRegion: true, metrics: true }) }),
]);
export type HealthCheckEvent = z.infer<typeof eventSchema>;

export type HealthCheckDeps = {
  now: () => Date;
} & (
  | {
      /** Fixed settings (tests). */
      settings: Settings;
    }
  | {
      /** The settings item of the DR table, read at cold start and cached (`createSettingsLoader`). */
      loadSettings: () => Promise<Settings>;
    }
);

export function createHealthCheckHandler(deps: HealthCheckDeps) {
  const settingsOf = 'settings' in deps ? async () => deps.settings : deps.loadSettings;
  return async (event: unknown): Promise<CycleState | MetricDatum[]> => {
    const parsed = eventSchema.safeParse(event);
    if (!parsed.success)
      throw new InvalidInputError(`invalid health-check event: ${describeIssues(parsed.error.issues, event)}`);
    // The execution's metrics need no settings: they come out even while the settings cannot be read.
    if (parsed.data.action === 'metrics') {
      const { connectRegion, metrics } = parsed.data.state;
      return metricDataFor(connectRegion, metrics);
    }
    const settings = await settingsOf();
    if (parsed.data.action === 'plan') {
      const state = planFirstCycle(settings, parsed.data.input, parsed.data.execution);
      if (state.drill) logger.info('drill started', { execution: state.execution.id, drill: state.drill });
      return state;
    }
    const next = decideCycle(settings, parseCycleState(parsed.data.state), deps.now());
    const d = next.decision!;
    if (d.change) logger.info('region change', { change: d.change });
    else if (d.to === d.from && next.cycle.attempt > 0) logger.info('confirming a failure', { cycle: next.cycle });
    else logger.debug('decision', { write: d.write, lexRegion: d.to });
    return next;
  };
}
