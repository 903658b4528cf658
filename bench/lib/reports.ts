/**
 * Callers' reports must never move callers by themselves. Three runs on a local system as `npm start` runs it:
 * - healthy calls: many simulated callers walk the flow while every region is healthy — no region change;
 * - a flood of forged reports (distinct contact IDs) for the healthy active region — no region change, and the
 *   checks they start stay within the rule's rate limit;
 * - a text-probe-only config (`callerReports.confirmWith: 'probe'`) under a speech-only fault with callers — every
 *   caller is reported, the checks' text probes pass, and nothing switches.
 */
import { randomUUID } from 'node:crypto';
import type { LexdrConfigInput } from '../../infra/config';
import { contactFlowEvent } from '../../flows/simulate';
import type { LocalSystem, ReportRecord } from '../../local/system';
import { startCallers } from './callers';
import { startScheduledSystem } from './running-system';

export interface NoSwitchRun {
  label: string;
  /** Simulated callers, or forged reports. */
  sent: number;
  what: 'callers' | 'forged reports';
  /** Reports the report function took (repeats of a contact not counted). */
  reports: number;
  /** Checks those reports started. */
  checks: number;
  /** The most checks the rule allows in the run's time (one per minIntervalSeconds, per region). */
  checksAllowed: number;
  /** Region changes written during the run. */
  switches: number;
  /** Callers who needed the flow's retry (callers runs). */
  retried: number;
  seconds: number;
  failedExecutions: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Region changes in the history since `since` (ISO). */
async function switchesSince(sys: LocalSystem, since: string): Promise<number> {
  return (await sys.history()).filter((c) => c.at >= since).length;
}

async function run(
  label: string,
  config: LexdrConfigInput,
  what: NoSwitchRun['what'],
  drive: (sys: LocalSystem) => Promise<{ sent: number; retried: number }>,
): Promise<NoSwitchRun> {
  const running = await startScheduledSystem(config);
  const { sys } = running;
  try {
    // One cycle on a healthy system first: the item exists and names the primary.
    for (let i = 0; i < 200 && (await sys.readItem())?.lexRegion !== sys.settings.regions[0]; i++) await sleep(100);
    const since = new Date().toISOString();
    const t0 = performance.now();
    const records: ReportRecord[] = [];
    sys.onEvent((e) => {
      if (e.type === 'report') records.push(e.record);
    });
    const { sent, retried } = await drive(sys);
    await sys.drainReports();
    // Let the last checks finish (a check is one cycle: its probes, decision and write).
    await sleep(5_000);
    const seconds = (performance.now() - t0) / 1000;
    const taken = records.filter((r) => r.result && r.result.outcome !== 'duplicate');
    const checks = records.filter((r) => r.result?.executionArn).length;
    const rule = sys.config.callerReports;
    return {
      label,
      sent,
      what,
      reports: taken.length,
      checks,
      checksAllowed: rule.enabled
        ? sys.settings.regions.length * (Math.ceil(seconds / rule.minIntervalSeconds) + 1)
        : 0,
      switches: await switchesSince(sys, since),
      retried,
      seconds,
      failedExecutions: running.failedExecutions(),
    };
  } finally {
    await running.close();
  }
}

/** `calls` simulated callers at `perSecond` through the flow while every region is healthy. */
export function healthyCalls(config: LexdrConfigInput, calls: number, perSecond: number): Promise<NoSwitchRun> {
  return run(`${calls} healthy calls at ${perSecond}/s`, config, 'callers', async (sys) => {
    const callers = startCallers(sys, perSecond);
    await sleep((calls / perSecond) * 1000);
    const out = (await callers.stop()).slice(0, calls);
    return { sent: out.length, retried: out.filter((c) => c.retried).length };
  });
}

/** `count` forged reports at `perSecond`, each from a new contact, for the healthy active region. */
export function forgedFlood(config: LexdrConfigInput, count: number, perSecond: number): Promise<NoSwitchRun> {
  return run(
    `${count} forged reports at ${perSecond}/s for the healthy active region`,
    config,
    'forged reports',
    async (sys) => {
      const region = (await sys.readItem())?.lexRegion ?? sys.settings.regions[0]!;
      const bot = sys.settings.bots[0]!.name;
      for (let i = 0; i < count; i++) {
        sys.reportAsync(
          contactFlowEvent(
            { bot, lexRegion: region, kind: 'error', block: 'talk-to-bot' },
            { contactId: randomUUID() },
          ),
        );
        await sleep(1000 / perSecond);
      }
      return { sent: count, retried: 0 };
    },
  );
}

/**
 * A speech-only fault (`nospeech`) in the primary with callers at `perSecond` for `seconds`, on a config whose
 * checks confirm with the text probe: callers are reported, the checks' probes pass, nothing may switch.
 */
export function textOnlyUnderSpeechFault(
  config: LexdrConfigInput,
  perSecond: number,
  seconds: number,
): Promise<NoSwitchRun> {
  return run(
    `text-probe-only config, speech-only fault, callers at ${perSecond}/s for ${seconds} s`,
    config,
    'callers',
    async (sys) => {
      const primary = sys.settings.regions[0]!;
      sys.lex[primary]!.setFault({ mode: 'nospeech' });
      try {
        const callers = startCallers(sys, perSecond);
        await sleep(seconds * 1000);
        const out = await callers.stop();
        return { sent: out.length, retried: out.filter((c) => c.retried).length };
      } finally {
        sys.lex[primary]!.setFault({ mode: 'none' });
      }
    },
  );
}
