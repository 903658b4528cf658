/**
 * The dashboard's alarm states, computed from the same thresholds as the CloudWatch alarms of
 * `infra/constructs/dr-alarms.ts`: no healthy region (lexRegion = err), not on the primary, a region's probes
 * failing in each of the last 3 one-minute periods, the health check not running (no cycle for more than
 * 2 × cadence), and workflow executions failing in the last minute.
 */

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmView {
  id: string;
  name: string;
  state: AlarmStateValue;
  detail: string;
}

export interface ProbePoint {
  /** Epoch ms. */
  t: number;
  region: string;
  ok: boolean;
}

export interface AlarmInput {
  now: number;
  regions: readonly string[];
  /** The lexDR item's lexRegion, or null when there is no item yet. */
  lexRegion: string | null;
  /** Epoch ms of the latest cycle's decision, null if none since the dashboard started. */
  lastCycleAt: number | null;
  /** Epoch ms the dashboard started watching. */
  since: number;
  cadenceSeconds: number;
  probes: readonly ProbePoint[];
  executions: readonly { status: string; stoppedAt?: string }[];
  /** Consecutive one-minute periods with a failed probe before a region alarm fires. @default 3 */
  probeFailingMinutes?: number;
  /** Period length in ms. @default 60000 */
  periodMs?: number;
}

export function computeAlarms(i: AlarmInput): AlarmView[] {
  const periods = i.probeFailingMinutes ?? 3;
  const periodMs = i.periodMs ?? 60_000;
  const primary = i.regions[0];
  const out: AlarmView[] = [];

  out.push({
    id: 'NoHealthyRegion',
    name: 'No healthy region',
    state: i.lexRegion === 'err' ? 'ALARM' : 'OK',
    detail: i.lexRegion === 'err' ? 'lexDR is "err": calls take the apology path' : 'a region is serving calls',
  });
  const offPrimary = i.lexRegion !== null && i.lexRegion !== 'err' && i.lexRegion !== primary;
  out.push({
    id: 'NotOnPrimary',
    name: 'Not on primary',
    state: offPrimary ? 'ALARM' : 'OK',
    detail: offPrimary ? `serving from ${i.lexRegion}, not ${primary}` : `primary ${primary}`,
  });

  for (const region of i.regions) {
    const buckets = Array.from({ length: periods }, (_, k) => {
      const end = i.now - k * periodMs;
      const inBucket = i.probes.filter((p) => p.region === region && p.t > end - periodMs && p.t <= end);
      return inBucket.length === 0 ? null : inBucket.some((p) => !p.ok);
    });
    const alarm = buckets.every((b) => b === true);
    const failingNow = buckets[0] === true;
    out.push({
      id: `ProbeFailing-${region}`,
      name: `Probes failing: ${region}`,
      state: alarm ? 'ALARM' : 'OK',
      detail: alarm
        ? `failed probes in each of the last ${periods} minutes`
        : failingNow
          ? `failures this minute (alarms after ${periods} minutes)`
          : 'probes passing',
    });
  }

  const limit = 2 * i.cadenceSeconds * 1000;
  const age = i.lastCycleAt === null ? i.now - i.since : i.now - i.lastCycleAt;
  out.push({
    id: 'HealthCheckNotRunning',
    name: 'Health check not running',
    state: age > limit ? 'ALARM' : i.lastCycleAt === null ? 'INSUFFICIENT_DATA' : 'OK',
    detail:
      i.lastCycleAt === null
        ? `no cycle yet (alarms after ${Math.round(limit / 1000)} s)`
        : `last cycle ${Math.round(age / 1000)} s ago (limit ${Math.round(limit / 1000)} s)`,
  });

  const failed = i.executions.filter(
    (e) => e.status === 'FAILED' && e.stoppedAt !== undefined && i.now - Date.parse(e.stoppedAt) <= periodMs,
  );
  out.push({
    id: 'WorkflowExecutionsFailed',
    name: 'Workflow executions failed',
    state: failed.length > 0 ? 'ALARM' : 'OK',
    detail: failed.length > 0 ? `${failed.length} failed in the last minute` : 'no failed execution in the last minute',
  });
  return out;
}
