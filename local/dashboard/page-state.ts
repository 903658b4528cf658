/** The state the dashboard page renders: what `GET /dashboard/api/state` answers (routes.ts) and the page embeds. */
import type { RegionReportsView } from '../report-view';
import type { AlarmView } from './alarms';
import type { SeriesPoint } from './routes';

export interface RegionHealth {
  fails: number;
  passes: number;
  reason: string;
}

export interface Change {
  from: string;
  to: string;
  reason: string;
  detail: string;
  at: string;
  drill: boolean;
  /** Started by callers' reports: how many, and the probe that confirmed it. */
  reported?: { contacts: number; firstAt: string; lastAt: string; confirmedBy: string };
}

export interface DashboardState {
  now: string;
  status: {
    connectRegion: string;
    regions: string[];
    item: {
      lexRegion: string;
      version: number;
      regionHealth: Record<string, RegionHealth>;
      pin: { region: string; until: string; by: string; reason: string } | null;
    } | null;
    lastProbes: { bot: string; region: string; ok: boolean; reason: string; latencyMs: number }[];
    history: Change[];
    faults: Record<string, { mode: string; latencyMs?: number }>;
    executions: { name: string; status: string; startedAt: string; stoppedAt?: string; error?: string }[];
    /** Callers' reports per region in the last minutes, and the checks they started. */
    reports: Record<string, RegionReportsView>;
  };
  series: Record<string, SeriesPoint[]>;
  alarms: AlarmView[];
  thresholds: { cadenceSeconds: number; failThreshold: number; recoverThreshold: number };
  faultModes: string[];
  lastCycleAt: string | null;
}
