/**
 * How `preflight` and `verify` reach AWS: one client configuration per region, from the user's credentials (the SDK's
 * provider chain). Endpoints are the SDK's own choice — the service's regional endpoint, or the one the AWS SDKs read
 * from `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` (and the shared config file) — unless `--endpoint-url`
 * (env LEXDR_ENDPOINT_URL) sends every call to one endpoint. Calls are bounded: a hanging endpoint fails the check
 * instead of hanging the command.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Io } from './io';
import type { GlobalOptions } from './target';

export interface ClientConfig {
  region: string;
  endpoint?: string;
  requestHandler: NodeHttpHandler;
}

export interface AwsAccess {
  /** Configuration of a client in `region` (HTTP/1.1, bounded connection and request times). */
  config(region: string, o?: { requestTimeoutMs?: number }): ClientConfig;
  /**
   * Step Functions' configuration: the SDK sends StartSyncExecution to a `sync-` host, which a custom endpoint does not
   * have, so host prefixes are off whenever an endpoint is configured.
   */
  sfnConfig(region: string, o?: { requestTimeoutMs?: number }): ClientConfig & { disableHostPrefix?: boolean };
}

/** How long one AWS call may take before the check fails. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export function awsAccess(g: GlobalOptions, io: Io): AwsAccess {
  const endpoint = g.endpointUrl ?? io.env.LEXDR_ENDPOINT_URL;
  const config = (region: string, o: { requestTimeoutMs?: number } = {}): ClientConfig => ({
    region,
    ...(endpoint ? { endpoint } : {}),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5000,
      requestTimeout: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
  });
  const customSfn = Boolean(endpoint || io.env.AWS_ENDPOINT_URL_SFN || io.env.AWS_ENDPOINT_URL);
  return {
    config,
    sfnConfig: (region, o) => ({ ...config(region, o), ...(customSfn ? { disableHostPrefix: true } : {}) }),
  };
}

/** Runs `f` with a client and destroys it afterwards. */
export async function using<C extends { destroy(): void }, T>(client: C, f: (c: C) => Promise<T>): Promise<T> {
  try {
    return await f(client);
  } finally {
    client.destroy();
  }
}

/** CloudFormation's answer for a stack (or a stack's resource) that does not exist. */
export const doesNotExist = (err: unknown): boolean =>
  (err as { name?: string } | undefined)?.name === 'ValidationError' &&
  /does not exist/.test(String((err as Error).message));
