/**
 * A local AWS Lambda endpoint: the parts of the Lambda API that `lexdr preflight` and `lexdr verify` call, answered
 * as Lambda answers them, per region (the region a request was signed for):
 * - `GetAccountSettings` (`GET /2016-08-19/account-settings`): the account's concurrency quota and what is left
 *   unreserved;
 * - `GetFunctionConcurrency` / `PutFunctionConcurrency` / `DeleteFunctionConcurrency` (`…/functions/{name}/concurrency`),
 *   refusing a reservation that leaves less than 100 unreserved, as Lambda does;
 * - `Invoke` (`POST /2015-03-31/functions/{name}/invocations`): `RequestResponse` runs the registered handler in
 *   process; a handler that throws answers 200 with `X-Amz-Function-Error: Unhandled` and the error as payload.
 *   `Event` (asynchronous) answers 202 with no payload at once and runs the handler afterwards, its outcome seen by
 *   no caller (as Lambda's async queue does; `onAsyncError` hears a failure).
 * Functions are found by name, by ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`) or by
 * partial ARN (`<account>:function:<name>`).
 */
import { LAMBDA_UNRESERVED_MINIMUM } from '../../core/aws-limits';
import { AwsApiError } from '../http';
import { notFound, startRestServer } from './rest';
import type { RestListenOptions, RestRequest } from './rest';

export interface LocalFunction {
  /** The function's code: what Invoke runs. @default a function that cannot be invoked (no code) */
  handler?: (event: unknown) => Promise<unknown>;
  /** Reserved concurrency. @default none */
  reservedConcurrency?: number;
}

export interface LocalLambdaRegion {
  /** The account's concurrency quota here (`AccountLimit.ConcurrentExecutions`). @default 1000 */
  concurrency?: number;
  /** Functions by name. */
  functions?: Record<string, LocalFunction>;
}

export interface LocalLambdaApiOptions extends RestListenOptions {
  /** The regions this endpoint answers for; a request signed for another region finds nothing there. */
  regions: Record<string, LocalLambdaRegion>;
  /** Account ID in ARNs. @default 123456789012 */
  account?: string;
  /** A function invoked with `Event` failed (Lambda would retry it and then drop it). @default ignored */
  onAsyncError?: (name: string, err: unknown) => void;
}

export interface LocalLambdaApi {
  url: string;
  /** A region's state (created on first use). */
  region(name: string): Required<LocalLambdaRegion>;
  close(): Promise<void>;
}

/** Lambda's defaults for the code-size part of `AccountLimit`. */
const CODE_LIMITS = { TotalCodeSize: 80_530_636_800, CodeSizeUnzipped: 262_144_000, CodeSizeZipped: 52_428_800 };

export async function startLocalLambdaApi(o: LocalLambdaApiOptions): Promise<LocalLambdaApi> {
  const account = o.account ?? '123456789012';
  const regions = new Map<string, Required<LocalLambdaRegion>>();
  const region = (name: string): Required<LocalLambdaRegion> => {
    let r = regions.get(name);
    if (!r) {
      const given = o.regions[name];
      r = { concurrency: given?.concurrency ?? 1000, functions: { ...given?.functions } };
      regions.set(name, r);
    }
    return r;
  };
  for (const name of Object.keys(o.regions)) region(name);

  const reserved = (r: Required<LocalLambdaRegion>, except?: string) =>
    Object.entries(r.functions).reduce((n, [name, f]) => n + (name === except ? 0 : (f.reservedConcurrency ?? 0)), 0);

  /** The function a request names, by name or (partial) ARN; 404 as Lambda answers. */
  const fn = (req: RestRequest): { name: string; f: LocalFunction } => {
    const given = req.params.FunctionName ?? '';
    const m =
      /^(?:arn:aws[a-z-]*:lambda:([a-z0-9-]+):)?(?:(\d{12}):)?(?:function:)?([A-Za-z0-9_-]+)(?::[$A-Za-z0-9_-]+)?$/.exec(
        given,
      );
    const regionName = m?.[1] ?? req.region;
    const name = m?.[3] ?? given;
    const f = m && (m[2] === undefined || m[2] === account) ? region(regionName).functions[name] : undefined;
    if (!f) throw notFound(`Function not found: arn:aws:lambda:${regionName}:${account}:function:${name}`);
    return { name, f };
  };

  const api = await startRestServer({
    service: 'Lambda',
    host: o.host,
    port: o.port,
    guard: o.guard,
    routes: [
      {
        method: 'GET',
        path: '/2016-08-19/account-settings',
        handle: (req) => {
          const r = region(req.region);
          return {
            body: {
              AccountLimit: {
                ...CODE_LIMITS,
                ConcurrentExecutions: r.concurrency,
                UnreservedConcurrentExecutions: r.concurrency - reserved(r),
              },
              AccountUsage: { TotalCodeSize: 0, FunctionCount: Object.keys(r.functions).length },
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/2019-09-30/functions/{FunctionName}/concurrency',
        handle: (req) => {
          const { f } = fn(req);
          return {
            body: f.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: f.reservedConcurrency } : {},
          };
        },
      },
      {
        method: 'PUT',
        path: '/2017-10-31/functions/{FunctionName}/concurrency',
        handle: (req) => {
          const { name, f } = fn(req);
          const value = (req.body as { ReservedConcurrentExecutions?: unknown } | undefined)
            ?.ReservedConcurrentExecutions;
          if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
            throw new AwsApiError(
              'InvalidParameterValueException',
              'ReservedConcurrentExecutions must be a whole number ≥ 0',
            );
          const r = region(req.region);
          if (r.concurrency - reserved(r, name) - value < LAMBDA_UNRESERVED_MINIMUM)
            throw new AwsApiError(
              'InvalidParameterValueException',
              `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${LAMBDA_UNRESERVED_MINIMUM}].`,
            );
          f.reservedConcurrency = value;
          return { body: { ReservedConcurrentExecutions: value } };
        },
      },
      {
        method: 'DELETE',
        path: '/2017-10-31/functions/{FunctionName}/concurrency',
        handle: (req) => {
          delete fn(req).f.reservedConcurrency;
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        path: '/2015-03-31/functions/{FunctionName}/invocations',
        handle: async (req) => {
          const { name, f } = fn(req);
          const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
          if (type !== 'RequestResponse' && type !== 'Event')
            throw new AwsApiError(
              'InvalidParameterValueException',
              `InvocationType ${String(type)}: RequestResponse or Event (DryRun is not served locally)`,
            );
          if (!f.handler)
            throw new AwsApiError('ServiceException', `function ${name} has no code in the local Lambda`, 500);
          const text = req.raw.toString('utf8');
          let event: unknown = {};
          if (text) {
            try {
              event = JSON.parse(text);
            } catch {
              throw new AwsApiError('InvalidRequestContentException', 'Could not parse request body into json');
            }
          }
          const headers = { 'x-amz-executed-version': '$LATEST' };
          if (type === 'Event') {
            const handler = f.handler;
            setImmediate(() => {
              handler(event).catch((err: unknown) => o.onAsyncError?.(name, err));
            });
            return { status: 202 };
          }
          try {
            return { body: (await f.handler(event)) ?? null, headers };
          } catch (err) {
            const e = err as Error;
            return {
              body: { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(err), trace: [] },
              headers: { ...headers, 'x-amz-function-error': 'Unhandled' },
            };
          }
        },
      },
    ],
  });
  return { url: api.url, region, close: api.close };
}
