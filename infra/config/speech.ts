/** Where a config probes by speech: one question for the rules, the stack's permissions and the cost model. */
import type { BaseConfig } from './schema';

/**
 * Where the config has lexdr probe by speech (RecognizeUtterance of the shipped recording), if anywhere: the
 * `speech` method, a periodic speech probe, or the confirmation of callers' reports. The probe role's permissions,
 * the config's rules and the cost model ask this one question.
 */
export function speechUse(
  c: Pick<BaseConfig, 'probe' | 'callerReports'>,
): { path: (string | number)[]; what: string } | undefined {
  if (c.probe.method === 'speech') return { path: ['probe', 'method'], what: 'probe.method "speech"' };
  if (c.probe.speechEveryMinutes > 0)
    return { path: ['probe', 'speechEveryMinutes'], what: `probe.speechEveryMinutes ${c.probe.speechEveryMinutes}` };
  if (c.callerReports.enabled && c.callerReports.confirmWith === 'speech')
    return { path: ['callerReports', 'confirmWith'], what: 'callerReports.confirmWith "speech"' };
  return undefined;
}
