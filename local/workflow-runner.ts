/**
 * Runs the real `statemachine/health-check.asl.json` with aws-local-stepfunctions. Every Task state is bound by
 * its Resource (local/workflow-tasks.ts): Lambda invokes to the real handlers (in-process), DynamoDB and CloudWatch
 * integrations to real SDK v3 calls against the local endpoints. A Task with no binding is an error at construction,
 * and every binding counts its calls so tests can prove none was skipped.
 *
 * Where the interpreter differs from Step Functions, the runner wraps it (it does not fork it) so that a run
 * here fails where a run on AWS would (the definition's rewrites are in local/workflow-asl.ts, the limits' accounting
 * in local/workflow-limits.ts, the limits themselves in core/aws-limits.ts):
 * - **256 KB** (`States.DataLimitExceeded`): every state's output and every task's input and result are
 *   measured (UTF-8 bytes of the JSON); over the limit the execution fails at once, whatever the state's
 *   `Catch` (on AWS `States.ALL` does not catch it), and no later task runs.
 * - **Wait timestamps** are truncated to the second, as Step Functions does: a Wait with `Timestamp` or
 *   `TimestampPath` runs as a local task that sleeps until that second (on the runner's clock).
 * - **`$$.Execution.StartTime`** is the start the runner was given (aws-local-stepfunctions 3.0.0 overwrites
 *   the context's `StartTime` with the wall clock; the runner passes the given start under another context key
 *   and points the definition's references at it).
 * - **Express's 5-minute cap**: an execution still running after it ends `TIMED_OUT` (`States.Timeout`).
 * - **Lambda's 6 MB** synchronous payload (6,291,556 bytes): a larger request fails the task with
 *   `Lambda.RequestEntityTooLargeException` (the 256 KB state limit is reached first, as on AWS); a larger
 *   response with the function error `Function.ResponseSizeTooLarge` (an ordinary, catchable task error).
 * - Execution ARNs are Express ARNs (`arn:aws:states:R:A:express:<machine>:<name>:<id>`), as `$$.Execution.Id`
 *   is on AWS.
 */
import './polyfills';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { EXPRESS_MAX_DURATION_SECONDS } from '../core/aws-limits';
import {
  ASL_PATH,
  GIVEN_START_TIME,
  RFC3339,
  allStates,
  givenStartTime,
  localTimestampWaits,
  substitute,
  truncateToSecond,
} from './workflow-asl';
import type { AnyState, TaskState } from './workflow-asl';
import { DataLimitExceededError, StatePayloadMeter, durationExceeded } from './workflow-limits';
import { LAMBDA_INVOKE, bindTask } from './workflow-tasks';
import type { TaskTargets } from './workflow-tasks';

export { ASL_PATH, substitute, truncateToSecond } from './workflow-asl';
export { DataLimitExceededError, jsonBytes } from './workflow-limits';
export type { LambdaHandler } from './workflow-tasks';
/** Step Functions' state payload limit under the name local/stepfunctions.ts imports it by (core/aws-limits.ts). */

export interface WorkflowRunnerOptions extends TaskTargets {
  /** `${Token}` → value, as the stack's definitionSubstitutions. */
  substitutions: Record<string, string>;
  region: string;
  account?: string;
  stateMachineName?: string;
  /** Wait states take this many ms instead of their real duration (tests). */
  waitMs?: number;
  /** Retries wait this many ms (tests). */
  retryMs?: number;
  /**
   * The clock and sleep of timestamp Wait states (simulated-time tests).
   * @default the wall clock and real timers
   */
  clock?: { now: () => Date; sleep: (ms: number, signal: AbortSignal) => Promise<void> };
  /**
   * The Express cap on an execution's duration, in ms (tests shorten it).
   * @default EXPRESS_MAX_DURATION_SECONDS (five minutes)
   */
  maxDurationMs?: number;
}

export interface ExecutionRecord {
  executionArn: string;
  name: string;
  input: unknown;
  startedAt: string;
  stoppedAt: string;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** States entered, in order. */
  path: string[];
  /**
   * The largest payload the execution carried, in UTF-8 bytes of JSON: every state's output, every task's input
   * (after Parameters) and result, as the 256 KB limit measures them.
   */
  largestStateBytes: number;
}

