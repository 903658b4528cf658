/** How a local system is started (local/system.ts): its config, addresses, token, clock and test knobs. */
import type { BotDefinition } from '../bot';
import type { LexdrConfig, LexdrConfigInput } from '../infra/config';
import type { LocalCloudWatchOptions } from './cloudwatch';
import type { LocalLexRegionOptions } from './lex';

export interface LocalSystemOptions {
  /** Settings as in cdk.json's `lexdr` context (validated); default: the project's cdk.json. */
  config?: LexdrConfig | LexdrConfigInput;
  /** false: run a config beyond what one stack deploys (the scale measurements); AWS's runtime limits still hold. */
  deployLimits?: boolean;
  /**
   * Address of the control plane's servers (DynamoDB, Step Functions; the control server is started by the
   * caller). A non-loopback host needs `token`; the Lex regions and CloudWatch, which cannot check it, stay on
   * 127.0.0.1 then. @default 127.0.0.1
   */
  host?: string;
  ports?: { dynamodb?: number; cloudwatch?: number; stepfunctions?: number; lex?: Record<string, number> };
  /**
   * The per-start token: every request to DynamoDB and Step Functions (and every mutating request to the
   * control server) must carry it, as `x-lexdr-token` or as the SigV4 access key ID. @default none (tests)
   */
  token?: string;
  /** Directory where DynamoDB keeps its tables across restarts. @default in memory (tests) */
  dataDir?: string;
  /**
   * At-least-once delivery, as Express executions have it: a share of the executions is delivered twice —
   * the same ARN, input and start — the second starting while the first runs. @default every execution once
   */
  atLeastOnce?: { rate: number; random?: () => number };
  /** Wait states / retries take this many ms instead of their real duration (tests). */
  waitMs?: number;
  retryMs?: number;
  /** The health-check's clock (tests on simulated time). */
  now?: () => Date;
  /**
   * Simulated time for fast runs (with `waitMs: 0`): it starts at the wall clock, each execution starts at it and
   * moves it on by the cycles it ran (a report-started check, which runs beside them, does not), and each decision happens at its round's planned time — so cadence slots,
   * leases and pins behave as they would in real time, without waiting. @default false (the wall clock)
   */
  simulatedClock?: boolean;
  /**
   * How long a `timeout` fault of a function takes (every invoke is bounded by the function's timeout on AWS,
   * infra/stacks/sizing.ts, as Lambda bounds it). @default that timeout
   */
  functionTimeoutMs?: number;
  /**
   * Lex region options passed to every local region. By default the bots' fulfillment runs the real
   * fulfillment Lambda core in-process with a 1.5 s order back end.
   */
  lexOptions?: Pick<LocalLexRegionOptions, 'fulfill' | 'random' | 'timer'>;
  /** Bot definitions by bot name; default: OrderFlowers under each configured bot's name. */
  definitions?: Record<string, BotDefinition>;
  /** Where the local CloudWatch's alarm actions publish (an SNS endpoint). @default none: SNS actions fail */
  cloudwatch?: Pick<LocalCloudWatchOptions, 'alarmActions' | 'account'>;
  /**
   * The report function's asynchronous invocations: the wait before Lambda's retry of a failed attempt, and how many
   * events run at once. @default 1000 ms, 4
   */
  reports?: { retryDelayMs?: number; concurrency?: number };
}
