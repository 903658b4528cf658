/**
 * The local Step Functions endpoint: the Step Functions API itself (AWS JSON 1.0, `X-Amz-Target:
 * AWSStepFunctions.<Action>`), so any SDK's Step Functions client — pointed at this endpoint with host prefixes
 * off — drives the local state machine as it would the deployed one. The state machine is Express, and the
 * endpoint answers as Step Functions answers for an Express state machine:
 * - `StartExecution` starts it in the background → `{executionArn, startDate}` (an `express:` ARN);
 * - `StartSyncExecution` runs it to its end → status (`SUCCEEDED`/`FAILED`/`TIMED_OUT`), output, error, cause;
 * - `DescribeStateMachine` → its definition, `type: EXPRESS`;
 * - `DescribeExecution` (and `StopExecution`, `GetExecutionHistory`) of an Express execution → 400 `InvalidArn`
 *   "Invalid Arn: 'Resource type not valid in this context: express'"; `ListExecutions` → 400
 *   `StateMachineTypeNotSupported` (both as AWS answers them, from responses recorded against AWS).
 * The SDKs send `StartSyncExecution` to a `sync-` host prefix: clients of this endpoint disable host prefixes
 * (`disableHostPrefix: true` in the JS SDK v3, `inject_host_prefix=False` in botocore).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { z } from 'zod';
import { AwsApiError, closeServer, listen, readBody, refusal, sendJson, sendRefusal } from './http';
import type { GuardPolicy } from './http';
import type { ExecutionRecord, RunOptions, WorkflowRunner } from './workflow-runner';
import { STATE_PAYLOAD_LIMIT_BYTES } from '../core/aws-limits';

const JSON_10 = 'application/x-amz-json-1.0';
const ERROR_NAMESPACE = 'com.amazonaws.swf.service.v2.model';

export interface LocalStepFunctionsOptions {
  runner: WorkflowRunner;
  /** Runs one execution (the local system's `runExecution`, so listeners and history see it). */
  run(input: unknown, o: RunOptions): Promise<ExecutionRecord>;
  host?: string;
  /** @default any free port */
  port?: number;
  /** Host/Origin/token checks. @default loopback Host only, no token */
  guard?: GuardPolicy;
  /** The system's clock: an execution starts at its now. @default the wall clock */
  now?: () => Date;
}

