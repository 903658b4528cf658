/**
 * The bridge's configuration: environment variables, with the Twilio auth token from Secrets Manager and
 * (optionally) the human fallback number from SSM Parameter Store, validated once at start-up. The settings
 * (regions, bots and their IDs per region) are not here: the bridge reads them from the settings item of the DR
 * table, as every function does (bridge-settings.ts).
 */
import { z } from 'zod';
import { FUNCTION_ENV } from '../core/contract';
import { describeIssues, SettingsError } from '../core/errors';

const intFrom = (min: number, max: number, dflt: number) =>
  z.coerce
    .number({ error: `must be a whole number ${min}–${max}` })
    .int({ error: `must be a whole number ${min}–${max}` })
    .min(min, { error: `must be ${min}–${max}` })
    .max(max, { error: `must be ${min}–${max}` })
    .default(dflt);

/** The environment as the container gets it (all strings). */
export const bridgeEnvSchema = z
  .object({
    PORT: intFrom(1, 65535, 8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    /** The address Twilio calls (scheme + host, no path): signatures are computed over it, not over the Host header. */
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://voice.example.com' }),
    TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, { error: 'must be AC followed by 32 hex digits' }),
    /** The auth token injected by ECS from Secrets Manager (task definition `secrets`): the way on Fargate. */
    TWILIO_AUTH_TOKEN_SECRET: z.string().min(1).optional(),
    /** Secrets Manager secret (ARN) read at start-up instead (other hosts). */
    TWILIO_AUTH_TOKEN_SECRET_ARN: z.string().startsWith('arn:', { error: 'must be a Secrets Manager ARN' }).optional(),
    /** The auth token in plain text: ONLY for local runs (`LEXDR_LOCAL=1`). */
    TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
    LEXDR_LOCAL: z.enum(['0', '1']).default('0'),
    /** The DR table: its Connect region's `lexDR` item and settings item. */
    [FUNCTION_ENV.table]: z.string().min(3, { error: 'must be the DR table name the stack sets' }),
    /** The Connect region whose `lexDR` item and settings item the bridge reads. */
    [FUNCTION_ENV.connectRegion]: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'must be an AWS region such as us-east-1' }),
    /** Which configured bot answers calls. @default the first of the settings */
    LEXDR_BOT: z.string().min(1).optional(),
    /** lexdr's report function: a caller's failed Lex turn is reported to it (asynchronously). @default none */
    LEXDR_REPORT_FUNCTION: z
      .string()
      .regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+$/, {
        error: 'must be a Lambda function ARN',
      })
      .optional(),
    /** E.164 number calls are sent to when no Lex region is healthy. */
    HUMAN_NUMBER: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, { error: 'must be an E.164 number such as +15555550100' })
      .optional(),
    /** SSM parameter holding HUMAN_NUMBER instead. */
    HUMAN_NUMBER_PARAMETER: z.string().min(1).optional(),
    APOLOGY_TEXT: z
      .string()
      .min(1)
      .default('Sorry, our automated assistant is unavailable. Connecting you to an agent.'),
    GREETING_TEXT: z.string().default(''),
    /** `stream`: one StartConversation per call (callers hear fulfillment progress); `utterance`: RecognizeUtterance per turn. */
    LEX_API: z.enum(['stream', 'utterance']).default('stream'),
    LEX_TIMEOUT_MS: intFrom(200, 10000, 3000),
    /** A region whose call failed is avoided for this long (per task) unless no other is left. */
    REGION_COOLDOWN_MS: intFrom(0, 600000, 30000),
    VAD_MODE: intFrom(0, 3, 2),
    VAD_FRAME_MS: z.enum(['10', '20', '30']).default('20'),
    MIN_SPEECH_MS: intFrom(40, 2000, 200),
    END_SILENCE_MS: intFrom(200, 5000, 700),
    MAX_UTTERANCE_MS: intFrom(1000, 60000, 15000),
    DRAIN_DEADLINE_MS: intFrom(0, 3600000, 120000),
    /** How long after the webhook answer a stream may start with its token (longer than the greeting). */
    STREAM_TOKEN_TTL_MS: intFrom(5000, 600000, 60000),
    /** Local runs: Lex endpoints by region (JSON) and the DynamoDB endpoint. */
    LEXDR_LEX_ENDPOINTS: z.string().optional(),
    DYNAMODB_ENDPOINT: z.url().optional(),
    /** Print CloudWatch EMF metric lines. @default '1' */
    EMF: z.enum(['0', '1']).default('1'),
  })
  // These rules run even when a variable is bad or missing, so one start-up error names every problem.
  .superRefine(
    (e, ctx) => {
      if (!e.TWILIO_AUTH_TOKEN_SECRET && !e.TWILIO_AUTH_TOKEN_SECRET_ARN && !e.TWILIO_AUTH_TOKEN)
        ctx.addIssue({
          code: 'custom',
          path: ['TWILIO_AUTH_TOKEN_SECRET_ARN'],
          message:
            'set TWILIO_AUTH_TOKEN_SECRET (an ECS secret) or TWILIO_AUTH_TOKEN_SECRET_ARN (or TWILIO_AUTH_TOKEN for a local run)',
        });
      if (e.TWILIO_AUTH_TOKEN && e.LEXDR_LOCAL !== '1')
        ctx.addIssue({
          code: 'custom',
          path: ['TWILIO_AUTH_TOKEN'],
          message:
            'a plain-text auth token is only allowed for local runs (LEXDR_LOCAL=1); use TWILIO_AUTH_TOKEN_SECRET_ARN',
        });
      if (!e.HUMAN_NUMBER && !e.HUMAN_NUMBER_PARAMETER)
        ctx.addIssue({
          code: 'custom',
          path: ['HUMAN_NUMBER'],
          message: 'set HUMAN_NUMBER or HUMAN_NUMBER_PARAMETER (where calls go when no Lex region is healthy)',
        });
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );
export type BridgeEnv = z.infer<typeof bridgeEnvSchema>;

/** Variables whose values are secrets: an error message names them, never their value. */
export const SECRET_ENV_KEYS = ['TWILIO_AUTH_TOKEN', 'TWILIO_AUTH_TOKEN_SECRET'] as const;

/** The environment as error messages may show it: each secret value replaced by a placeholder. */
export function redactedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const k of SECRET_ENV_KEYS) {
    const v = env[k];
    if (v !== undefined) out[k] = '(secret, not shown)';
  }
  return out;
}

