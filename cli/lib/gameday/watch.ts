/**
 * Watching a game day while it runs, the same on both targets: the lexDR item (every region it passes through, the
 * failure counters, the blind state) and lexdr's alarms — on AWS their CloudWatch state, locally the signal each
 * alarm's metric carries (the local CloudWatch evaluates no alarms) — with one progress line per change.
 */
import { DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { GameDayAlarm } from '../../../core/game-days';
import { ERR } from '../../../core/dr-item';
import type { DrItem, RegionChange } from '../dr-table';
import { getItem, queryHistory } from '../dr-table';
import { formatMs } from '../format';
import type { Io } from '../io';
import type { Target } from '../target';
import type { AlarmSeen, Observation } from './verdict';
import type { CliContext } from '../context';
import { runDrill } from '../../commands/drill';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The local signals of the alarms the lexDR item shows (HealthCheckNotRunning and LookupErrors: the runner's). */
const ITEM_SIGNALS = {
  HealthCheckBlind: "local: the health check reported every region unobservable (the item's blind state)",
  NoHealthyRegion: 'local: lexDR was "err"',
  NotOnPrimary: 'local: lexDR was off the primary region',
} as const satisfies Partial<Record<GameDayAlarm, string>>;

export class RunWatch {
  readonly regionsSeen: string[] = [];
  readonly failsMax: Record<string, number> = {};
  readonly alarms: Partial<Record<GameDayAlarm, AlarmSeen>> = {};
  private last = '';
  private tick = 0;
  private startVersion: number | undefined;
  private readonly t0: number;

  constructor(
    private readonly t: Target,
    private readonly io: Io,
    private readonly regions: readonly string[],
    /** AWS: the CloudWatch names of the alarms to watch. */
    private readonly alarmNames: Partial<Record<GameDayAlarm, string>> = {},
    private readonly quiet = false,
  ) {
    this.t0 = io.now().getTime();
    if (t.kind === 'local')
      for (const [a, source] of Object.entries(ITEM_SIGNALS))
        this.alarms[a as GameDayAlarm] = { everAlarm: false, source };
    else
      for (const [a, name] of Object.entries(this.alarmNames))
        this.alarms[a as GameDayAlarm] = { everAlarm: false, source: `CloudWatch alarm ${name}` };
  }

  /** Marks an alarm as seen in ALARM (a local signal the runner observed). */
  seen(alarm: GameDayAlarm, source: string, everAlarm: boolean, detail?: string): void {
    const prev = this.alarms[alarm];
    this.alarms[alarm] = {
      everAlarm: (prev?.everAlarm ?? false) || everAlarm,
      source,
      ...((detail ?? prev?.detail) ? { detail: detail ?? prev?.detail } : {}),
    };
  }

  /**
   * One look at the item (and the alarms on AWS); prints a progress line when something changed. The first look is
   * the baseline: the alarms' signals count from the run's own writes on (a blind state left by an earlier run is not
   * this run's), and on AWS from the second look.
   */
  async sample(status: string): Promise<DrItem | null> {
    const item = await getItem(this.t).catch(() => null);
    const first = this.startVersion === undefined;
    if (first) this.startVersion = item?.version ?? -1;
    if (item) {
      if (this.regionsSeen.at(-1) !== item.lexRegion) this.regionsSeen.push(item.lexRegion);
      for (const r of this.regions)
        this.failsMax[r] = Math.max(this.failsMax[r] ?? 0, item.regionHealth[r]?.fails ?? 0);
      if (this.t.kind === 'local' && item.version !== this.startVersion) {
        const primary = this.regions[0];
        const blindAll = Boolean(item.blind && this.regions.every((r) => item.blind!.regions.includes(r)));
        this.seen('HealthCheckBlind', ITEM_SIGNALS.HealthCheckBlind, blindAll, item.blind?.detail || undefined);
        this.seen('NoHealthyRegion', ITEM_SIGNALS.NoHealthyRegion, item.lexRegion === ERR);
        this.seen('NotOnPrimary', ITEM_SIGNALS.NotOnPrimary, item.lexRegion !== ERR && item.lexRegion !== primary);
      }
    }
    if (this.t.kind === 'aws' && !first) await this.sampleAlarms();
    this.progress(status, item);
    return item;
  }

  private async sampleAlarms(): Promise<void> {
    const names = Object.values(this.alarmNames);
    if (names.length === 0) return;
    try {
      const out = await this.t.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names }));
      for (const a of out.MetricAlarms ?? []) {
        const id = (Object.keys(this.alarmNames) as GameDayAlarm[]).find((k) => this.alarmNames[k] === a.AlarmName);
        if (id) this.seen(id, `CloudWatch alarm ${a.AlarmName}`, a.StateValue === 'ALARM', a.StateValue);
      }
    } catch (err) {
      this.io.err(`warning: DescribeAlarms failed (${(err as Error).message}); alarm states are read again next time`);
    }
  }

  /** AWS, at the end: the alarms' history since the start also counts (an ALARM between two looks). */
  async alarmHistory(since: Date): Promise<void> {
    for (const [id, name] of Object.entries(this.alarmNames) as [GameDayAlarm, string][]) {
      try {
        const out = await this.t.cloudwatch.send(
          new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: 'StateUpdate', StartDate: since }),
        );
        const toAlarm = (out.AlarmHistoryItems ?? []).some((h) => /to ALARM/.test(h.HistorySummary ?? ''));
        if (toAlarm) this.seen(id, `CloudWatch alarm ${name} (history)`, true);
      } catch {
        // The states sampled during the run stand (the history is a second look, not the only one).
      }
    }
  }

  /** Whether any of these alarms has been seen in ALARM: the first one, else undefined. */
  firing(alarms: readonly GameDayAlarm[]): GameDayAlarm | undefined {
    return alarms.find((a) => this.alarms[a]?.everAlarm);
  }

  private progress(status: string, item: DrItem | null): void {
    if (this.quiet) return;
    const state = !item
      ? 'no lexDR item'
      : `lexDR ${item.lexRegion}${item.blind ? ` · health check blind (${item.blind.regions.join(', ')})` : ''}` +
        ` · fails ${this.regions.map((r) => `${r} ${item.regionHealth[r]?.fails ?? 0}`).join(', ')}`;
    const alarms = (Object.keys(this.alarms) as GameDayAlarm[]).filter((a) => this.alarms[a]?.everAlarm);
    const key = `${status} · ${state}${alarms.length ? ` · seen in ALARM: ${alarms.join(', ')}` : ''}`;
    const line = `${formatMs(this.io.now().getTime() - this.t0)} ${key}`;
    if (this.io.isTTY) this.io.progress(`${SPINNER[(this.tick += 1) % SPINNER.length]} ${line}`);
    else if (key !== this.last) this.io.out(`  ${line}`);
    this.last = key;
  }
}

