/**
 * The project's configuration for `preflight` and `verify`: the `lexdr` context of a cdk.json — the one given with
 * `--cdk-json`, else the cdk.json of the current directory (where `npx cdk deploy` reads it), else this checkout's —
 * read once and validated by the one config reader (`parseConfig`, infra/config.ts), and the file's whole context (feature flags),
 * with which the CDK app is synthesized as `cdk deploy` would.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ConfigError, parseConfig } from '../../infra/config';
import type { LexdrConfig } from '../../infra/config';
import { UsageError } from './errors';
import type { Io } from './io';

export interface ProjectConfig {
  config: LexdrConfig;
  /** The cdk.json read. */
  path: string;
  /** Its `context` (the CDK feature flags and the `lexdr` key). */
  context: Record<string, unknown>;
}

/** The cdk.json `preflight` and `verify` read by default. */
export function defaultCdkJson(io: Io): string {
  const here = join(io.cwd, 'cdk.json');
  return existsSync(here) ? here : join(__dirname, '..', '..', 'cdk.json');
}

/** Reads and validates the config; a missing or invalid file is a usage error (exit 2) naming the file and keys. */
export function loadProjectConfig(io: Io, given?: string): ProjectConfig {
  const path = given === undefined ? defaultCdkJson(io) : isAbsolute(given) ? given : join(io.cwd, given);
  if (!existsSync(path)) throw new UsageError(`no ${path}: pass --cdk-json PATH (the cdk.json of your lexdr checkout)`);
  try {
    const context = (JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
    return { config: parseConfig(context.lexdr, `"lexdr" context in ${path}`), path, context };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}
