/**
 * The shape of lexdr's config (the `lexdr` context of `cdk.json`): every key, its type, its range and its default,
 * each field on its own. The rules that tie fields together are in `./rules.ts`; what one stack can deploy in
 * `./limits-check.ts`; the reader that puts them together is `infra/config.ts`.
 */
import { z } from 'zod';
import { LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY, LEX_V2_REGIONS } from '../../core/aws-limits';
import { DEFAULT_REPORT_RULE } from '../../core/caller-reports';
import { PROBE_METHODS } from '../../core/settings';

/**
 * A region where Lex V2 runs ({@link LEX_V2_REGIONS}). Amazon Connect runs only in regions that have Lex V2, so the
 * same list checks the Connect regions.
 */
export const regionSchema = z.string().refine((r) => (LEX_V2_REGIONS as readonly string[]).includes(r), {
  message: `a region where Lex V2 runs: ${LEX_V2_REGIONS.join(', ')} (core/aws-limits.ts, from the Lex endpoints page)`,
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

export const baseSchema = z
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
        /**
         * Every this many minutes a cycle probes by speech (RecognizeUtterance of the shipped recording): the only
         * probe that sees a region whose speech recognition fails while its text API answers, when no caller reports
         * it. A speech request each (`npm run cost`); 0 = never.
         */
        speechEveryMinutes: z.number().int().min(0).max(1440).default(0),
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
        speechEveryMinutes: 0,
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
    /**
     * Callers' reports of bot failures (core/caller-reports.ts): the contact flow and the Twilio bridge report every
     * caller who met a failed bot; `contacts` distinct contacts reporting the active region within `windowSeconds`
     * start a health check of it at once (at most one per `minIntervalSeconds`). Only a failed probe moves callers:
     * reports alone never do. `confirmWith: 'speech'` probes the reported region by speech (RecognizeUtterance of the
     * shipped recording, a speech request each); `'probe'` with the configured method. `enabled: false` keeps the
     * reports and their metric, and starts nothing.
     */
    callerReports: z
      .object({
        enabled: z.boolean().default(DEFAULT_REPORT_RULE.enabled),
        contacts: z.number().int().min(1).max(100).default(DEFAULT_REPORT_RULE.contacts),
        windowSeconds: z.number().int().min(5).max(600).default(DEFAULT_REPORT_RULE.windowSeconds),
        minIntervalSeconds: z.number().int().min(5).max(3600).default(DEFAULT_REPORT_RULE.minIntervalSeconds),
        confirmWith: z.enum(['speech', 'probe']).default(DEFAULT_REPORT_RULE.confirmWith),
      })
      .strict()
      .default(DEFAULT_REPORT_RULE),
    /**
     * Deploy the game days: AWS FIS experiment templates (the probe function failing or slow, the lookup slow), the
     * role FIS runs them with, their configuration bucket, and the FIS Lambda extension on the probe and lookup
     * functions (docs/game-days.md). `lexdr gameday run --aws` starts them.
     */
    gameDays: z.boolean().default(false),
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

/** The config as the schema alone checks it, before the cross-field rules and the defaults of the Connect regions. */
export type BaseConfig = z.output<typeof baseSchema>;
