/**
 * Runs the real `statemachine/health-check.asl.json` with aws-local-stepfunctions. Every Task state is bound by
 * its Resource: Lambda invokes to the real handlers (in-process), DynamoDB and CloudWatch integrations to real
 * SDK v3 calls against the local endpoints. A Task with no binding is an error at construction, and every
 * binding counts its calls so tests can prove none was skipped.
 *
 * Where the interpreter differs from Step Functions, the runner wraps it (it does not fork it) so that a run
 * here fails where a run on AWS would:
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
import { join } from 'node:path';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

export const ASL_PATH = join(__dirname, '..', 'statemachine', 'health-check.asl.json');

export type LambdaHandler = (event: unknown) => Promise<unknown>;

/** Step Functions' limit on a state's input, output and an execution's input: 256 KB of UTF-8 JSON. */
export const MAX_STATE_BYTES = 256 * 1024;
/** Lambda's limit on a synchronous invocation's request and response payloads. */
export const MAX_LAMBDA_PAYLOAD_BYTES = 6_291_556; // "6 MB": the figure in Lambda's own error message
/** An Express execution runs for at most five minutes. */
export const EXPRESS_MAX_MS = 5 * 60_000;
/** The context key the given start time travels under (see the file comment). */
const GIVEN_START_TIME = 'LexdrGivenStartTime';
/** The Resource of the local task a timestamp Wait becomes. */
const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::lexdr-local:wait';

/** UTF-8 size of a value's JSON, as Step Functions measures payloads. */
export function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v ?? null), 'utf8');
}

/** Step Functions' terminal error for a payload over 256 KB: no Catch handles it. */
export class DataLimitExceededError extends Error {
  override name = 'States.DataLimitExceeded';
}

export interface WorkflowRunnerOptions {
  /** `${Token}` → value, as the stack's definitionSubstitutions. */
  substitutions: Record<string, string>;
  /** Lambda ARN (as substituted) → handler. */
  lambdas: Record<string, LambdaHandler>;
  dynamodb: DynamoDBClient;
  cloudwatch: CloudWatchClient;
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
   * @default 300000 (five minutes)
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

interface TaskState {
  Type: 'Task';
  Resource: string;
  Parameters?: Record<string, unknown>;
}
interface AnyState {
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

function allStates(states: Record<string, AnyState>): [string, AnyState][] {
  return Object.entries(states).flatMap(([name, s]) => {
    const inner = s.ItemProcessor?.States ?? s.Iterator?.States;
    return [[name, s] as [string, AnyState], ...(inner ? allStates(inner) : [])];
  });
}

/** An SDK error renamed as Step Functions names it for an integration (e.g. DynamoDB.ConditionalCheckFailedException). */
function integrationError(service: string, err: unknown): Error {
  const e = err as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  const out = new Error(e?.message ?? String(err));
  // No answer from the service (a reset connection, a lost response, a client-side timeout): Step Functions' own
  // client reports these as SdkClientException, which the ASL's Retry lists.
  const noAnswer = e?.$metadata?.httpStatusCode === undefined && !e?.name?.endsWith('Exception');
  out.name = `${service}.${noAnswer ? 'SdkClientException' : (e?.name ?? 'Error')}`;
  return out;
}

function withoutMetadata(o: unknown): unknown {
  if (o && typeof o === 'object') {
    const { $metadata: _m, ...rest } = o as Record<string, unknown>;
    return rest;
  }
  return o;
}

/** Points every `$$.Execution.StartTime` reference at the given start (see the file comment). */
function givenStartTime(asl: string): string {
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
function localTimestampWaits(states: Record<string, AnyState>): string[] {
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

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

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
      const bound = this.bind(stateName, s as unknown as TaskState);
      if (s.Resource === 'arn:aws:states:::lambda:invoke') this.lambdaStates.add(stateName);
      this.calls[stateName] = 0;
      this.bound[stateName] = async (input) => {
        this.calls[stateName]! += 1;
        return bound(input);
      };
    }
    this.machine = new StateMachine(this.definition, { validationOptions: { checkArn: false } });
  }

