/**
 * lexdr's game days, defined once: what each experiment injects, for how long, the alarms that stop it, and the
 * outcome it expects as checkable assertions. The CDK construct (infra/constructs/game-days.ts) writes the FIS
 * experiment templates from these definitions (their descriptions, durations, stop conditions and tags); the CLI
 * (`lexdr gameday`) runs them — with FIS on AWS, with the local system's own fault injection locally — and checks the
 * same assertions on both.
 */

/** The experiments, by the stable name the templates are tagged with and `lexdr gameday run <name>` takes. */
export const GAME_DAY_NAMES = [
  'probe-function-fails',
  'lookup-slow',
  'probe-function-slow',
  'lex-region-fails',
] as const;
export type GameDayName = (typeof GAME_DAY_NAMES)[number];

/** lexdr's alarms a game day stops on or expects, by their construct IDs (infra/constructs/dr-alarms.ts). */
export const GAME_DAY_ALARMS = [
  'NoHealthyRegion',
  'NotOnPrimary',
  'HealthCheckNotRunning',
  'HealthCheckBlind',
  'LookupErrors',
] as const;
export type GameDayAlarm = (typeof GAME_DAY_ALARMS)[number];

/** The Connect flow's time limit on the lookup (flows/lexdr-flow.json, `InvocationTimeLimitSeconds`). */
export const FLOW_LOOKUP_LIMIT_MS = 3000;

/** A fault in one of lexdr's own functions: FIS's Lambda actions on AWS, the local system's function faults locally. */
export interface FunctionFault {
  readonly kind: 'function';
  /** The function: the health check's probe, or the lookup Amazon Connect calls. */
  readonly function: 'probe' | 'lookup';
  /** `error`: every invocation fails without running the code; `delay`: every invocation starts `delayMs` late. */
  readonly effect: 'error' | 'delay';
  readonly delayMs?: number;
}

/** lexdr's own drill: a health-check execution in which the active region counts as failed (no bot is touched). */
export interface DrillFault {
  readonly kind: 'drill';
}

export type GameDayFault = FunctionFault | DrillFault;

/** One checkable part of an experiment's expected outcome. */
export type Expectation =
  /** lexDR stays on the region it had at the start (`moves: false`), or moves to the next region in priority order. */
  | { readonly kind: 'region'; readonly moves: boolean }
  /** No region change is recorded (`reason` absent), or one with this reason (and drill flag). */
  | { readonly kind: 'history'; readonly reason?: 'failover'; readonly drill?: boolean }
  /** The alarm is in ALARM at some time during the run (`ALARM`), or never is (`OK`). */
  | { readonly kind: 'alarm'; readonly alarm: GameDayAlarm; readonly state: 'ALARM' | 'OK' }
  /** Probes that could not run (the ProbeErrors metric, summed over the run): at least `min`, at most `max`. */
  | { readonly kind: 'probe-errors'; readonly min?: number; readonly max?: number }
  /** No region's consecutive-failure counter rises: nothing lexdr could not observe counts against a region. */
  | { readonly kind: 'no-failures-counted' }
  /** Callers walked through the contact flow meanwhile are all served, and the lookup kept them waiting past its limit. */
  | { readonly kind: 'callers-served'; readonly lookupPastLimit: boolean };

export interface GameDay {
  readonly name: GameDayName;
  readonly title: string;
  /** What it injects, in a sentence. */
  readonly injects: string;
  readonly fault: GameDayFault;
  /** How long the fault lasts (FIS: the action's duration; locally, the default of `--duration`). */
  readonly durationSeconds: number;
  readonly expected: readonly Expectation[];
  /** The alarms that stop the experiment at once (FIS stop conditions), and why those. */
  readonly stopOn: readonly GameDayAlarm[];
  readonly stopReason: string;
  /** What passing it proves. */
  readonly proves: string;
}

