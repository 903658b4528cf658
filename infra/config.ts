/**
 * The one reader of lexdr's settings. `cdk.json` context (key `lexdr`) → `readConfig()` → stack props,
 * Lambda environment and ASL substitutions. The local runtime (`npm start`) reads the same file through
 * the same function, so what runs locally is what deploys.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PROBE_METHODS } from '../core/settings';
import {
  ASYNC_INVOKE_PAYLOAD_LIMIT_BYTES,
  CLOUDFORMATION_STACK_RESOURCES,
  SETTINGS_REQUEST_FACTOR,
  DYNAMODB_ITEM_LIMIT_BYTES,
  EXPRESS_MAX_DURATION_SECONDS,
  TEMPLATE_BODY_LIMIT_BYTES,
  estimateTemplateBytes,
  metricDatumsPerExecution,
  PUT_METRIC_DATA_MAX_DATUMS,
  healthCheckStackResources,
  connectStackResources,
  INLINE_MAP_MAX_CONCURRENCY,
  LAMBDA_CONCURRENCY_QUOTA_CODE,
  LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY,
  LAMBDA_UNRESERVED_MINIMUM,
  LEX_V2_REGIONS,
  OVERLAPPING_EXECUTIONS,
  STATE_MACHINE_TIMEOUT_SECONDS,
  STATE_PAYLOAD_LIMIT_BYTES,
  STATE_SIZE_SAFETY,
  estimatePeakStateBytes,
  estimateSettingsBytes,
  mapWaves,
  probeReservedConcurrency,
  worstExecutionSeconds,
} from './limits';

/**
 * A region where Lex V2 runs ({@link LEX_V2_REGIONS}). Amazon Connect runs only in regions that have Lex V2, so the
 * same list checks the Connect regions.
 */
export const regionSchema = z.string().refine((r) => (LEX_V2_REGIONS as readonly string[]).includes(r), {
  message: `a region where Lex V2 runs: ${LEX_V2_REGIONS.join(', ')} (infra/limits.ts, from the Lex endpoints page)`,
});

/** Where a bot lives in one region: the Lex V2 IDs (and, for the legacy V1 probe, the V1 name/alias). */
export const botRegionSchema = z.object({
  /** Lex V2 bot ID (10 characters). */
  botId: z.string().regex(/^[0-9A-Z]{10}$/, 'a Lex V2 bot ID: 10 upper-case letters or digits'),
  /** Lex V2 bot alias ID (10 characters, or TSTALIASID). */
  botAliasId: z.string().regex(/^[0-9A-Z]{10}$/, 'a Lex V2 bot alias ID: 10 upper-case letters or digits'),
});
export type BotRegion = z.infer<typeof botRegionSchema>;

export const botSchema = z
  .object({
    /** Bot name, used in metric dimensions and the lookup's `bot` parameter. */
    name: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'letters, digits, "_" or "-" (1–100)'),
    /** Lex V2 locale the probes and the flow use. */
    localeId: z
      .string()
      .regex(/^[a-z]{2}_[A-Z]{2}$/, 'a Lex locale such as "en_US"')
      .default('en_US'),
    /**
     * How the bot exists in each region:
     * - `code`: lexdr deploys it from the definition in `bot/` (one bot stack per region);
     * - `existing`: per-region IDs are given in `ids`;
     * - `global-resiliency`: one set of IDs (`ids` has exactly one entry, any region) replicated by Lex Global
     *   Resiliency to the partner region with the same IDs.
     */
    source: z.enum(['code', 'existing', 'global-resiliency']).default('code'),
    /** Per-region Lex V2 IDs for `existing` / `global-resiliency`. */
    ids: z.record(regionSchema, botRegionSchema).default({}),
    /** Lex V1 bot name and alias, only for the legacy V1 probe methods. */
    v1: z.object({ botName: z.string().min(2), botAlias: z.string().min(1) }).optional(),
  })
  .strict();
export type BotConfig = z.infer<typeof botSchema>;

/** The probe methods; `stream` is StartConversation (TEXT), the API Amazon Connect's live calls use. */
export const probeMethods = PROBE_METHODS;
export type ProbeMethod = (typeof probeMethods)[number];

const INSTANCE_ARN = /^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance\/[0-9a-f-]{36}$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance\/[0-9a-f-]{36}\/queue\/[0-9a-f-]{36}$/;