/** An error message with any secret value of the environment cut out (a second guard behind the redaction). */
export function withoutSecrets(message: string, env: NodeJS.ProcessEnv): string {
  let out = message;
  for (const k of SECRET_ENV_KEYS) {
    const v = env[k];
    if (v && v.length >= 4) out = out.split(v).join(`(${k})`);
  }
  return out;
}

export interface BridgeConfig {
  port: number;
  host: string;
  publicBaseUrl: string;
  accountSid: string;
  authToken: string;
  local: boolean;
  /** The DR table: the `lexDR` item and the settings item of `connectRegion`. */
  tableName: string;
  /** The Connect region whose items the bridge reads (and the DR table's region). */
  connectRegion: string;
  /** Which configured bot answers calls. @default the first bot of the settings read at start */
  botName?: string;
  /** lexdr's report function (callers' failed turns). */
  reportFunctionArn?: string;
  humanNumber: string;
  apologyText: string;
  greetingText: string;
  lexTimeoutMs: number;
  regionCooldownMs: number;
  /**
   * The Lex API of a call: `stream` (StartConversation) or `utterance` (RecognizeUtterance per turn). The env reader
   * defaults it to `stream`. @default utterance (a config built in code)
   */
  lexApi?: 'stream' | 'utterance';
  vad: {
    mode: 0 | 1 | 2 | 3;
    frameMs: 10 | 20 | 30;
    minSpeechMs: number;
    endSilenceMs: number;
    maxUtteranceMs: number;
  };
  drainDeadlineMs: number;
  streamTokenTtlMs: number;
  lexEndpoints: Record<string, string>;
  dynamodbEndpoint?: string;
  emf: boolean;
}

/** Where secrets and parameters come from (the AWS SDK in production; fakes in tests). */
export interface SecretSources {
  secret(arn: string): Promise<string>;
  parameter(name: string): Promise<string>;
}

/** Validates the environment and resolves the secret and parameter; throws SettingsError naming each bad key. */
export async function loadBridgeConfig(env: NodeJS.ProcessEnv, sources: SecretSources): Promise<BridgeConfig> {
  const r = bridgeEnvSchema.safeParse(env);
  if (!r.success)
    throw new SettingsError(`invalid bridge configuration: ${describeIssues(r.error.issues, redactedEnv(env))}`);
  const e = r.data;
  let lexEndpoints: Record<string, string> = {};
  if (e.LEXDR_LEX_ENDPOINTS) {
    const le = z.record(z.string(), z.url()).safeParse(safeJson(e.LEXDR_LEX_ENDPOINTS));
    if (!le.success) throw new SettingsError('LEXDR_LEX_ENDPOINTS must be JSON mapping regions to URLs');
    lexEndpoints = le.data;
  }
  const authToken = (
    e.TWILIO_AUTH_TOKEN_SECRET ??
    e.TWILIO_AUTH_TOKEN ??
    (await sources.secret(e.TWILIO_AUTH_TOKEN_SECRET_ARN!))
  ).trim();
  if (!authToken) throw new SettingsError('the Twilio auth token secret is empty');
  const humanNumber = e.HUMAN_NUMBER ?? (await sources.parameter(e.HUMAN_NUMBER_PARAMETER!)).trim();
  if (!/^\+[1-9]\d{6,14}$/.test(humanNumber))
    throw new SettingsError(`HUMAN_NUMBER_PARAMETER: got "${humanNumber}"; must hold an E.164 number`);
  return {
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    accountSid: e.TWILIO_ACCOUNT_SID,
    authToken,
    local: e.LEXDR_LOCAL === '1',
    tableName: e[FUNCTION_ENV.table],
    connectRegion: e[FUNCTION_ENV.connectRegion],
    ...(e.LEXDR_BOT !== undefined && { botName: e.LEXDR_BOT }),
    ...(e.LEXDR_REPORT_FUNCTION !== undefined && { reportFunctionArn: e.LEXDR_REPORT_FUNCTION }),
    humanNumber,
    apologyText: e.APOLOGY_TEXT,
    greetingText: e.GREETING_TEXT,
    lexTimeoutMs: e.LEX_TIMEOUT_MS,
    regionCooldownMs: e.REGION_COOLDOWN_MS,
    lexApi: e.LEX_API,
    vad: {
      mode: e.VAD_MODE as 0 | 1 | 2 | 3,
      frameMs: Number(e.VAD_FRAME_MS) as 10 | 20 | 30,
      minSpeechMs: e.MIN_SPEECH_MS,
      endSilenceMs: e.END_SILENCE_MS,
      maxUtteranceMs: e.MAX_UTTERANCE_MS,
    },
    drainDeadlineMs: e.DRAIN_DEADLINE_MS,
    streamTokenTtlMs: e.STREAM_TOKEN_TTL_MS,
    lexEndpoints,
    ...(e.DYNAMODB_ENDPOINT && { dynamodbEndpoint: e.DYNAMODB_ENDPOINT }),
    emf: e.EMF === '1',
  };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
