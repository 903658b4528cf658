/**
 * The one reader of lexdr's settings. `cdk.json` context (key `lexdr`) → `readConfig()` → stack props,
 * Lambda environment and ASL substitutions. The local runtime (`npm start`) reads the same file through
 * the same function, so what runs locally is what deploys.
 *
 * The config's parts: its schema (`config/schema.ts`), its cross-field rules (`config/rules.ts`) and what one stack can
 * deploy (`config/limits-check.ts`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { valueAt } from '../core/errors';
import { rules, withConnectRegions } from './config/rules';
import { arnRegion, baseSchema } from './config/schema';
export { speechUse } from './config/speech';
import { probeReservedConcurrency } from './limits';

export { arnRegion, botRegionSchema, botSchema, probeMethods, regionSchema } from './config/schema';
export type { BotConfig, BotRegion, ProbeMethod } from './config/schema';

export const configSchema = baseSchema.superRefine(rules(true)).transform(withConnectRegions);
/** The same config without the deploy-time limits: sizes one stack cannot take can still run locally, to measure. */
const undeployableSchema = baseSchema.superRefine(rules(false)).transform(withConnectRegions);

export type LexdrConfig = z.infer<typeof configSchema>;
export type LexdrConfigInput = z.input<typeof configSchema>;

/** A config problem, with every key, the value received and what would be valid. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The value received, in a line: a long array or object is summarised. */
function shortValue(v: unknown): string {
  const json = JSON.stringify(v);
  if (json === undefined) return 'nothing';
  if (json.length <= 120) return json;
  if (Array.isArray(v)) return `${v.length} items`;
  return `${json.slice(0, 100)}…`;
}

/** Validates raw settings; throws ConfigError naming each key, the value received and what is valid. */
export function parseConfig(
  input: unknown,
  source = 'lexdr config',
  o: {
    /** false: skip what one stack can deploy (state size, template, resources) — for local measurements only. */
    deployLimits?: boolean;
  } = {},
): LexdrConfig {
  const r = (o.deployLimits === false ? undeployableSchema : configSchema).safeParse(input ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const key = i.path.map(String).join('.') || '(root)';
    if (i.code === 'invalid_key') {
      // A record key (a region in `ids`): say which key and why, not only "Invalid key in record".
      const inner = (i as { issues?: { message: string }[] }).issues?.map((x) => x.message).join('; ') ?? i.message;
      return `  ${key}: the key "${String(i.path[i.path.length - 1])}" is not valid: ${inner}`;
    }
    return `  ${key}: got ${shortValue(valueAt(input, i.path))}; ${i.message}`;
  });
  throw new ConfigError(`invalid ${source}:\n${lines.join('\n')}`);
}

/** Reads the `lexdr` context of a cdk.json file (the project's by default). */
export function readConfigFile(cdkJsonPath = join(__dirname, '..', 'cdk.json')): LexdrConfig {
  const cdkJson = JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context?: Record<string, unknown> };
  return parseConfig(cdkJson.context?.lexdr, `"lexdr" context in ${cdkJsonPath}`);
}

/** Cycles per execution: one execution per scheduled minute, `60 / cadenceSeconds` cycles in it. */
export function cyclesPerExecution(c: Pick<LexdrConfig, 'cadenceSeconds'>): number {
  return Math.max(1, Math.floor(60 / c.cadenceSeconds));
}

/** NLU probe every N cycles (0 = never). */
export function nluEveryCycles(c: Pick<LexdrConfig, 'cadenceSeconds' | 'probe'>): number {
  return c.probe.nluEveryMinutes === 0 ? 0 : Math.max(1, Math.round((c.probe.nluEveryMinutes * 60) / c.cadenceSeconds));
}

/** A speech probe every N cycles (0 = never): `probe.speechEveryMinutes`. */
export function speechEveryCycles(c: Pick<LexdrConfig, 'cadenceSeconds' | 'probe'>): number {
  return c.probe.speechEveryMinutes === 0
    ? 0
    : Math.max(1, Math.round((c.probe.speechEveryMinutes * 60) / c.cadenceSeconds));
}

/**
 * Reserved concurrency of the probe function (`reservedConcurrentExecutions`): the probes one execution has in flight
 * (every bot × region, at most the inline Map's concurrency) times the executions that can overlap; undefined (nothing reserved) with
 * `reserveProbeConcurrency: false`. `parseConfig` has checked it fits the account's quota.
 */
export function probeConcurrency(
  c: Pick<LexdrConfig, 'bots' | 'regions' | 'reserveProbeConcurrency'>,
): number | undefined {
  return c.reserveProbeConcurrency ? probeReservedConcurrency(c) : undefined;
}

/** The name a bot deployed from code has in Lex: unique in the account, never AWS's sample's own name. */
export function deployedBotName(c: Pick<LexdrConfig, 'botNamePrefix'>, botName: string): string {
  return `${c.botNamePrefix}${botName}`;
}

/** The Amazon Connect instance (and its agent queue) the health-check stack of `connectRegion` wires, if any. */
export function connectInstanceFor(
  c: Pick<LexdrConfig, 'connectInstanceArn' | 'agentQueueArn' | 'connectInstances'>,
  connectRegion: string,
): { instanceArn: string; agentQueueArn?: string } | undefined {
  const all = [
    ...(c.connectInstanceArn
      ? [{ instanceArn: c.connectInstanceArn, ...(c.agentQueueArn ? { agentQueueArn: c.agentQueueArn } : {}) }]
      : []),
    ...c.connectInstances,
  ];
  return all.find((x) => arnRegion(x.instanceArn) === connectRegion);
}