  private bind(stateName: string, s: TaskState): (input: unknown) => Promise<unknown> {
    const r = s.Resource;
    if (r === 'arn:aws:states:::lambda:invoke') {
      const fn = s.Parameters?.FunctionName as string | undefined;
      const handler = fn ? this.o.lambdas[fn] : undefined;
      if (!handler) throw new Error(`state "${stateName}": no local Lambda for FunctionName ${fn}`);
      return async (input) => {
        const { Payload } = input as { Payload: unknown };
        // One serialisation per direction: the size check and Lambda's JSON round trip (no shared references).
        const request = JSON.stringify(Payload ?? null);
        if (Buffer.byteLength(request, 'utf8') > MAX_LAMBDA_PAYLOAD_BYTES)
          throw Object.assign(
            new Error(`Request must be smaller than ${MAX_LAMBDA_PAYLOAD_BYTES} bytes for the Invoke operation`),
            { name: 'Lambda.RequestEntityTooLargeException' },
          );
        let out: unknown;
        try {
          out = await handler(JSON.parse(request));
        } catch (err) {
          // Step Functions reports a function error by its errorType, which Node Lambdas set from error.name.
          const e = err as Error;
          const failure = new Error(e?.message ?? String(err));
          failure.name = e?.name && e.name !== 'Error' ? e.name : 'Error';
          throw failure;
        }
        const response = JSON.stringify(out ?? null);
        if (Buffer.byteLength(response, 'utf8') > MAX_LAMBDA_PAYLOAD_BYTES)
          throw Object.assign(
            new Error(
              `Response payload size exceeded maximum allowed payload size (${MAX_LAMBDA_PAYLOAD_BYTES} bytes).`,
            ),
            { name: 'Function.ResponseSizeTooLarge' },
          );
        return { Payload: JSON.parse(response), StatusCode: 200, ExecutedVersion: '$LATEST' };
      };
    }
    const dynamo: Record<string, (p: never) => unknown> = {
      'arn:aws:states:::dynamodb:getItem': (p) => new GetItemCommand(p),
      'arn:aws:states:::dynamodb:putItem': (p) => new PutItemCommand(p),
      'arn:aws:states:::dynamodb:updateItem': (p) => new UpdateItemCommand(p),
      'arn:aws:states:::dynamodb:deleteItem': (p) => new DeleteItemCommand(p),
    };
    const make = dynamo[r];
    if (make) {
      return async (input) => {
        try {
          return withoutMetadata(await this.o.dynamodb.send(make(input as never) as GetItemCommand));
        } catch (err) {
          throw integrationError('DynamoDB', err);
        }
      };
    }
    if (r === 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData') {
      return async (input) => {
        try {
          return withoutMetadata(
            await this.o.cloudwatch.send(new PutMetricDataCommand(input as PutMetricDataCommandInput)),
          );
        } catch (err) {
          throw integrationError('CloudWatch', err);
        }
      };
    }
    throw new Error(`state "${stateName}": no local binding for Resource ${r}`);
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
    let largest = jsonBytes(input);
    const ended = (rest: Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>): ExecutionRecord => ({
      ...base,
      stoppedAt: new Date().toISOString(),
      ...rest,
      largestStateBytes: largest,
    });
    if (largest > MAX_STATE_BYTES)
      return ended({
        status: 'FAILED',
        error: 'States.DataLimitExceeded',
        cause: `The execution input has a size exceeding the maximum number of bytes service limit (${MAX_STATE_BYTES}).`,
      });

    // A terminal failure found by the wrappers: it ends the execution whatever the definition catches.
    let terminal: { status: ExecutionRecord['status']; error: string; cause: string } | undefined;
    const stop = new AbortController();
    const fail = (t: NonNullable<typeof terminal>): void => {
      terminal ??= t;
      stop.abort();
    };
    const overLimit = (what: string, v: unknown): boolean => {
      const n = jsonBytes(v);
      largest = Math.max(largest, n);
      if (n <= MAX_STATE_BYTES) return false;
      fail({
        status: 'FAILED',
        error: 'States.DataLimitExceeded',
        cause: `${what} has a size exceeding the maximum number of bytes service limit (${MAX_STATE_BYTES}).`,
      });
      return true;
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
    const cap = setTimeout(
      () =>
        fail({
          status: 'TIMED_OUT',
          error: 'States.Timeout',
          cause: `The execution ran longer than the Express maximum of ${(this.o.maxDurationMs ?? EXPRESS_MAX_MS) / 1000} s.`,
        }),
      this.o.maxDurationMs ?? EXPRESS_MAX_MS,
    );
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