export const GAME_DAYS: readonly GameDay[] = [
  {
    name: 'probe-function-fails',
    title: 'The probe function fails',
    injects: 'every invocation of the probe function fails without running (FIS aws:lambda:invocation-error, 100 %)',
    fault: { kind: 'function', function: 'probe', effect: 'error' },
    durationSeconds: 300,
    expected: [
      { kind: 'region', moves: false },
      { kind: 'history' },
      { kind: 'no-failures-counted' },
      { kind: 'alarm', alarm: 'HealthCheckBlind', state: 'ALARM' },
      { kind: 'probe-errors', min: 1 },
    ],
    stopOn: ['NotOnPrimary', 'NoHealthyRegion', 'HealthCheckNotRunning'],
    stopReason:
      'HealthCheckBlind is the expected outcome, so it cannot stop the run; a switch (NotOnPrimary, NoHealthyRegion) is exactly what this experiment must not cause, and the workflow itself must keep running (HealthCheckNotRunning).',
    proves: "lexdr's own failure never moves callers: it holds them where they are and says it is blind.",
  },
  {
    name: 'lookup-slow',
    title: 'The lookup is slow',
    injects: `every invocation of the lookup starts 4 s late, past the flow's ${FLOW_LOOKUP_LIMIT_MS / 1000} s limit (FIS aws:lambda:invocation-add-delay, 100 %)`,
    fault: { kind: 'function', function: 'lookup', effect: 'delay', delayMs: 4000 },
    durationSeconds: 180,
    expected: [
      { kind: 'region', moves: false },
      { kind: 'history' },
      { kind: 'callers-served', lookupPastLimit: true },
    ],
    stopOn: ['NoHealthyRegion'],
    stopReason:
      "the flow's fallback reaches the bots by their deployed aliases: with no healthy region it has nothing to serve callers with, so the run stops. The lookup's own alarms (LookupErrors, LookupLatency) are the fault itself and do not stop it.",
    proves:
      "a slow lookup never drops a call: Connect gives up at the flow's limit and the fallback serves the caller.",
  },
  {
    name: 'probe-function-slow',
    title: 'The probe function is slow',
    injects:
      'every invocation of the probe function starts 3 s late, within its timeout (FIS aws:lambda:invocation-add-delay, 100 %)',
    fault: { kind: 'function', function: 'probe', effect: 'delay', delayMs: 3000 },
    durationSeconds: 300,
    expected: [
      { kind: 'region', moves: false },
      { kind: 'history' },
      { kind: 'no-failures-counted' },
      { kind: 'probe-errors', max: 0 },
      { kind: 'alarm', alarm: 'HealthCheckBlind', state: 'OK' },
    ],
    stopOn: ['NotOnPrimary', 'NoHealthyRegion', 'HealthCheckBlind', 'HealthCheckNotRunning'],
    stopReason:
      'a switch (NotOnPrimary, NoHealthyRegion) would be a false one; HealthCheckBlind means the delay pushed probes past their timeout (the probe-function-fails experiment, not this one); the workflow must keep running.',
    proves:
      'slow probes only delay detection (a real Lex failure is seen later by the delay): nothing false is counted and nobody is moved.',
  },
  {
    name: 'lex-region-fails',
    title: 'The active Lex region fails',
    injects:
      'a drill: a health-check execution in which the active region counts as failed (no bot is touched; FIS cannot fail Lex itself)',
    fault: { kind: 'drill' },
    durationSeconds: 60,
    expected: [
      { kind: 'region', moves: true },
      { kind: 'history', reason: 'failover', drill: true },
      { kind: 'alarm', alarm: 'NotOnPrimary', state: 'ALARM' },
    ],
    stopOn: [],
    stopReason: "the drill ends with its execution's last cycle; it is lexdr's own mechanism, not an FIS experiment.",
    proves:
      'a failed region moves callers to the next region in priority order within the drill, recorded as a failover; the schedule fails back once the region passes its probes again.',
  },
];

/** The game day of a name; throws naming the valid ones. */
export function gameDay(name: string): GameDay {
  const g = GAME_DAYS.find((x) => x.name === name);
  if (!g) throw new RangeError(`game day "${name}": must be one of ${GAME_DAY_NAMES.join(', ')}`);
  return g;
}

/** The game days FIS runs (a fault in one of lexdr's functions). */
export const fisGameDays = (): (GameDay & { fault: FunctionFault })[] =>
  GAME_DAYS.filter((g): g is GameDay & { fault: FunctionFault } => g.fault.kind === 'function');

/** Tags of the FIS experiment templates: how `lexdr gameday run --aws` finds a template and the alarms it names. */
export const GAME_DAY_TAGS = {
  /** The experiment's stable name (a `GameDayName`). */
  experiment: 'lexdr:game-day',
  /** The Connect region whose stack the template belongs to. */
  connectRegion: 'lexdr:connect-region',
  /** The name of one of lexdr's alarms the experiment stops on or expects (CloudFormation generates the names). */
  alarm: (a: GameDayAlarm) => `lexdr:alarm:${a}`,
} as const;

/** An expectation as a sentence (the templates' descriptions and the CLI's report say the same). */
export function describeExpectation(e: Expectation): string {
  switch (e.kind) {
    case 'region':
      return e.moves
        ? 'lexDR moves to the next region in priority order'
        : 'lexDR stays on the region it had at the start';
    case 'history':
      return e.reason
        ? `the history records a change with reason "${e.reason}"${e.drill ? ' (drill)' : ''}`
        : 'the history records no region change';
    case 'alarm':
      return e.state === 'ALARM' ? `alarm ${e.alarm} goes to ALARM` : `alarm ${e.alarm} stays out of ALARM`;
    case 'probe-errors':
      return e.max === 0
        ? 'every probe still reaches Lex (ProbeErrors 0)'
        : `probes that could not run are counted (ProbeErrors ≥ ${e.min ?? 1})`;
    case 'no-failures-counted':
      return "no region's failure counter rises";
    case 'callers-served':
      return `every caller walked through the flow is served${e.lookupPastLimit ? ` after the lookup ran past the flow's ${FLOW_LOOKUP_LIMIT_MS / 1000} s limit` : ''}`;
  }
}

/** The FIS template description: what it injects and what it expects (FIS allows 512 characters). */
export function templateDescription(g: GameDay): string {
  const text = `lexdr game day ${g.name}: ${g.injects}. Expected: ${g.expected.map(describeExpectation).join('; ')}.`;
  return text.length <= 512 ? text : `${text.slice(0, 511)}…`;
}

/** An ISO 8601 duration of whole seconds (FIS's `duration` parameter): 300 → PT5M, 90 → PT1M30S. */
export function isoDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`duration ${seconds}: whole seconds ≥ 1`);
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `PT${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
}