/** A sleep on real timers that an abort ends early (rejecting). */
export function realSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const abort = () => (clearTimeout(t), reject(new Error('aborted')));
    // The listener leaves with the timer: an execution's many Waits share one signal.
    const t = setTimeout(() => (signal.removeEventListener('abort', abort), resolve()), Math.max(0, ms));
    signal.addEventListener('abort', abort, { once: true });
  });
}

export interface RunOptions {
  name?: string;
  /** The execution's start (`$$.Execution.StartTime`). @default now */
  startedAt?: Date;
  /** The execution ARN; a redelivery passes the first delivery's. @default derived from the name */
  executionArn?: string;
  signal?: AbortSignal;
}

export class WorkflowRunner {
  /** The definition as deployed (tokens substituted): what DescribeStateMachine shows. */
  readonly deployedDefinition: string;
  /** The definition the interpreter runs (the rewrites of the file comment applied). */
  readonly definition: StateMachineDefinition;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  /** Calls per Task state name. */
  readonly calls: Record<string, number> = {};
  private readonly machine: StateMachine;
  private readonly bound: Record<string, (input: unknown) => Promise<unknown>> = {};
  private readonly lambdaStates = new Set<string>();
  private readonly waitStates: string[] = [];
  private readonly retryStates: string[] = [];
  private readonly timestampWaits: string[];
  private readonly clock: NonNullable<WorkflowRunnerOptions['clock']>;

  constructor(private readonly o: WorkflowRunnerOptions) {
    const account = o.account ?? '000000000000';
    const name = o.stateMachineName ?? 'lexdr-health-check';
    this.stateMachineName = name;
    this.stateMachineArn = `arn:aws:states:${o.region}:${account}:stateMachine:${name}`;
    this.clock = o.clock ?? { now: () => new Date(), sleep: realSleep };
    this.deployedDefinition = substitute(readFileSync(ASL_PATH, 'utf8'), o.substitutions);
    this.definition = JSON.parse(givenStartTime(this.deployedDefinition)) as StateMachineDefinition;
    const top = (this.definition as unknown as { States: Record<string, AnyState> }).States;
    this.timestampWaits = localTimestampWaits(top);
    for (const [stateName, s] of allStates(top)) {
      if (s.Type === 'Wait') this.waitStates.push(stateName);
      if (s.Retry) this.retryStates.push(stateName);
      if (s.Type !== 'Task' || this.timestampWaits.includes(stateName)) continue;
      const bound = bindTask(stateName, s as unknown as TaskState, o);
      if (s.Resource === LAMBDA_INVOKE) this.lambdaStates.add(stateName);
      this.calls[stateName] = 0;
      this.bound[stateName] = async (input) => {
        this.calls[stateName]! += 1;
        return bound(input);
      };
    }
    this.machine = new StateMachine(this.definition, { validationOptions: { checkArn: false } });
  }

