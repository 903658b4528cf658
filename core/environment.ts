/**
 * Each function's environment, typed and read once at load: a missing or malformed variable fails the cold start
 * with its name (a function that cannot know its table must not answer). The names are the contract's
 * (FUNCTION_ENV), set by the stack. zod's functional API: the lookup bundles this.
 */
import * as z from 'zod/mini';
import { FUNCTION_ENV } from './contract';
import { SettingsError, describeIssues } from './errors';

const name = z.string().check(z.minLength(1));
const E = FUNCTION_ENV;

const settingsReader = { [E.table]: name, [E.connectRegion]: name };

const schemas = {
  lookup: z.object({ ...settingsReader, [E.regions]: name }),
  healthCheck: z.object(settingsReader),
  probe: z.object({ [E.lexEndpoints]: z.optional(name) }),
  report: z.object({ ...settingsReader, [E.stateMachineArn]: name, [E.metricNamespace]: name }),
};
export type FunctionName = keyof typeof schemas;

export interface LookupEnvironment {
  tableName: string;
  connectRegion: string;
  /** Bot regions in priority order. */
  regions: string[];
}
export interface HealthCheckEnvironment {
  tableName: string;
  connectRegion: string;
}
export interface ReportEnvironment {
  tableName: string;
  connectRegion: string;
  stateMachineArn: string;
  metricNamespace: string;
}
export interface ProbeEnvironment {
  /** Lex endpoints by region (the local system's); none on AWS. */
  lexEndpoints: Record<string, string>;
}

function parse<T>(fn: FunctionName, schema: z.ZodMiniType<T>, env: NodeJS.ProcessEnv): T {
  const r = z.safeParse(schema, env);
  if (!r.success) throw new SettingsError(`the ${fn} function's environment: ${describeIssues(r.error.issues, env)}`);
  return r.data;
}

export function lookupEnvironment(env: NodeJS.ProcessEnv = process.env): LookupEnvironment {
  const e = parse('lookup', schemas.lookup, env);
  return { tableName: e[E.table], connectRegion: e[E.connectRegion], regions: e[E.regions].split(',') };
}

export function healthCheckEnvironment(env: NodeJS.ProcessEnv = process.env): HealthCheckEnvironment {
  const e = parse('healthCheck', schemas.healthCheck, env);
  return { tableName: e[E.table], connectRegion: e[E.connectRegion] };
}

export function reportEnvironment(env: NodeJS.ProcessEnv = process.env): ReportEnvironment {
  const e = parse('report', schemas.report, env);
  return {
    tableName: e[E.table],
    connectRegion: e[E.connectRegion],
    stateMachineArn: e[E.stateMachineArn],
    metricNamespace: e[E.metricNamespace],
  };
}

export function probeEnvironment(env: NodeJS.ProcessEnv = process.env): ProbeEnvironment {
  const raw = parse('probe', schemas.probe, env)[E.lexEndpoints];
  if (raw === undefined) return { lexEndpoints: {} };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new SettingsError(`${E.lexEndpoints} is not JSON: ${(err as Error).message}`);
  }
  const r = z.safeParse(z.record(z.string(), z.url()), json);
  if (!r.success)
    throw new SettingsError(`${E.lexEndpoints} must map regions to URLs: ${describeIssues(r.error.issues, json)}`);
  return { lexEndpoints: r.data };
}
