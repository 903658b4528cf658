/**
 * Which lexdr the CLI talks to, and the clients to reach it. Both targets use the same real SDK v3 clients and
 * the same code: DynamoDB, CloudWatch and Step Functions (`SFNClient`: StartExecution, StartSyncExecution —
 * the state machine is Express, which DescribeExecution does not serve).
 * - `--local`: `.lexdr/local.json` written by `npm start`: the local endpoints (Step Functions speaks the real
 *   API; host prefixes are disabled, as for any custom endpoint) and the per-start token, sent as the access
 *   key ID of every SDK request and as `x-lexdr-token` to the control server;
 * - `--aws`: the deployed stack's outputs (CloudFormation DescribeStacks), or flags / environment variables.
 */
import { findEndpointsFile, processAlive } from '../../local/endpoints-file';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { readConfigFile } from '../../infra/config';
import { HEALTH_CHECK_OUTPUTS, STACK_NAMES } from '../../core/contract';
import type { CliOutput } from '../../core/contract';
import type { LexdrConfig } from '../../infra/config';
import type { LocalEndpoints } from '../../local/system';
import { TOKEN_HEADER } from '../../local/http';
import { TargetNotFoundError, UsageError, explainError } from './errors';
import type { Io } from './io';

/** The options every command accepts (commander's global options). */
export interface GlobalOptions {
  local?: boolean;
  aws?: boolean;
  localFile?: string;
  stack?: string;
  region?: string;
  stateMachineArn?: string;
  table?: string;
  historyTable?: string;
  metricNamespace?: string;
  connectRegion?: string;
  regions?: string;
  endpointUrl?: string;
}

/** The CDK app's health-check stack name for a Connect region. */
export const defaultStack = STACK_NAMES.healthCheck;

/** Defaults for --aws from this checkout's cdk.json, when there is one. */
function checkoutConfig(): Partial<Pick<LexdrConfig, 'connectRegion' | 'regions' | 'metricNamespace'>> {
  try {
    const c = readConfigFile();
    return { connectRegion: c.connectRegion, regions: c.regions, metricNamespace: c.metricNamespace };
  } catch {
    return {};
  }
}
export const LOCAL_FILE = join('.lexdr', 'local.json');

export interface ExecutionStatus {
  executionArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  startDate?: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
}

/** Starting executions of the (Express) state machine, the same on both targets. */
export interface Executions {
  /** The name the next start will use. */
  nextName(): string;
  /** StartExecution: returns at once (Express executions cannot be described afterwards). */
  start(input: unknown, name: string): Promise<{ executionArn: string; name: string }>;
  /** StartSyncExecution: runs the execution to its end and returns how it ended. */
  run(input: unknown, name: string, signal?: AbortSignal): Promise<ExecutionStatus>;
}

/** The one Executions implementation: Step Functions' API through `SFNClient`. */
export function sfnExecutions(sfn: SFNClient, stateMachineArn: string | undefined, io: Io): Executions {
  const arn = () => {
    if (!stateMachineArn) throw new UsageError('no state machine: pass --state-machine-arn or --stack');
    return stateMachineArn;
  };
  return {
    nextName: () => `lexdr-cli-${io.now().toISOString().replace(/[:.]/g, '-')}`,
    async start(input, name) {
      const r = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn(), name, input: JSON.stringify(input) }),
      );
      return { executionArn: r.executionArn!, name };
    },
    async run(input, name, signal) {
      const r = await sfn.send(
        new StartSyncExecutionCommand({ stateMachineArn: arn(), name, input: JSON.stringify(input) }),
        signal ? { abortSignal: signal } : {},
      );
      return {
        executionArn: r.executionArn!,
        name: r.name ?? name,
        status: r.status as ExecutionStatus['status'],
        ...(r.startDate ? { startDate: r.startDate } : {}),
        ...(r.stopDate ? { stopDate: r.stopDate } : {}),
        ...(r.output !== undefined ? { output: r.output } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.cause !== undefined ? { cause: r.cause } : {}),
      };
    },
  };
}

/** The latest probe of one bot in one region. */
export interface ProbeView {
  bot: string;
  region: string;
  ok: boolean;
  reason: string;
  /** The probe's latency (local); on AWS its region's average probe latency in that minute. -1: none. */
  latencyMs: number;
  /** ISO time of the datapoint (AWS) or undefined (local: the latest cycle). */
  at?: string;
}

