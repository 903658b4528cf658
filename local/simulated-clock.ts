/**
 * The local system's clock: the clock a test gives (`now`), else simulated time (`simulatedClock`), else the wall
 * clock. Simulated time starts at the wall clock; each execution starts at it and moves it on by the cycles it runs,
 * and each decision happens at its round's planned time — so cadence slots, leases and pins behave as they would in
 * real time, without waiting. Real time passes on top of it.
 */
import { confirmDelaySeconds } from '../core/cycle-plan';
import type { Settings } from '../core/settings';

export interface SystemClockOptions {
  /** The clock a test gives: it wins over everything else. @default none */
  now?: () => Date;
  /** Run on simulated time. @default false (the wall clock) */
  simulated?: boolean;
}

/** The round a decision belongs to, as the workflow hands it to the health check. */
export interface PlannedRound {
  at?: string;
  attempt?: number;
}

export class SystemClock {
  /** Simulated time, moved on by each execution's cycles (and `advance`); undefined on the wall clock. */
  private simNow: number | undefined;
  private readonly wallAtStart = Date.now();
  /** The current decision's time on a simulated clock (its round's planned time). */
  private decideAt: Date | undefined;

  constructor(
    private readonly settings: Pick<Settings, 'cadenceSeconds' | 'cyclesPerExecution' | 'confirmDelaySeconds'>,
    private readonly o: SystemClockOptions = {},
  ) {
    this.simNow = o.simulated ? Date.now() : undefined;
  }

  /** Now, on the system's clock. */
  now(): Date {
    return this.o.now?.() ?? (this.simNow !== undefined ? new Date(this.simulatedMs()) : new Date());
  }

  /**
   * The health check's clock: the clock given, else the round's planned time on a simulated clock (once a round was
   * planned), else the wall clock.
   */
  decisionClock(): () => Date {
    return this.o.now ?? (() => this.decideAt ?? new Date());
  }

  /** On a simulated clock: the next decision happens at `round`'s planned time. */
  planDecision(round: PlannedRound | undefined): void {
    if (this.simNow === undefined || !round?.at) return;
    // A confirmation round decides after its wait (and its probes, counted as half a second).
    const planned = Date.parse(round.at) + (round.attempt ?? 0) * confirmDelaySeconds(this.settings) * 1000 + 500;
    this.decideAt = new Date(Number.isFinite(planned) ? planned : this.simulatedMs());
  }

  /**
   * An execution starts: its start time (given, or the system's now), after which a simulated clock moves on by the
   * cycles it runs (`cycles` from its input; default the configured cycles per execution).
   */
  startExecution(input: unknown, startedAt?: Date): Date {
    const at = startedAt ?? this.now();
    // A report-started check (`reported`) runs beside the schedule's executions, now: it does not move time on.
    if (this.simNow !== undefined && (input as { reported?: unknown } | null | undefined)?.reported === undefined) {
      const ran = (input as { cycles?: unknown } | null | undefined)?.cycles;
      this.simNow +=
        (typeof ran === 'number' ? ran : this.settings.cyclesPerExecution) * this.settings.cadenceSeconds * 1000;
    }
    return at;
  }

  /** Moves simulated time on. */
  advance(ms: number): void {
    if (this.simNow === undefined) throw new Error('advance() needs a system started with simulatedClock');
    this.simNow += ms;
  }

  private simulatedMs(): number {
    return this.simNow! + (Date.now() - this.wallAtStart);
  }
}