/** The region of an ARN (`arn:partition:service:region:…`). */
export const arnRegion = (arn: string): string => arn.split(':')[3] ?? '';

const baseSchema = z
  .object({
    /**
     * The region Amazon Connect runs in; the health check, the `lexDR` table and the lookup live here. With
     * `connectRegions`, the first of them (and this key, when given, must be one of them).
     */
    connectRegion: regionSchema.optional(),
    /**
     * Every region an Amazon Connect instance of this deployment runs in (e.g. both instances of a Connect Global
     * Resiliency pair): one health-check stack per region, probing from there, with its own `lexDR` item, lookup
     * and alarms. @default [connectRegion]
     */
    connectRegions: z
      .array(regionSchema)
      .min(1)
      .max(5)
      .refine((r) => new Set(r).size === r.length, 'each region once')
      .optional(),
    /** Bot regions in priority order: the first is the primary. */
    regions: z
      .array(regionSchema)
      .min(2, 'at least two regions (primary first)')
      .max(10)
      .refine((r) => new Set(r).size === r.length, 'each region once')
      .default(['us-east-1', 'us-west-2']),
    /** The bots kept in every region. A region is healthy when every bot answers there. */
    bots: z
      .array(botSchema)
      .min(1)
      .max(100)
      .refine((b) => new Set(b.map((x) => x.name)).size === b.length, 'bot names must be unique')
      .default([{ name: 'OrderFlowers', localeId: 'en_US', source: 'code', ids: {} }]),
    /**
     * Prefix of the name each bot deployed from code gets in Lex (`<prefix><bot name>`, e.g. `lexdr-OrderFlowers`).
     * Lex bot names are unique per account and region, and AWS's own sample bots (`OrderFlowers`) are the names an
     * account is likeliest to have already; change it to deploy a second lexdr into the same account.
     */
    botNamePrefix: z
      .string()
      .regex(/^([0-9A-Za-z][_-]?){1,40}$/, 'letters and digits, each optionally followed by one "_" or "-" (≤ 40)')
      .default('lexdr-'),
    /** DynamoDB table holding connectRegion → lexRegion (seed-compatible name). */
    tableName: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/)
      .default('lexDR'),
    /**
     * DynamoDB deletion protection on `lexDR` and its history table. Leave it off for the first deploy (a rollback of
     * that create must be able to delete the tables, or the retry fails with "already exists"), then turn it on.
     * The tables are kept on stack deletion and replacement either way.
     */
    tableDeletionProtection: z.boolean().default(false),
    /** DynamoDB table holding every region change. */
    historyTableName: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/)
      .default('lexDR-history'),
    /** CloudWatch namespace of the health-check metrics. */
    metricNamespace: z
      .string()
      .regex(/^[A-Za-z0-9_./#:-]{1,255}$/)
      .default('lexdr'),
    probe: z
      .object({
        /** Method of most probes. `liveness` uses Lex V2 PutSession/GetSession/DeleteSession (no request charge). */
        method: z.enum(probeMethods).default('liveness'),
        /** Every this many minutes a cycle probes with NLU (RecognizeText) instead; 0 = never. */
        nluEveryMinutes: z.number().int().min(0).max(1440).default(60),
        /** Sample utterance sent by NLU probes. */
        utterance: z.string().min(1).max(1024).default('I would like to order some flowers'),
        /** The intent an NLU probe must recognise. */
        expectedIntent: z.string().min(1).max(100).default('OrderFlowers'),
        /** Optionally, the slot Lex must elicit next after the utterance. */
        expectedSlot: z.string().min(1).max(100).optional().default('FlowerType'),
        /** Hard per-call timeout of a probe's Lex call. */
        timeoutMs: z.number().int().min(200).max(10000).default(1500),
        /** A probe slower than this counts as failed (`slow`). */
        latencyBudgetMs: z.number().int().min(50).max(10000).default(1200),
      })
      .strict()
      .default({
        method: 'liveness',
        nluEveryMinutes: 60,
        utterance: 'I would like to order some flowers',
        expectedIntent: 'OrderFlowers',
        expectedSlot: 'FlowerType',
        timeoutMs: 1500,
        latencyBudgetMs: 1200,
      }),
    /** Seconds between health-check cycles (a loop inside each execution). */
    cadenceSeconds: z.number().int().min(5).max(60).default(6),
    /** Consecutive failed probes of the active region before leaving it. */
    failThreshold: z.number().int().min(1).max(20).default(2),
    /**
     * Confirm a failure inside its cycle: a region that fails is probed again `confirmDelaySeconds` later (as often
     * as failThreshold needs and the cycle has room for), so callers move within seconds of a fault.
     */
    confirmFailures: z.boolean().default(true),
    /** Seconds between a failed probe and its confirmation. */
    confirmDelaySeconds: z.number().int().min(1).max(10).default(1),
    /** Consecutive passed probes of a higher-priority region before returning to it. */
    recoverThreshold: z.number().int().min(1).max(360).default(30),
    /** Include state input/output in the workflow's logs (level ALL either way); about 3× the log volume (`npm run cost`). */
    logExecutionData: z.boolean().default(false),
    /** Start the health check from EventBridge Scheduler. */
    scheduleEnabled: z.boolean().default(true),
    /** E-mail subscribed to the alarm topic. */
    alarmEmail: z.email().optional(),
    /** An existing SNS topic for alarms instead of a new one. */
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/)
      .optional(),
    /** Amazon Connect instance: when set, the lookup, the bots and the contact flow are wired into it. */
    connectInstanceArn: z.string().regex(INSTANCE_ARN).optional(),
    /** Amazon Connect queue the contact flow transfers callers to when no bot can take them (needed for the flow). */
    agentQueueArn: z.string().regex(QUEUE_ARN).optional(),
    /**
     * Amazon Connect instances of the other Connect regions (e.g. the replica of a Connect Global Resiliency pair),
     * each wired like `connectInstanceArn` by the health-check stack of its region.
     * @default none
     */
    connectInstances: z
      .array(
        z
          .object({
            instanceArn: z.string().regex(INSTANCE_ARN),
            agentQueueArn: z.string().regex(QUEUE_ARN).optional(),
          })
          .strict(),
      )
      .max(5)
      .default([]),
    /** What the contact flow says to callers it puts through to an agent (default in flows/tokens.ts). */
    apologyText: z.string().min(1).max(1000).optional(),
    /**
     * The account's Lambda concurrency quota in the Connect regions (Service Quotas → Lambda → Concurrent executions).
     * The probe function's reserved concurrency must leave Lambda's 100 unreserved.
     */
    lambdaConcurrencyQuota: z.number().int().min(10).max(1_000_000).default(LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY),
    /**
     * Reserve concurrency for the probe function, so a surge of calls that takes the account's concurrency cannot
     * throttle the health check into blindness. `false` for an account whose quota leaves nothing to reserve (new
     * accounts may start at 10): the probes then share the account's concurrency with every other function.
     */
    reserveProbeConcurrency: z.boolean().default(true),
    /** Seconds the lookup caches the lexDR item. */
    lookupCacheSeconds: z.number().int().min(0).max(60).default(1),
    /** The optional Twilio Media Streams bridge (ECS Fargate behind an ALB); deployed only when set. */
    twilio: z
      .object({
        /** ACM certificate for the bridge's HTTPS/WSS listener. */
        certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/),
        /** Public DNS name Twilio calls (signatures are checked against it). */
        domainName: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'a DNS name such as "voice.example.com"'),
        /**
         * Secrets Manager secret holding the Twilio auth token (never a plain environment variable): its complete ARN,
         * with the six characters Secrets Manager appends to the name (`…:secret:twilio-auth-AbCdEf`). A partial ARN
         * would be granted as if complete, and the task could not read its secret.
         */
        authTokenSecretArn: z
          .string()
          .regex(
            /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
            'the secret\'s complete ARN, ending in "-" and the six characters Secrets Manager adds (see the console or `aws secretsmanager describe-secret`)',
          ),
        /** Twilio account SID (AC…). */
        accountSid: z.string().regex(/^AC[0-9a-f]{32}$/, 'a Twilio account SID: AC + 32 hex digits'),
        /** Number callers are transferred to when no region is healthy (E.164). */
        humanNumber: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as "+15551234567"'),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The config's rules; with `deployLimits`, also what one stack can deploy (its state, template, resources). */
const rules = (deployLimits: boolean) => (c: z.output<typeof baseSchema>, ctx: z.RefinementCtx) => {
  if (60 % c.cadenceSeconds !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['cadenceSeconds'],
      message: `must divide 60 evenly (5, 6, 10, 12, 15, 20, 30, 60) so cycles line up with the 1-minute schedule`,
    });
  }
  if (c.probe.latencyBudgetMs > c.probe.timeoutMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['probe', 'latencyBudgetMs'],
      message: `must not exceed probe.timeoutMs (${c.probe.timeoutMs})`,
    });
  }
  if (c.probe.timeoutMs / 1000 >= c.cadenceSeconds) {
    ctx.addIssue({
      code: 'custom',
      path: ['probe', 'timeoutMs'],
      message: `must be shorter than one cycle (cadenceSeconds ${c.cadenceSeconds} s)`,
    });
  }
  c.bots.forEach((b, i) => {
    if (b.source === 'existing') {
      const missing = c.regions.filter((r) => !b.ids[r]);
      if (missing.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['bots', i, 'ids'],
          message: `source "existing" needs botId/botAliasId for every region; missing ${missing.join(', ')}`,
        });
      }
    }
    if (b.source === 'global-resiliency' && Object.keys(b.ids).length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['bots', i, 'ids'],
        message: `source "global-resiliency" takes exactly one entry of IDs (shared by the replica regions)`,
      });
    }
    if ((c.probe.method === 'v1-putsession' || c.probe.method === 'v1-posttext') && !b.v1) {
      ctx.addIssue({
        code: 'custom',
        path: ['bots', i, 'v1'],
        message: `probe.method "${c.probe.method}" needs the bot's Lex V1 name and alias`,
      });
    }
  });
  if (c.connectRegion && c.connectRegions && !c.connectRegions.includes(c.connectRegion)) {
    ctx.addIssue({
      code: 'custom',
      path: ['connectRegion'],
      message: `must be one of connectRegions (${c.connectRegions.join(', ')}), or left out`,
    });
  }
  const connectRegions = c.connectRegions ?? [c.connectRegion ?? 'us-east-1'];
  const instances = [
    ...(c.connectInstanceArn ? [{ path: ['connectInstanceArn'], arn: c.connectInstanceArn }] : []),
    ...c.connectInstances.map((x, i) => ({ path: ['connectInstances', i, 'instanceArn'], arn: x.instanceArn })),
  ];
  const seen = new Set<string>();
  for (const { path, arn } of instances) {
    const region = arnRegion(arn);
    if (!connectRegions.includes(region)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `is in ${region}, not one of the Connect regions (${connectRegions.join(', ')})`,
      });
    } else if (seen.has(region)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `a second Connect instance in ${region}: one per Connect region`,
      });
    }
    seen.add(region);
  }
  if (deployLimits) checkLimits(c, ctx);
};