export interface Target {
  kind: 'local' | 'aws';
  /** Human description for messages ("local system at http://…", "stack X in us-east-1"). */
  where: string;
  connectRegion: string;
  /** Bot regions in priority order, when known (the local file or the stack's `Regions` output). */
  regions?: string[];
  table: string;
  historyTable: string;
  metricNamespace: string;
  stateMachineArn?: string;
  dynamodb: DynamoDBClient;
  cloudwatch: CloudWatchClient;
  executions?: Executions;
  /** The local endpoints (local only). */
  local?: LocalEndpoints;
  /** How often to poll a running execution. */
  pollMs: number;
  consoleUrl?(executionArn: string): string;
  close(): void;
}

const localCredentials = (token: string | undefined) => ({ accessKeyId: token ?? 'local', secretAccessKey: 'local' });

export interface ResolveOptions {
  /** The command starts executions: the state machine ARN is required. */
  needsStateMachine?: boolean;
}

/** Picks and connects the target from the global options. */
export async function resolveTarget(g: GlobalOptions, io: Io, o: ResolveOptions = {}): Promise<Target> {
  if (g.local && g.aws) throw new UsageError('use either --local or --aws, not both');
  const given = g.localFile ?? io.env.LEXDR_LOCAL_FILE;
  const localFile = given ?? LOCAL_FILE;
  // The system of this checkout, from any of its folders (npm start writes it at the checkout's root).
  const localPath =
    given !== undefined
      ? isAbsolute(given)
        ? given
        : join(io.cwd, given)
      : (findEndpointsFile(io.cwd) ?? join(io.cwd, LOCAL_FILE));
  const useLocal = g.local || (!g.aws && existsSync(localPath));
  if (useLocal) return localTarget(localPath, io);
  if (!g.aws && !g.stack && !g.stateMachineArn && !g.table && !io.env.LEXDR_TABLE)
    throw new TargetNotFoundError(
      `no ${localFile} in ${io.cwd} or any folder above it: start the local system with \`npm start\`, or use --aws --stack NAME --region R`,
    );
  return awsTarget(g, io, o);
}

export function readLocalFile(path: string): LocalEndpoints {
  if (!existsSync(path))
    throw new TargetNotFoundError(
      `no ${path}: start the local system with \`npm start\`, or use --aws --stack NAME --region R`,
    );
  let e: LocalEndpoints;
  try {
    e = JSON.parse(readFileSync(path, 'utf8')) as LocalEndpoints;
    if (!e.dynamodb || !e.table || !Array.isArray(e.regions)) throw new Error('missing dynamodb, table or regions');
  } catch (err) {
    throw new UsageError(`${path} is not a lexdr endpoints file (${(err as Error).message}): restart \`npm start\``);
  }
  if (e.pid !== undefined && !processAlive(e.pid))
    throw new TargetNotFoundError(
      `the local system that wrote ${path} (pid ${e.pid}) is no longer running: start it with \`npm start\``,
    );
  return e;
}

function localTarget(path: string, io: Io): Target {
  const e = readLocalFile(path);
  const common = { region: e.connectRegion, credentials: localCredentials(e.token), maxAttempts: 1 };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: e.dynamodb });
  const cloudwatch = new CloudWatchClient({ ...common, endpoint: e.cloudwatch });
  // The SDK sends StartSyncExecution to `sync-<host>`: a local endpoint has no such name.
  const sfn = e.stepfunctions
    ? new SFNClient({ ...common, endpoint: e.stepfunctions, disableHostPrefix: true })
    : undefined;
  const control = e.control;
  const where = `the local system (${control ?? e.dynamodb})`;
  return {
    kind: 'local',
    where,
    connectRegion: e.connectRegion,
    regions: e.regions,
    table: e.table,
    historyTable: e.historyTable,
    metricNamespace: e.metricNamespace,
    stateMachineArn: e.stateMachineArn,
    dynamodb,
    cloudwatch,
    local: e,
    pollMs: Number(io.env.LEXDR_POLL_MS ?? 250),
    ...(sfn ? { executions: sfnExecutions(sfn, e.stateMachineArn, io) } : {}),
    close: () => {
      dynamodb.destroy();
      cloudwatch.destroy();
      sfn?.destroy();
    },
  };
}

/** Calls the local control server (with the per-start token, when given); network errors become exit 3. */
export async function localRequest<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { [TOKEN_HEADER]: token } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new TargetNotFoundError(
      `the local system at ${base} is not reachable (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}): is \`npm start\` running?`,
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text };
  }
  if (res.status === 400) throw new UsageError((json as { message?: string }).message ?? `bad request to ${path}`);
  if (res.status === 404) throw new TargetNotFoundError((json as { message?: string }).message ?? `${path} not found`);
  if (!res.ok)
    throw new Error(`${method} ${path}: HTTP ${res.status}: ${(json as { message?: string }).message ?? text}`);
  return json as T;
}