  /** The Express ARN of an execution: `arn:aws:states:R:A:express:<machine>:<name>:<id>`. */
  executionArnFor(name: string, id: string = randomUUID()): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':express:')}:${name}:${id}`;
  }

  /** Runs one execution to its end. Never throws for a failed execution: the record says how it ended. */
  async run(input: unknown, o: RunOptions = {}): Promise<ExecutionRecord> {
    const name = o.name ?? `local-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    // The same name without an ARN is the same execution delivered again (tests of idempotency rely on it).
    const executionArn =
      o.executionArn ?? this.executionArnFor(name, createHash('sha1').update(name).digest('hex').slice(0, 32));
    const startedAt = (o.startedAt ?? new Date()).toISOString();
    const base = { executionArn, name, input, startedAt, path: [] as string[] };
    const meter = new StatePayloadMeter();
    const ended = (rest: Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>): ExecutionRecord => ({
      ...base,
      stoppedAt: new Date().toISOString(),
      ...rest,
      largestStateBytes: meter.largest,
    });
    const inputOverLimit = meter.measure('The execution input', input);
    if (inputOverLimit) return ended(inputOverLimit);

    // A terminal failure found by the wrappers: it ends the execution whatever the definition catches.
    let terminal: { status: ExecutionRecord['status']; error: string; cause: string } | undefined;
    const stop = new AbortController();
    const fail = (t: NonNullable<typeof terminal>): void => {
      terminal ??= t;
      stop.abort();
    };
    const overLimit = (what: string, v: unknown): boolean => {
      const failure = meter.measure(what, v);
      if (failure) fail(failure);
      return failure !== undefined;
    };
    const dead = (): DataLimitExceededError => new DataLimitExceededError(terminal?.cause ?? 'the execution has ended');

    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, f] of Object.entries(this.bound)) {
      handlers[stateName] = async (taskInput) => {
        // Let the state-event listener see the previous state's output first.
        await new Promise((resolve) => setImmediate(resolve));
        if (terminal) throw dead();
        if (overLimit(`The input of state '${stateName}' (after Parameters)`, taskInput)) throw dead();
        const out = await f(taskInput);
        if (terminal) throw dead();
        const result = this.lambdaStates.has(stateName) ? (out as { Payload: unknown }).Payload : out;
        if (overLimit(`The state/task '${stateName}' returned a result that`, result)) throw dead();
        return out;
      };
    }
    for (const stateName of this.timestampWaits) {
      handlers[stateName] = async (p) => {
        const ts = (p as { timestamp?: unknown }).timestamp;
        if (typeof ts !== 'string' || !RFC3339.test(ts) || Number.isNaN(Date.parse(ts)))
          throw Object.assign(new Error(`state '${stateName}': the timestamp ${JSON.stringify(ts)} is not RFC 3339`), {
            name: 'States.Runtime',
          });
        const ms = this.o.waitMs ?? truncateToSecond(ts) - this.clock.now().getTime();
        if (ms > 0) await this.clock.sleep(ms, stop.signal).catch(() => undefined);
        if (terminal) throw dead();
        return {};
      };
    }

    const waitTimeOverrides =
      this.o.waitMs === undefined ? undefined : Object.fromEntries(this.waitStates.map((s) => [s, this.o.waitMs!]));
    const retryIntervalOverrides =
      this.o.retryMs === undefined ? undefined : Object.fromEntries(this.retryStates.map((s) => [s, this.o.retryMs!]));
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(waitTimeOverrides ? { waitTimeOverrides } : {}),
        ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
      },
      context: {
        Execution: { Id: executionArn, Name: name, [GIVEN_START_TIME]: startedAt, Input: input as never },
      } as never,
    });
    stop.signal.addEventListener('abort', () => execution.abort(), { once: true });
    // The caller's signal may be shared by many executions (a schedule's): the listener leaves with this one.
    const aborted = () => fail({ status: 'ABORTED', error: 'Aborted', cause: 'stopped' });
    o.signal?.addEventListener('abort', aborted, { once: true });
    const maxMs = this.o.maxDurationMs ?? EXPRESS_MAX_DURATION_SECONDS * 1000;
    const cap = setTimeout(() => fail(durationExceeded(maxMs)), maxMs);
    const collect = (async () => {
      for await (const ev of execution.eventLogs) {
        const e = ev as { type: string; state?: { name: string; output?: unknown } };
        if (e.type === 'StateEntered') base.path.push(e.state!.name);
        if (e.type === 'StateExited' && !terminal)
          overLimit(`The output of state '${e.state!.name}'`, e.state!.output ?? null);
      }
    })();
    try {
      const output = await execution.result;
      await collect.catch(() => undefined);
      if (terminal) return ended(terminal);
      if (overLimit('The execution output', output)) return ended(terminal!);
      return ended({ status: 'SUCCEEDED', output });
    } catch (err) {
      await collect.catch(() => undefined);
      if (terminal) return ended(terminal);
      const e = err as Error & { cause?: unknown };
      if (e.name === 'ExecutionTimeoutError')
        return ended({ status: 'TIMED_OUT', error: 'States.Timeout', cause: e.message });
      const caught = (e.cause ?? e) as { name?: string; message?: string };
      return ended({ status: 'FAILED', error: caught?.name ?? e.name, cause: caught?.message ?? e.message });
    } finally {
      clearTimeout(cap);
      o.signal?.removeEventListener('abort', aborted);
    }
  }
}

export { CloudWatchClient };
