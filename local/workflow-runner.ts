/**
 * Runs the real `statemachine/health-check.asl.json` with aws-local-stepfunctions. Every Task state is bound by
 * its Resource: Lambda invokes to the real handlers (in-process), DynamoDB and CloudWatch integrations to real
 * SDK v3 calls against the local endpoints. A Task with no binding is an error at construction, and every
 * binding counts its calls so tests can prove none was skipped.
 */
import './polyfills';
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
}

export interface ExecutionRecord {
  executionArn: string;
  name: string;
  input: unknown;
  startedAt: string;
  stoppedAt: string;
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** States entered, in order. */
  path: string[];
}

interface TaskState {
  Type: 'Task';
  Resource: string;
  Parameters?: Record<string, unknown>;
}
interface AnyState {
  Type: string;
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

/**
 * Runs `start` with `new Date()` (no arguments) answering `iso`. aws-local-stepfunctions 3.0.0 builds the execution's
 * context synchronously inside `run` and overwrites `$$.Execution.StartTime` with `new Date()`, ignoring the given
 * context; Step Functions gives the start time of the execution. Only the synchronous part of `run` sees the swap.
 */
function atStartTime<T>(iso: string, start: () => T): T {
  const RealDate = Date;
  const at = RealDate.parse(iso);
  class StartDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(at);
      else super(...(args as [string]));
    }
  }
  globalThis.Date = StartDate as DateConstructor;
  try {
    return start();
  } finally {
    globalThis.Date = RealDate;
  }
}

export class WorkflowRunner {
  readonly definition: StateMachineDefinition;
  readonly stateMachineArn: string;
  /** Calls per Task state name. */
  readonly calls: Record<string, number> = {};
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  private readonly waitStates: string[] = [];
  private readonly retryStates: string[] = [];

  constructor(private readonly o: WorkflowRunnerOptions) {
    const account = o.account ?? '000000000000';
    const name = o.stateMachineName ?? 'lexdr-health-check';
    this.stateMachineArn = `arn:aws:states:${o.region}:${account}:stateMachine:${name}`;
    this.definition = JSON.parse(substitute(readFileSync(ASL_PATH, 'utf8'), o.substitutions)) as StateMachineDefinition;
    const states = allStates((this.definition as unknown as { States: Record<string, AnyState> }).States);
    for (const [stateName, s] of states) {
      if (s.Type === 'Wait') this.waitStates.push(stateName);
      if (s.Retry) this.retryStates.push(stateName);
      if (s.Type !== 'Task') continue;
      const bound = this.bind(stateName, s as unknown as TaskState);
      this.calls[stateName] = 0;
      this.handlers[stateName] = async (input) => {
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
        try {
          // A JSON round trip, as Lambda does: no shared references between states.
          const out = await handler(JSON.parse(JSON.stringify(Payload)));
          return { Payload: JSON.parse(JSON.stringify(out ?? null)), StatusCode: 200, ExecutedVersion: '$LATEST' };
        } catch (err) {
          // Step Functions reports a function error by its errorType, which Node Lambdas set from error.name.
          const e = err as Error;
          const out = new Error(e?.message ?? String(err));
          out.name = e?.name && e.name !== 'Error' ? e.name : 'Error';
          throw out;
        }
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

  /** Runs one execution to its end. Never throws for a failed execution: the record says FAILED. */
  async run(
    input: unknown,
    o: { name?: string; startedAt?: Date; signal?: AbortSignal } = {},
  ): Promise<ExecutionRecord> {
    const name = o.name ?? `local-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const executionArn = this.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
    const startedAt = (o.startedAt ?? new Date()).toISOString();
    const waitTimeOverrides =
      this.o.waitMs === undefined ? undefined : Object.fromEntries(this.waitStates.map((s) => [s, this.o.waitMs!]));
    const retryIntervalOverrides =
      this.o.retryMs === undefined ? undefined : Object.fromEntries(this.retryStates.map((s) => [s, this.o.retryMs!]));
    const execution = atStartTime(startedAt, () =>
      this.machine.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: this.handlers as never,
          ...(waitTimeOverrides ? { waitTimeOverrides } : {}),
          ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
        },
        context: { Execution: { Id: executionArn, Name: name, StartTime: startedAt, Input: input as never } },
      }),
    );
    o.signal?.addEventListener('abort', () => execution.abort(), { once: true });
    const path: string[] = [];
    const collect = (async () => {
      for await (const ev of execution.eventLogs) {
        if (ev.type === 'StateEntered') path.push((ev as { state: { name: string } }).state.name);
      }
    })();
    const base = { executionArn, name, input, startedAt, path };
    try {
      const output = await execution.result;
      await collect.catch(() => undefined);
      return { ...base, stoppedAt: new Date().toISOString(), status: 'SUCCEEDED', output };
    } catch (err) {
      await collect.catch(() => undefined);
      const e = err as Error & { cause?: unknown };
      const caught = (e.cause ?? e) as { name?: string; message?: string };
      return {
        ...base,
        stoppedAt: new Date().toISOString(),
        status: 'FAILED',
        error: caught?.name ?? e.name,
        cause: caught?.message ?? e.message,
      };
    }
  }
}

export { CloudWatchClient };
