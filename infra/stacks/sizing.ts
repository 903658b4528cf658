/**
 * Memory and timeouts of lexdr's functions, shared by the stacks and the cost model (`infra/cost.ts`) so the
 * estimate prices what is deployed.
 */
import { LEX_V1_PACKAGE } from '../../core/lex-v1';

/** Health-check function (plan + decide): pure computation. */
export const HEALTH_CHECK_FUNCTION = { memoryMb: 128, timeoutSeconds: 5 } as const;

/** Probe function: one bot in one region, up to three Lex calls each bounded by `probe.timeoutMs`. */
export const PROBE_FUNCTION = { memoryMb: 128, timeoutSeconds: 8 } as const;

/**
 * Lookup function called by Amazon Connect on every contact. Connect waits at most 8 s (3 s by default) before
 * taking the Error branch; the lookup bounds each table read (READ_TIMEOUT_MS), so 3 s leaves a cold start room.
 */
export const LOOKUP_FUNCTION = { memoryMb: 512, timeoutSeconds: 3 } as const;

/**
 * Report function: a caller met a bot failure (invoked asynchronously by the contact flow, or by the Twilio bridge).
 * Its reads and writes are bounded (core/dr-table.ts `report`, handlers/report.ts); a report older than
 * `maxEventAgeSeconds` in Lambda's async queue is dropped (it could no longer start a timely check), and a failed
 * one is retried once (repeats of a contact count once).
 */
export const REPORT_FUNCTION = { memoryMb: 128, timeoutSeconds: 10, maxEventAgeSeconds: 60, retryAttempts: 1 } as const;

/** How a lexdr function is bundled (esbuild through NodejsFunction). */
export interface FunctionBundling {
  /** Left out of the bundle: the AWS SDK v3 and Smithy, which the Lambda runtime provides. */
  readonly externalModules: readonly string[];
  /** Installed beside the bundle (CDK's `nodeModules`, from the lock file) instead of bundled: loaded only if required. */
  readonly nodeModules?: readonly string[];
  /**
   * Packages bundled apart, each into one file with everything it imports (its own AWS SDK core and Smithy
   * included), written to `node_modules/<name>/index.js` beside the function's bundle, which leaves them external:
   * the function's `require` finds that copy, ahead of any the runtime has, and only when the code needing it runs.
   */
  readonly selfContainedModules?: readonly string[];
  readonly minify: boolean;
  readonly target: string;
}

/**
 * How every lexdr function is bundled: the AWS SDK v3 and Smithy stay external (the Lambda runtime provides them),
 * the rest minified for Node 22. The benchmark bundles the lookup with these.
 */
export const FUNCTION_BUNDLING: FunctionBundling = {
  externalModules: ['@aws-sdk/*', '@smithy/*'],
  minify: true,
  target: 'node22',
};

/**
 * The lookup's bundling: its Powertools logger is installed beside the bundle, not in it. The lookup logs only when
 * something is wrong, so a healthy cold start never parses the logger's code (as large as the rest of the bundle);
 * its first log entry loads it. The benchmark measures the lookup's cold start (bench/REPORT.md).
 */
export const LOOKUP_BUNDLING: FunctionBundling = {
  ...FUNCTION_BUNDLING,
  nodeModules: ['@aws-lambda-powertools/logger'],
};

/**
 * The probe's bundling: the Lex V1 runtime client travels with it. Lex V1 ended support in September 2025, and the
 * Lambda runtime promises "a version of the AWS SDK for JavaScript", not a given client nor a given version of the
 * SDK core a client needs; the probe requires the client only for a `v1-*` probe method (core/lex-v1.ts), so
 * the copy costs a V2 probe nothing but its share of the asset.
 */
export const PROBE_BUNDLING: FunctionBundling = {
  ...FUNCTION_BUNDLING,
  selfContainedModules: [LEX_V1_PACKAGE],
};
