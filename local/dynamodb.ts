/**
 * A local DynamoDB (dynalite, in-process) with lexdr's two tables, and a fault front that answers throttling
 * errors exactly as DynamoDB does (HTTP 400, `__type` in the body and `x-amzn-errortype`) for all or a share of
 * the requests, so the state machine's Retry/Catch on DynamoDB errors can be tested over the protocol.
 * Given a `path`, dynalite keeps its tables in a LevelDB there (`npm start` uses `.lexdr/dynamodb/`): `lexDR`,
 * its counters and pin, and the history survive a restart. Without one (the tests) it is in memory.
 */
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { DYNAMO_FAULT_MODES } from './fault-modes';
import type { DynamoFaultMode } from './fault-modes';
import { LOCAL_CREDENTIALS, closeServer, guardServer, listen } from './http';
import type { GuardPolicy } from './http';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (o: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}) => Server;

/**
 * - `none`: every request reaches dynalite.
 * - `throttled`: 400 `ThrottlingException` (request rate too high for the account or table).
 * - `throughput`: 400 `ProvisionedThroughputExceededException` (the table's capacity is exceeded).
 * - `hang`: the request gets no answer until the fault is cleared (a brownout: callers' reads must be bounded).
 * - `down`: 500 `InternalServerError`.
 * - `lost`: the request is applied and its response lost (the connection resets before it): retries must be idempotent.
 */
export { DYNAMO_FAULT_HELP, DYNAMO_FAULT_MODES } from './fault-modes';
export type { DynamoFaultMode } from './fault-modes';

/**
 * Who sends a request, from the `lexdr-role/<role>` user agent its client carries (`roleClient`): a fault applies to
 * the workflow and the lookup by default, never to the operator's own reads (the tests' and the CLI's).
 */
export type DynamoRole = 'workflow' | 'lookup' | 'admin';

export interface DynamoFault {
  mode: DynamoFaultMode;
  /**
   * Share of the matching requests that fail, 0–1. Without `random` the failures are spread evenly and
   * deterministically (2/3 fails the 2nd, 3rd, 5th, 6th… request), so a test can rely on the longest run of
   * consecutive failures (`ceil(1 / (1 - rate)) - 1`). @default 1 (every request)
   */
  rate?: number;
  /** Draws per request when set (e.g. a seeded PRNG): a request fails when `random() < rate`. @default even spread */
  random?: () => number;
  /** Only the next `first` matching requests fail; later ones pass. @default no limit */
  first?: number;
  /** Operations to fail (`GetItem`, `UpdateItem`, `PutItem`, `Query`…). @default every operation */
  operations?: string[];
  /** Clients to fail, by role (a client without a role is an operator's: admin). @default workflow and lookup */
  roles?: DynamoRole[];
}

export interface DynamoFaultStats {
  /** Requests seen by the fault front while a fault was set. */
  matched: number;
  /** Requests answered with the injected error. */
  failed: number;
  /** Failed requests per operation. */
  byOperation: Record<string, number>;
}

export interface LocalDynamo {
  url: string;
  client: DynamoDBClient;
  /** Sets (or clears, with `{ mode: 'none' }`) the injected fault; resets the fault statistics. */
  setFault(f: DynamoFault): void;
  fault(): DynamoFault;
  faultStats(): DynamoFaultStats;
  close(): Promise<void>;
}

