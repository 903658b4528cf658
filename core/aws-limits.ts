/**
 * The limits AWS enforces that lexdr's code reasons about, each defined once, with the AWS page it comes from. The
 * config reader checks a configuration against them (infra/config/limits-check.ts, with lexdr's own estimates in
 * infra/limits.ts), the cycle plan fits an execution's cycles inside the workflow's timeout, the metrics split their
 * values per datum, and the local runner (local/workflow-runner.ts) enforces them so a run here fails where a run on
 * AWS would. The one number here that is lexdr's own is the workflow's timeout, kept here because it is checked
 * against Express's cap and the ASL file holds it too (a test checks the two agree).
 *
 * This module imports nothing: everything in lexdr may import it.
 */

// ---- Step Functions (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html) ----

/**
 * Step Functions: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8
 * encoded string" (Step Functions service quotas). Exceeding it fails the execution with `States.DataLimitExceeded`,
 * which no `States.ALL` catches.
 */
export const STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** Express workflows: "Maximum execution duration: 5 minutes" (Step Functions service quotas). */
export const EXPRESS_MAX_DURATION_SECONDS = 300;

/**
 * lexdr's own limit: the health-check state machine's `TimeoutSeconds` (statemachine/health-check.asl.json holds it
 * too; a test checks the two agree). It must stay under {@link EXPRESS_MAX_DURATION_SECONDS}; an execution that runs
 * longer is cut off before it publishes its metrics.
 */
export const WORKFLOW_TIMEOUT_SECONDS = 240;

/**
 * Step Functions Map state, inline mode: "up to 40 concurrent iterations" (Map state, inline mode,
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html). lexdr's ASL sets `MaxConcurrency` 40.
 */
export const INLINE_MAP_MAX_CONCURRENCY = 40;

// ---- Lambda (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html) ----

/**
 * Lambda: "Invocation payload (request and response): 6 MB each for synchronous invocations" (Lambda quotas) — in
 * bytes, the figure Lambda's own error messages give (6,291,556). Step Functions' Lambda task invokes synchronously.
 */
export const LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES = 6_291_556;

/**
 * Lambda: "Invocation payload (request and response): … 256 KB for asynchronous invocations" (Lambda quotas).
 * CloudFormation invokes a custom resource's function asynchronously. AWS's Invoke API reference now gives 1 MB for
 * asynchronous invocations (https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html); lexdr keeps the older,
 * smaller figure, which only makes its check stricter.
 */
export const ASYNC_INVOKE_PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** Lambda: "Environment variables: 4 KB" in total, keys and values (Lambda quotas). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * Lambda: "Concurrent executions: 1,000" per account and region by default, a soft quota; "Lambda reserves 100 units
 * of concurrency for functions that don't reserve any" (Lambda quotas and "Configuring reserved concurrency",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). New accounts can start lower.
 */
export const LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY = 1000;
export const LAMBDA_UNRESERVED_MINIMUM = 100;
/** Service Quotas code of Lambda's "Concurrent executions" (`aws service-quotas get-service-quota --service-code lambda`). */
export const LAMBDA_CONCURRENCY_QUOTA_CODE = 'L-B99A9384';

// ---- DynamoDB, CloudWatch, IAM, CloudFormation ----

/**
 * DynamoDB: "The maximum item size in DynamoDB is 400 KB" (DynamoDB quotas,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
 */
export const DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024;

/**
 * CloudWatch PutMetricData: "up to 1000 different metrics" per request (CloudWatch API reference, PutMetricData,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
 */
export const PUT_METRIC_DATA_MAX_DATUMS = 1000;
/** CloudWatch PutMetricData: up to 150 values (and as many counts) in one MetricDatum (as above). */
export const VALUES_PER_DATUM = 150;

/**
 * IAM: "Role policy size: 10,240 characters" for all inline policies of a role together (IAM quotas,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
export const IAM_ROLE_POLICY_LIMIT_CHARS = 10_240;

/**
 * CloudFormation: "Resources: 500" per stack (CloudFormation quotas,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 */
export const CLOUDFORMATION_STACK_RESOURCES = 500;
/**
 * CloudFormation: "Template body size in an Amazon S3 object: 1 MB" (CloudFormation quotas, as above); the CDK warns
 * from 1,000,000 bytes.
 */
export const TEMPLATE_BODY_LIMIT_BYTES = 1_000_000;

// ---- Lex ----

/**
 * Regions where the Amazon Lex V2 runtime (`runtime-v2-lex.<region>.amazonaws.com`) is available, from "Amazon Lex
 * endpoints and quotas" → V2 service endpoints → Runtime endpoints
 * (https://docs.aws.amazon.com/general/latest/gr/lex.html, read 2026-12). Amazon Connect runs only in regions that
 * have Lex V2. To add a region Lex V2 reaches later, append it here.
 */
export const LEX_V2_REGIONS = [
  'us-east-1',
  'us-west-2',
  'af-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'us-gov-west-1',
] as const;