/** The value of a stack output the CLI reads (the names: core/contract.ts, checked against the stack). */
function outputOf(outputs: { OutputKey?: string; OutputValue?: string }[], key: CliOutput): string | undefined {
  return outputs.find((x) => x.OutputKey === key)?.OutputValue;
}

async function awsTarget(g: GlobalOptions, io: Io, o: ResolveOptions): Promise<Target> {
  const env = io.env;
  const checkout = checkoutConfig();
  const region = g.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? checkout.connectRegion;
  if (!region) throw new UsageError('no AWS region: pass --region R (or set AWS_REGION)');
  const endpoint = g.endpointUrl ?? env.LEXDR_ENDPOINT_URL;
  const clientConfig = { region, ...(endpoint ? { endpoint } : {}) };
  const stack = g.stack ?? env.LEXDR_STACK ?? defaultStack(g.connectRegion ?? env.LEXDR_CONNECT_REGION ?? region);
  let stateMachineArn = g.stateMachineArn ?? env.LEXDR_STATE_MACHINE_ARN;
  let table = g.table ?? env.LEXDR_TABLE;
  let historyTable = g.historyTable ?? env.LEXDR_HISTORY_TABLE;
  let metricNamespace = g.metricNamespace ?? env.LEXDR_METRIC_NAMESPACE;
  let connectRegion = g.connectRegion ?? env.LEXDR_CONNECT_REGION;
  let regionsText = g.regions ?? env.LEXDR_REGIONS;
  const fromCheckout = (connectRegion ?? region) === checkout.connectRegion;

  if (!table || (o.needsStateMachine && !stateMachineArn)) {
    const cfn = new CloudFormationClient(clientConfig);
    try {
      const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
      const outputs = out.Stacks?.[0]?.Outputs ?? [];
      const O = HEALTH_CHECK_OUTPUTS;
      stateMachineArn ??= outputOf(outputs, O.stateMachineArn);
      table ??= outputOf(outputs, O.tableName);
      historyTable ??= outputOf(outputs, O.historyTableName);
      metricNamespace ??= outputOf(outputs, O.metricNamespace);
      connectRegion ??= outputOf(outputs, O.connectRegion);
      regionsText ??= outputOf(outputs, O.regions);
    } catch (err) {
      const e = err as { name?: string; message?: string };
      if (e.name === 'ValidationError' && /does not exist/.test(e.message ?? ''))
        throw new TargetNotFoundError(
          `stack ${stack} not found in ${region}: deploy it with \`npx cdk deploy\`, pass --stack NAME --region R, or give --table and --state-machine-arn`,
        );
      throw explainError(err, `CloudFormation in ${region} (stack ${stack})`);
    } finally {
      cfn.destroy();
    }
    if (!table)
      throw new TargetNotFoundError(
        `stack ${stack} in ${region} has no ${HEALTH_CHECK_OUTPUTS.tableName} output: pass --table`,
      );
    if (o.needsStateMachine && !stateMachineArn)
      throw new TargetNotFoundError(
        `stack ${stack} in ${region} has no StateMachineArn output: pass --state-machine-arn`,
      );
  }
  const dynamodb = new DynamoDBClient(clientConfig);
  const cloudwatch = new CloudWatchClient(clientConfig);
  // A custom endpoint (--endpoint-url) has no `sync-` host either.
  const sfn = new SFNClient({ ...clientConfig, ...(endpoint ? { disableHostPrefix: true } : {}) });
  const regions = regionsText
    ?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  return {
    kind: 'aws',
    where: `lexdr in ${region}${g.table || env.LEXDR_TABLE ? '' : ` (stack ${stack})`}`,
    connectRegion: connectRegion ?? region,
    ...(regions?.length ? { regions } : fromCheckout && checkout.regions ? { regions: checkout.regions } : {}),
    table: table!,
    historyTable: historyTable ?? `${table}-history`,
    metricNamespace: metricNamespace ?? (fromCheckout ? checkout.metricNamespace : undefined) ?? 'lexdr',
    ...(stateMachineArn ? { stateMachineArn } : {}),
    dynamodb,
    cloudwatch,
    executions: sfnExecutions(sfn, stateMachineArn, io),
    pollMs: Number(env.LEXDR_POLL_MS ?? 2000),
    consoleUrl: (arn) => {
      const r = arn.split(':')[3] ?? region;
      return `https://${r}.console.aws.amazon.com/states/home?region=${r}#/v2/executions/details/${arn}`;
    },
    close: () => {
      dynamodb.destroy();
      cloudwatch.destroy();
      sfn.destroy();
    },
  };
}