export interface LocalStepFunctions {
  url: string;
  server: Server;
  /** Resolves when every execution started here has ended. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

// Name rules of StartExecution: 1–80 characters, none of whitespace, brackets, wildcards, specials, controls.
// eslint-disable-next-line no-control-regex -- control characters are exactly what the rule refuses
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const ARN_LIKE = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:[a-zA-Z]+:.+$/;

const startSchema = z.object({
  stateMachineArn: z.string().min(1),
  name: z.string().optional(),
  input: z.string().optional(),
  traceHeader: z.string().optional(),
});
const describeExecutionSchema = z.object({ executionArn: z.string().min(1) });
const describeStateMachineSchema = z.object({ stateMachineArn: z.string().min(1) });

const epochSeconds = (iso: string) => Date.parse(iso) / 1000;

function validationError(field: string, constraint: string): AwsApiError {
  return new AwsApiError(
    'ValidationException',
    `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

export async function startLocalStepFunctions(o: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  const { runner } = o;
  const createdAt = Date.now() / 1000;
  const running = new Set<Promise<unknown>>();
  const definition = runner.deployedDefinition;

  function checkStateMachine(arn: string): void {
    if (!ARN_LIKE.test(arn)) throw new AwsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    if (arn !== runner.stateMachineArn)
      throw new AwsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }

  function parseStart(body: unknown) {
    const p = startSchema.safeParse(body);
    if (!p.success) throw validationError('stateMachineArn', 'Member must not be null');
    const { stateMachineArn, name = randomUUID(), input = '{}' } = p.data;
    checkStateMachine(stateMachineArn);
    if (!NAME.test(name)) throw new AwsApiError('InvalidName', `Invalid Name: '${name}'`);
    if (Buffer.byteLength(input, 'utf8') > STATE_PAYLOAD_LIMIT_BYTES)
      throw validationError('input', `Member must have length less than or equal to ${STATE_PAYLOAD_LIMIT_BYTES}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (err) {
      throw new AwsApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(err as Error).message}'`,
      );
    }
    return { name, input, parsed, executionArn: runner.executionArnFor(name), startedAt: o.now?.() ?? new Date() };
  }

  const actions: Record<string, (body: unknown) => Promise<unknown>> = {
    async StartExecution(body) {
      const s = parseStart(body);
      const p = o
        .run(s.parsed, { name: s.name, executionArn: s.executionArn, startedAt: s.startedAt })
        .catch(() => undefined)
        .finally(() => running.delete(p));
      running.add(p);
      return { executionArn: s.executionArn, startDate: epochSeconds(s.startedAt.toISOString()) };
    },
    async StartSyncExecution(body) {
      const s = parseStart(body);
      const r = await o.run(s.parsed, { name: s.name, executionArn: s.executionArn, startedAt: s.startedAt });
      const billedMs = Math.max(100, Math.ceil((Date.parse(r.stoppedAt) - Date.parse(r.startedAt)) / 100) * 100);
      return {
        executionArn: r.executionArn,
        stateMachineArn: runner.stateMachineArn,
        name: r.name,
        startDate: epochSeconds(r.startedAt),
        stopDate: epochSeconds(r.stoppedAt),
        // A synchronous Express execution ends SUCCEEDED, FAILED or TIMED_OUT; a local abort counts as FAILED.
        status: r.status === 'ABORTED' ? 'FAILED' : r.status,
        input: s.input,
        inputDetails: { included: true },
        ...(r.status === 'SUCCEEDED'
          ? { output: JSON.stringify(r.output ?? null), outputDetails: { included: true } }
          : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.cause !== undefined ? { cause: r.cause } : {}),
        billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: billedMs },
      };
    },
    async DescribeStateMachine(body) {
      const p = describeStateMachineSchema.safeParse(body);
      if (!p.success) throw validationError('stateMachineArn', 'Member must not be null');
      checkStateMachine(p.data.stateMachineArn);
      return {
        stateMachineArn: runner.stateMachineArn,
        name: runner.stateMachineName,
        status: 'ACTIVE',
        definition,
        roleArn: runner.stateMachineArn.replace(
          /:states:([a-z0-9-]+):(\d{12}):stateMachine:.*/,
          ':iam::$2:role/lexdr-local',
        ),
        type: 'EXPRESS',
        creationDate: createdAt,
        loggingConfiguration: { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },
    // Operations on one execution, which AWS serves only for Standard state machines.
    DescribeExecution: onExpressExecution,
    StopExecution: onExpressExecution,
    GetExecutionHistory: onExpressExecution,
    async ListExecutions(body) {
      const p = describeStateMachineSchema.safeParse(body);
      if (!p.success) throw validationError('stateMachineArn', 'Member must not be null');
      checkStateMachine(p.data.stateMachineArn);
      throw new AwsApiError(
        'StateMachineTypeNotSupported',
        'This operation is not supported by this type of state machine',
      );
    },
  };

  /** Step Functions keeps no record of Express executions: every execution ARN here is refused as AWS does. */
  /** DescribeExecution, StopExecution, GetExecutionHistory: validated, then refused as AWS refuses them for Express. */
  async function onExpressExecution(body: unknown): Promise<never> {
    const p = describeExecutionSchema.safeParse(body);
    if (!p.success) throw validationError('executionArn', 'Member must not be null');
    return refuseExpressExecution(p.data.executionArn);
  }

  function refuseExpressExecution(arn: string): never {
    if (/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:express:/.test(arn))
      throw new AwsApiError('InvalidArn', "Invalid Arn: 'Resource type not valid in this context: express'");
    if (/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn))
      throw new AwsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    throw new AwsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  }

  function sendError(res: ServerResponse, e: AwsApiError): void {
    sendJson(
      res,
      e.status,
      { __type: `${ERROR_NAMESPACE}#${e.type}`, message: e.message },
      { 'content-type': JSON_10, 'x-amzn-errortype': e.type, 'x-amzn-requestid': randomUUID() },
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const denied = refusal(req, o.guard ?? {});
    if (denied) return sendRefusal(req, res, denied);
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = /^AWSStepFunctions\.(\w+)$/.exec(target)?.[1];
    if (req.method !== 'POST' || !action) {
      req.resume();
      return sendError(res, new AwsApiError('UnknownOperationException', `no operation ${target || req.method}`));
    }
    const f = actions[action];
    if (!f) {
      req.resume();
      return sendError(res, new AwsApiError('UnknownOperationException', `${action} is not supported locally`));
    }
    let body: unknown;
    try {
      const text = (await readBody(req, 1024 * 1024)).toString('utf8');
      body = text ? JSON.parse(text) : {};
    } catch (err) {
      const status = (err as { status?: number }).status;
      return sendError(
        res,
        status === 413
          ? new AwsApiError('ValidationException', (err as Error).message, 413)
          : new AwsApiError('SerializationException', 'the request body is not JSON'),
      );
    }
    try {
      const out = await f(body);
      sendJson(res, 200, out, { 'content-type': JSON_10, 'x-amzn-requestid': randomUUID() });
    } catch (err) {
      if (err instanceof AwsApiError) return sendError(res, err);
      sendError(res, new AwsApiError('InternalServerError', (err as Error).message, 500));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendError(res, new AwsApiError('InternalServerError', err.message, 500));
      else res.destroy();
    });
  });
  const url = await listen(server, o.port ?? 0, o.host ?? '127.0.0.1');
  return {
    url,
    server,
    drain: async () => {
      await Promise.all([...running]);
    },
    close: async () => {
      await closeServer(server);
    },
  };
}