const withConnectRegions = (c: z.output<typeof baseSchema>) => {
  const connectRegions = c.connectRegions ?? [c.connectRegion ?? 'us-east-1'];
  return { ...c, connectRegion: c.connectRegion ?? connectRegions[0]!, connectRegions };
};

export const configSchema = baseSchema.superRefine(rules(true)).transform(withConnectRegions);
/** The same config without the deploy-time limits: sizes one stack cannot take can still run locally, to measure. */
const undeployableSchema = baseSchema.superRefine(rules(false)).transform(withConnectRegions);

type Checked = z.output<typeof baseSchema>;

/** The deployability limits (infra/limits.ts), each reported on the key to change with the value and the limit. */
function checkLimits(c: Checked, ctx: z.RefinementCtx): void {
  const sizing = { ...c, connectRegions: c.connectRegions ?? [c.connectRegion ?? 'us-east-1'] };
  // zod runs refinements even when a basic check failed (an empty list here): those issues are reported already.
  if (sizing.connectRegions.length === 0 || c.regions.length === 0 || c.bots.length === 0) return;
  const probes = c.bots.length * c.regions.length;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

  const state = estimatePeakStateBytes(sizing);
  const stateBudget = Math.floor(STATE_PAYLOAD_LIMIT_BYTES * STATE_SIZE_SAFETY);
  if (state > stateBudget) {
    issue(
      ['bots'],
      `${c.bots.length} bots × ${c.regions.length} regions = ${probes} probes: the workflow's state would reach about ` +
        `${kib(state)} KiB; Step Functions allows ${kib(STATE_PAYLOAD_LIMIT_BYTES)} KiB per state (States.DataLimitExceeded), ` +
        `lexdr keeps ${Math.round(STATE_SIZE_SAFETY * 100)} % of it (${kib(stateBudget)} KiB): configure fewer bots or regions`,
    );
  }
  const datums = metricDatumsPerExecution(sizing);
  if (datums > PUT_METRIC_DATA_MAX_DATUMS) {
    issue(
      ['bots'],
      `${probes} bot regions make ${datums} metric datums per execution; CloudWatch's PutMetricData takes ` +
        `${PUT_METRIC_DATA_MAX_DATUMS}: configure fewer bots or regions`,
    );
  }
  const worst = worstExecutionSeconds(c);
  const timeout = Math.min(STATE_MACHINE_TIMEOUT_SECONDS, EXPRESS_MAX_DURATION_SECONDS);
  if (worst > timeout) {
    issue(
      ['bots'],
      `${probes} probes run ${INLINE_MAP_MAX_CONCURRENCY} at a time (inline Map concurrency): ${mapWaves(c)} waves of up to ` +
        `probe.timeoutMs ${c.probe.timeoutMs} ms per cycle, so an execution can take ${worst} s when a region hangs; ` +
        `the state machine stops at ${timeout} s: configure fewer bots or regions, or a shorter probe.timeoutMs`,
    );
  }
  const reserved = probeReservedConcurrency(c);
  const reservable = c.lambdaConcurrencyQuota - LAMBDA_UNRESERVED_MINIMUM;
  if (c.reserveProbeConcurrency && reserved > reservable) {
    issue(
      ['lambdaConcurrencyQuota'],
      `the probe function needs a reserved concurrency of ${reserved} (${Math.min(probes, INLINE_MAP_MAX_CONCURRENCY)} ` +
        `probes in flight × ${OVERLAPPING_EXECUTIONS} overlapping executions); with a quota of ${c.lambdaConcurrencyQuota}, Lambda lets you ` +
        `reserve at most ${reservable} (it keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved): raise the account's quota ` +
        `(Service Quotas ${LAMBDA_CONCURRENCY_QUOTA_CODE}) and this key, or set reserveProbeConcurrency: false ` +
        `(\`npx lexdr preflight\` reads the account's quota)`,
    );
  }
  const settings = estimateSettingsBytes(sizing);
  const request = settings * SETTINGS_REQUEST_FACTOR;
  if (settings > DYNAMODB_ITEM_LIMIT_BYTES || request > ASYNC_INVOKE_PAYLOAD_LIMIT_BYTES) {
    issue(
      ['bots'],
      `the settings document (${kib(settings)} KiB) must fit one DynamoDB item (${kib(DYNAMODB_ITEM_LIMIT_BYTES)} KiB) ` +
        `and the deploy-time request that writes it (about ${kib(request)} KiB) Lambda's asynchronous payload ` +
        `(${kib(ASYNC_INVOKE_PAYLOAD_LIMIT_BYTES)} KiB): configure fewer bots or regions`,
    );
  }
  const connect = Boolean(c.connectInstanceArn) || c.connectInstances.length > 0;
  const stacks: [string, number][] = [
    ['the health-check stack has an alarm', healthCheckStackResources(probes)],
    ...(connect
      ? [['the Connect stack has a bot association', connectStackResources(probes)] as [string, number]]
      : []),
  ];
  for (const [what, resources] of stacks) {
    if (resources > CLOUDFORMATION_STACK_RESOURCES) {
      issue(
        ['bots'],
        `${what} per bot and region (${probes}): about ${resources} resources, CloudFormation allows ` +
          `${CLOUDFORMATION_STACK_RESOURCES} per stack: configure fewer bots or regions`,
      );
    }
  }
  const template = estimateTemplateBytes(probes);
  if (template > TEMPLATE_BODY_LIMIT_BYTES) {
    issue(
      ['bots'],
      `${probes} bot regions make the health-check stack's template about ${kib(template)} KiB (dashboard, alarms, ` +
        `settings); CloudFormation takes ${kib(TEMPLATE_BODY_LIMIT_BYTES)} KiB: configure fewer bots or regions`,
    );
  }
}

const kib = (n: number) => (n / 1024).toFixed(n < 10 * 1024 ? 1 : 0);

export type LexdrConfig = z.infer<typeof configSchema>;
export type LexdrConfigInput = z.input<typeof configSchema>;

/** A config problem, with every key, the value received and what would be valid. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
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

/**
 * Reserved concurrency of the probe function (`reservedConcurrentExecutions`): the probes one execution has in flight
 * (every bot × region, at most the Map's 40) times the executions that can overlap; undefined (nothing reserved) with
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
