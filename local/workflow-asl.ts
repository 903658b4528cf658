/**
 * The health-check ASL as the local runner runs it: the file with its `${Token}`s substituted (as deployed), then the
 * rewrites that make aws-local-stepfunctions behave as Step Functions does — a Wait on a timestamp becomes a local
 * task that sleeps to the second, and `$$.Execution.StartTime` reads the start the runner was given.
 */
import { join } from 'node:path';

export const ASL_PATH = join(__dirname, '..', 'statemachine', 'health-check.asl.json');

/** The context key the given start time travels under (aws-local-stepfunctions overwrites `StartTime`). */
export const GIVEN_START_TIME = 'LexdrGivenStartTime';
/** The Resource of the local task a timestamp Wait becomes. */
export const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::lexdr-local:wait';

/** A timestamp as Step Functions accepts one (RFC 3339). */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface TaskState {
  Type: 'Task';
  Resource: string;
  Parameters?: Record<string, unknown>;
}
export interface AnyState {
  Type: string;
  Timestamp?: string;
  TimestampPath?: string;
  InputPath?: string | null;
  TimeoutSeconds?: number;
  ResultPath?: string | null;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Retry?: unknown;
  ItemProcessor?: { States: Record<string, AnyState> };
  Iterator?: { States: Record<string, AnyState> };
}

/** Substitutes `${Token}`s; throws on an unknown or leftover token. */
export function substitute(asl: string, subs: Record<string, string>): string {
  const out = asl.replace(/\$\{([A-Za-z0-9]+)\}/g, (m, name: string) => {
    const v = subs[name];
    if (v === undefined) throw new Error(`no substitution for ${m} in the state machine definition`);
    return v;
  });
  return out;
}

/** Every state, those inside a Map's processor too, by name. */
export function allStates(states: Record<string, AnyState>): [string, AnyState][] {
  return Object.entries(states).flatMap(([name, s]) => {
    const inner = s.ItemProcessor?.States ?? s.Iterator?.States;
    return [[name, s] as [string, AnyState], ...(inner ? allStates(inner) : [])];
  });
}

/** Points every `$$.Execution.StartTime` reference at the given start (see {@link GIVEN_START_TIME}). */
export function givenStartTime(asl: string): string {
  return asl.replace(/\$\$\.Execution\.StartTime\b/g, `$$$$.Execution.${GIVEN_START_TIME}`);
}

/** The whole second a timestamp falls in, as Step Functions waits for it. */
export function truncateToSecond(iso: string): number {
  const t = Date.parse(iso);
  return Math.floor(t / 1000) * 1000;
}

/**
 * Rewrites each Wait with `Timestamp`/`TimestampPath` into a local task (same name, same transition) whose
 * handler sleeps until the timestamp truncated to the second; returns the names of those states.
 */
export function localTimestampWaits(states: Record<string, AnyState>): string[] {
  const names: string[] = [];
  for (const [name, s] of Object.entries(states)) {
    const inner = s.ItemProcessor?.States ?? s.Iterator?.States;
    if (inner) names.push(...localTimestampWaits(inner));
    if (s.Type !== 'Wait' || (s.Timestamp === undefined && s.TimestampPath === undefined)) continue;
    if (s.InputPath !== undefined)
      throw new Error(`state "${name}": a timestamp Wait with InputPath is not supported by the local runner`);
    const at = s.TimestampPath !== undefined ? { 'timestamp.$': s.TimestampPath } : { timestamp: s.Timestamp };
    delete s.Timestamp;
    delete s.TimestampPath;
    Object.assign(s, {
      Type: 'Task',
      Resource: LOCAL_WAIT_RESOURCE,
      Parameters: at,
      ResultPath: null,
      // The interpreter's Task default is 60 s; a Wait has none (2^31 ms is setTimeout's ceiling).
      TimeoutSeconds: 2_147_483,
    });
    names.push(name);
  }
  return names;
}
