/**
 * What the cost model (`infra/cost.ts`, `infra/cost-reports.ts`) prices lexdr with: public list prices, the always-free
 * tiers, and the durations it assumes for each call.
 */

// ---------- prices (USD, us-east-1, public list prices as of 2026-11) ----------
// Sources: "AWS Step Functions Pricing", "AWS Lambda Pricing", "Amazon Lex Pricing", "Amazon DynamoDB Pricing
// (on-demand capacity)", "Amazon CloudWatch Pricing", "AWS X-Ray Pricing", "Amazon EventBridge Pricing
// (Scheduler)", "AWS Key Management Service Pricing" pages on aws.amazon.com. Check them before quoting.

/** Step Functions Express: per request (execution start). */
export const SFN_EXPRESS_PER_REQUEST = 1.0 / 1_000_000;
/** Step Functions Express: per GB-second, billed in 64 MB memory blocks and 100 ms steps. */
export const SFN_EXPRESS_PER_GB_SECOND = 0.00001667;
/** Step Functions Express memory block. */
export const SFN_EXPRESS_BLOCK_MB = 64;
/** Lambda: per request. */
export const LAMBDA_PER_REQUEST = 0.2 / 1_000_000;
/** Lambda arm64: per GB-second. */
export const LAMBDA_ARM_PER_GB_SECOND = 0.0000133334;
/** Lambda x86_64: per GB-second (the 2020 design's function). */
export const LAMBDA_X86_PER_GB_SECOND = 0.0000166667;
/** Lex: per text request (RecognizeText, V1 PostText). PutSession/GetSession/DeleteSession carry no request charge. */
export const LEX_TEXT_REQUEST = 0.00075;
/** Lex: per speech request (RecognizeUtterance, up to 15 s of audio). Check the Amazon Lex pricing page. */
export const LEX_SPEECH_REQUEST = 0.004;
/** Lex: per streaming text request (StartConversation in TEXT mode; speech is billed per 15 s instead). */
export const LEX_STREAMING_TEXT_REQUEST = 0.002;
/** DynamoDB on-demand: per read request unit. */
export const DDB_PER_RRU = 0.125 / 1_000_000;
/** DynamoDB on-demand: per write request unit. */
export const DDB_PER_WRU = 0.625 / 1_000_000;
/** CloudWatch: PutMetricData and other API requests, per request. */
export const CW_PER_API_REQUEST = 0.01 / 1_000;
/** CloudWatch: per custom metric (first 10,000) per month. */
export const CW_PER_METRIC = 0.3;
/** CloudWatch: per standard-resolution alarm metric per month. */
export const CW_PER_ALARM = 0.1;
/** CloudWatch: per dashboard per month. */
export const CW_PER_DASHBOARD = 3.0;
/** CloudWatch Logs: per GB ingested (standard class). */
export const CW_LOGS_PER_GB = 0.5;
/** X-Ray: per trace recorded. */
export const XRAY_PER_TRACE = 5.0 / 1_000_000;
/** EventBridge Scheduler: per invocation. */
export const SCHEDULER_PER_INVOCATION = 1.0 / 1_000_000;
/** KMS: per customer managed key per month (the alarm topic's key). */
export const KMS_PER_KEY = 1.0;

// ---------- always-free tiers (monthly, do not expire) ----------
export const FREE = {
  cloudWatchMetrics: 10,
  cloudWatchAlarms: 10,
  cloudWatchDashboards: 3,
  cloudWatchApiRequests: 1_000_000,
  cloudWatchLogsGb: 5,
  lambdaRequests: 1_000_000,
  lambdaGbSeconds: 400_000,
  xrayTraces: 100_000,
  schedulerInvocations: 14_000_000,
} as const;

// ---------- measured-ish durations (ms) ----------
/** Health-check function, plan, decide or metrics (pure computation, warm). */
export const HEALTH_CHECK_MS = 25;
/** Liveness probe: PutSession + GetSession + DeleteSession on a warm connection. */
export const LIVENESS_PROBE_MS = 180;
/** NLU probe: RecognizeText + DeleteSession. */
export const NLU_PROBE_MS = 450;
/** Stream probe: an HTTP/2 connection, StartConversation (configuration, text, intent result) + DeleteSession. */
export const STREAM_PROBE_MS = 700;
/** Speech probe duration (RecognizeUtterance of a few seconds of audio + DeleteSession). */
export const SPEECH_PROBE_MS = 900;
/** Seconds an execution runs beyond its last Wait (probing, deciding, publishing). */
export const EXECUTION_TAIL_SECONDS = 3;
/** CloudWatch Logs events per health-check cycle with level ALL. */
export const LOG_EVENTS_PER_CYCLE = 35;
/** Bytes per log event without state input/output (ARNs, type, timestamps). */
export const LOG_BYTES_PER_EVENT = 350;
/** Bytes per log event with state input/output (`logExecutionData`). */
export const LOG_BYTES_PER_EVENT_WITH_DATA = 1_200;
/** Lookup function duration (warm, cached item). */
export const LOOKUP_MS = 15;
/** The 2020 design: PostText to the primary from a 128 MB x86 function. */
export const ORIGINAL_RUN_MS = 600;
/** The write of a region change (DynamoDB, seconds). */
export const WRITE_SECONDS = 0.1;