/** The region changes recorded since the start: those not already in the history before it (clocks may differ). */
export async function newChanges(
  t: Target,
  baseline: readonly RegionChange[],
  sinceIso: string,
): Promise<RegionChange[]> {
  const key = (c: RegionChange) => `${c.at}|${c.execution}|${c.cycle}`;
  const known = new Set(baseline.map(key));
  return (await queryHistory(t, sinceIso)).filter((c) => !known.has(key(c)));
}

/**
 * The "Lex region fails" game day, the same on AWS and locally: lexdr's own drill of the active region (FIS cannot fail
 * Lex itself) for `cycles` cycles; a drill execution that does not succeed ends the run as failed (`end`).
 */
export async function runDrillGameDay(
  ctx: CliContext,
  t: Target,
  o: {
    name: string;
    before: DrItem | null | undefined;
    regions: readonly string[];
    cycles: number;
    quiet: boolean;
    watch: RunWatch;
    end: Observation['end'];
  },
): Promise<void> {
  const active = o.before && o.regions.includes(o.before.lexRegion) ? o.before.lexRegion : o.regions[0]!;
  const r = await runDrill(ctx, t, {
    fail: active,
    cycles: String(Math.min(30, o.cycles)),
    reason: `game day ${o.name}`,
    json: o.quiet,
    timeout: '10m',
  });
  await o.watch.sample(r.status);
  if (r.status !== 'SUCCEEDED')
    Object.assign(o.end, { status: 'failed', reason: `execution ${r.status} ${r.error ?? ''}` });
}