const FAULT_ERRORS: Record<Exclude<DynamoFaultMode, 'none' | 'hang' | 'lost'>, { type: string; message: string }> = {
  throttled: {
    type: 'com.amazon.coral.availability#ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  },
  throughput: {
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  down: { type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' },
};

const ROLE_AGENT = /lexdr-role\/(workflow|lookup|admin)/;
/** Tags a client's requests with its role, for the fault front. */
export function roleClient(role: DynamoRole): { customUserAgent: string } {
  return { customUserAgent: `lexdr-role/${role}` };
}

/**
 * Makes a client send each request once: the only retries left are the caller's (the state machine's Retry
 * policies, as with Step Functions' DynamoDB integration, which reports a throttle to the state). Without this,
 * the SDK's own backoff (up to 3 attempts, 0.5–2 s apart for throttling) would absorb faults and slow tests.
 */
export function withoutSdkRetries(client: DynamoDBClient): DynamoDBClient {
  const once = {
    acquireInitialRetryToken: async () => ({ getRetryCount: () => 0, getRetryDelay: () => 0 }),
    refreshRetryTokenForRetry: async (_token: unknown, info: unknown) => {
      throw Object.assign(new Error('no SDK retries'), { info });
    },
    recordSuccess: () => undefined,
  };
  (client.config as unknown as { retryStrategy: () => Promise<unknown> }).retryStrategy = async () => once;
  return client;
}

/** Puts the fault front before dynalite's request listener. */
function faultFront(server: Server) {
  const [inner] = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  if (!inner) throw new Error('dynalite server has no request listener');
  server.removeAllListeners('request');
  let fault: DynamoFault = { mode: 'none' };
  let stats: DynamoFaultStats = { matched: 0, failed: 0, byOperation: {} };
  let seen = 0;
  let fails = 0;

  const shouldFail = (): boolean => {
    const rate = Math.min(1, Math.max(0, fault.rate ?? 1));
    if (fault.random) return fault.random() < rate;
    // Even spread: after n requests, floor(n × rate) of them have failed.
    seen += 1;
    const due = Math.floor(seen * rate + 1e-9);
    if (due > fails) {
      fails = due;
      return true;
    }
    return false;
  };

  const hung = new Set<ServerResponse>();
  const releaseHung = () => {
    for (const res of hung) res.destroy();
    hung.clear();
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.split('.').pop() ?? '';
    const agent = `${req.headers['x-amz-user-agent'] ?? ''} ${req.headers['user-agent'] ?? ''}`;
    const role = (ROLE_AGENT.exec(agent)?.[1] ?? 'admin') as DynamoRole;
    const applies =
      fault.mode !== 'none' &&
      (fault.roles ?? ['workflow', 'lookup']).includes(role) &&
      (fault.operations === undefined || fault.operations.includes(operation)) &&
      (fault.first === undefined || stats.failed < fault.first);
    if (applies) stats.matched += 1;
    if (!applies || !shouldFail()) return inner(req, res);
    stats.failed += 1;
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    if (fault.mode === 'lost') {
      res.end = (() => {
        res.destroy();
        return res;
      }) as typeof res.end;
      return inner(req, res);
    }
    if (fault.mode === 'hang') {
      req.resume();
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    const { type, message } = FAULT_ERRORS[fault.mode as Exclude<DynamoFaultMode, 'none' | 'hang' | 'lost'>];
    const body = JSON.stringify({ __type: type, message });
    req.resume();
    res.writeHead(fault.mode === 'down' ? 500 : 400, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(body),
      'x-amzn-errortype': type.split('#').pop()!,
      'x-amzn-requestid': `local-fault-${stats.failed}`,
    });
    res.end(body);
  });

  return {
    setFault(f: DynamoFault) {
      if (f.rate !== undefined && !(f.rate >= 0 && f.rate <= 1))
        throw new RangeError(`fault rate ${f.rate}: must be 0–1`);
      if (!(DYNAMO_FAULT_MODES as readonly string[]).includes(f.mode))
        throw new RangeError(`fault mode "${f.mode}": must be one of ${DYNAMO_FAULT_MODES.join(', ')}`);
      releaseHung();
      fault = { ...f };
      stats = { matched: 0, failed: 0, byOperation: {} };
      seen = 0;
      fails = 0;
    },
    fault: () => ({ ...fault }),
    stats: () => ({ ...stats, byOperation: { ...stats.byOperation } }),
    releaseHung,
  };
}

/** Creates lexDR (connectRegion) and the history table (connectRegion, changeId) if missing. */
export async function createTables(client: DynamoDBClient, tableName: string, historyTableName: string): Promise<void> {
  const create = async (cmd: CreateTableCommand) => {
    try {
      await client.send(cmd);
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
  };
  await create(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'connectRegion', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'connectRegion', KeyType: 'HASH' }],
    }),
  );
  await create(
    new CreateTableCommand({
      TableName: historyTableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'connectRegion', AttributeType: 'S' },
        { AttributeName: 'changeId', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'connectRegion', KeyType: 'HASH' },
        { AttributeName: 'changeId', KeyType: 'RANGE' },
      ],
    }),
  );
}

export async function startLocalDynamo(o: {
  tableName: string;
  historyTableName: string;
  port?: number;
  host?: string;
  region?: string;
  /** Directory of the LevelDB that keeps the tables across restarts. @default in memory */
  path?: string;
  /** Host/Origin/token checks before dynalite. @default loopback Host only, no token */
  guard?: GuardPolicy;
  /** Credentials of the returned client (the token as access key when one is in force). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): Promise<LocalDynamo> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(o.path !== undefined ? { path: o.path } : {}),
  });
  const front = faultFront(server);
  guardServer(server, o.guard ?? {});
  const url = await listen(server, o.port ?? 0, o.host ?? '127.0.0.1');
  const client = new DynamoDBClient({
    endpoint: url,
    region: o.region ?? 'us-east-1',
    credentials: o.credentials ?? LOCAL_CREDENTIALS,
    ...roleClient('admin'),
  });
  await createTables(client, o.tableName, o.historyTableName);
  return {
    url,
    client,
    setFault: front.setFault,
    fault: front.fault,
    faultStats: front.stats,
    close: async () => {
      front.releaseHung();
      client.destroy();
      await closeServer(server);
    },
  };
}
