import { Stack, Token } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { LexdrConfig } from '../config';
import { ConfigError } from '../config';
import type { BotIdResolver } from '../settings';
import { LexDrConnect } from './lex-dr-connect';
import { LexDrFromConfig } from './lex-dr-from-config';
import type {
  LexDrBotOptions,
  LexDrCallerReportsOptions,
  LexDrConnectOptions,
  LexDrProbeOptions,
} from './lex-dr-props';
import { asCodeBot, botsInput, connectInput, parseProps, topicInput } from './lex-dr-props';

/** Properties of {@link LexDr}: the keys of lexdr's config (docs/configuration.md), with CDK objects where you have them. */
export interface LexDrProps {
  /** Bot regions in priority order, the primary first (2–10 regions where Lex V2 runs, each once). */
  readonly regions: string[];
  /** The bots kept in every region (1–100, unique names): a region is healthy when every bot answers there. */
  readonly bots: LexDrBotOptions[];
  /**
   * The Amazon Connect region this construct serves — its `lexDR` item, lookup, alarms and dashboard, probing from
   * here. It must be the stack's region; give it when the stack is environment-agnostic.
   * @default the stack's region
   */
  readonly connectRegion?: string;
  /**
   * The Amazon Connect instance of this region to wire lexdr into, in this construct's stack (see {@link LexDrConnect}
   * to keep the wiring in a stack of its own).
   * @default - no wiring: invoke `lookupFunction` from your own flows
   */
  readonly connect?: LexDrConnectOptions;
  /**
   * How each bot is probed in each region.
   * @default - a liveness probe (PutSession/GetSession/DeleteSession), an NLU probe every 60 minutes
   */
  readonly probe?: LexDrProbeOptions;
  /**
   * Seconds between health-check cycles (5–60, dividing 60).
   * @default 6
   */
  readonly cadenceSeconds?: number;
  /**
   * Consecutive failed probes of the active region before callers leave it (1–20).
   * @default 2
   */
  readonly failThreshold?: number;
  /**
   * Confirm a failure inside its cycle (probe again `confirmDelaySeconds` later), so callers move within seconds.
   * @default true
   */
  readonly confirmFailures?: boolean;
  /**
   * Seconds between a failed probe and its confirmation (1–10).
   * @default 1
   */
  readonly confirmDelaySeconds?: number;
  /**
   * Consecutive passed probes of a higher-priority region before callers return to it (1–360).
   * @default 30
   */
  readonly recoverThreshold?: number;
  /**
   * Callers' reports of bot failures (the contact flow reports each one): a burst starts a health check at once.
   * @default - on: one contact within 30 s starts a check (at most one per 15 s), confirmed by speech
   */
  readonly callerReports?: LexDrCallerReportsOptions;
  /**
   * Deploy the game days: AWS FIS experiment templates that prove lexdr's static stability in your account
   * (docs/game-days.md).
   * @default false
   */
  readonly gameDays?: boolean;
  /**
   * Seconds the lookup caches the `lexDR` item (0–60).
   * @default 1
   */
  readonly lookupCacheSeconds?: number;
  /**
   * Start the health check from its EventBridge Scheduler schedule.
   * @default true
   */
  readonly scheduleEnabled?: boolean;
  /**
   * Include each state's input and output in the workflow's logs (about three times the log volume).
   * @default false
   */
  readonly logExecutionData?: boolean;
  /**
   * Name of the DR table (`connectRegion` → `lexRegion`), unique in the account and region.
   * @default 'lexDR'
   */
  readonly tableName?: string;
  /**
   * Name of the table of region changes.
   * @default 'lexDR-history'
   */
  readonly historyTableName?: string;
  /**
   * DynamoDB deletion protection on both tables; leave it off for the first deploy (a rolled-back create must be
   * able to delete them), then turn it on. The tables are kept on stack deletion either way.
   * @default false
   */
  readonly tableDeletionProtection?: boolean;
  /**
   * Customer managed KMS key of both tables.
   * @default - the AWS managed key (`aws/dynamodb`)
   */
  readonly tableEncryptionKey?: kms.IKey;
  /**
   * CloudWatch namespace of the health-check metrics.
   * @default 'lexdr'
   */
  readonly metricNamespace?: string;
  /**
   * The topic the alarms notify. Its policy must let CloudWatch alarms publish (and its key, if encrypted).
   * @default - a new topic, encrypted with its own key, that CloudWatch alarms of this account may publish to
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * An e-mail address subscribed to the alarm topic.
   * @default - none
   */
  readonly alarmEmail?: string;
  /**
   * Reserve Lambda concurrency for the probe function, so a surge of calls cannot throttle the health check into
   * blindness. Turn off for an account whose quota leaves nothing to reserve.
   * @default true
   */
  readonly reserveProbeConcurrency?: boolean;
  /**
   * The account's Lambda concurrency quota in this region; the probe's reservation must leave 100 unreserved.
   * @default 1000
   */
  readonly lambdaConcurrencyQuota?: number;
}

/** Config keys reported under the names of LexDr's props. */
const KEY_NAMES = {
  connectInstanceArn: 'connect.instance',
  agentQueueArn: 'connect.queue',
  apologyText: 'connect.apologyText',
  alarmTopicArn: 'alarmTopic',
};

/** What `LexDr` hands its base: the config validated from its props, and how to resolve the IDs that are tokens. */
function fromProps(scope: Construct, id: string, props: LexDrProps) {
  const source = `LexDr props (${scope.node.path ? `${scope.node.path}/` : ''}${id})`;
  const stackRegion = Stack.of(scope).region;
  const region = props.connectRegion ?? (Token.isUnresolved(stackRegion) ? undefined : stackRegion);
  if (region === undefined)
    throw new ConfigError(
      `invalid ${source}:\n  connectRegion: got nothing; the stack is environment-agnostic: give it an env with its region, or give connectRegion`,
    );
  if (!Token.isUnresolved(stackRegion) && stackRegion !== region)
    throw new ConfigError(
      `invalid ${source}:\n  connectRegion: got "${region}"; must be the stack's region (${stackRegion}): lexdr probes and answers Connect from the Connect region`,
    );
  // The config's default bot regions suit lexdr's own sample, not a user's bots: LexDr asks for them.
  if (props.regions === undefined)
    throw new ConfigError(
      `invalid ${source}:\n  regions: got nothing; the bot regions in priority order, the primary first`,
    );
  const bots = botsInput(props.bots ?? []);
  const parsed = parseProps(
    {
      connectRegion: region,
      regions: props.regions,
      bots: bots.input,
      ...(props.connect ? connectInput(props.connect, region) : {}),
      ...(props.alarmTopic ? { alarmTopicArn: topicInput(props.alarmTopic, region) } : {}),
      probe: props.probe,
      cadenceSeconds: props.cadenceSeconds,
      failThreshold: props.failThreshold,
      confirmFailures: props.confirmFailures,
      confirmDelaySeconds: props.confirmDelaySeconds,
      recoverThreshold: props.recoverThreshold,
      callerReports: props.callerReports,
      gameDays: props.gameDays,
      lookupCacheSeconds: props.lookupCacheSeconds,
      scheduleEnabled: props.scheduleEnabled,
      logExecutionData: props.logExecutionData,
      tableName: props.tableName,
      historyTableName: props.historyTableName,
      tableDeletionProtection: props.tableDeletionProtection,
      metricNamespace: props.metricNamespace,
      alarmEmail: props.alarmEmail,
      reserveProbeConcurrency: props.reserveProbeConcurrency,
      lambdaConcurrencyQuota: props.lambdaConcurrencyQuota,
    },
    source,
    KEY_NAMES,
  );
  // The stand-ins leave the config: the objects are wired by the constructs, the token IDs resolved.
  const { connectInstanceArn: _i, agentQueueArn: _q, apologyText: _a, alarmTopicArn: _t, ...rest } = parsed;
  const config: LexdrConfig = {
    ...rest,
    bots: parsed.bots.map((b) => (bots.tokenIds.has(b.name) ? asCodeBot(b) : b)),
  };
  const resolveBotIds: BotIdResolver = (bot, r) => {
    const resolve = bots.tokenIds.get(bot.name);
    if (!resolve) throw new Error(`bot "${bot.name}" has no IDs to resolve`);
    return resolve(r);
  };
  return { config, connectRegion: region, resolveBotIds };
}

/**
 * lexdr in one Amazon Connect region — the stack's — for your own CDK app: the DR table (`lexDR`) and its history,
 * the health check (a Step Functions workflow started every minute, probing every bot in every bot region), the lookup
 * Amazon Connect invokes on each contact, the report function for callers' bot failures, alarms with their topic, a
 * dashboard, and, with `connect`, the Amazon Connect wiring. Its props are validated by the same schema, rules and
 * limits as lexdr's own `cdk.json` (a {@link ConfigError} names each prop, the value received and what is valid).
 *
 * One `LexDr` per Connect region, each in a stack of that region. The bots live in the bot regions: your existing
 * bots' IDs, or a {@link LexDrBot} in each bot region's stack.
 *
 * @example
 * new LexDr(this, 'LexDr', {
 *   regions: ['us-east-1', 'us-west-2'],
 *   bots: [{ name: 'OrderFlowers', ids: { 'us-east-1': east, 'us-west-2': west } }],
 *   connect: { instance, queue },
 * });
 */
export class LexDr extends LexDrFromConfig {
  /** The Amazon Connect wiring, when `connect` is given. */
  public readonly connect?: LexDrConnect;

  constructor(scope: Construct, id: string, props: LexDrProps) {
    const { config, connectRegion, resolveBotIds } = fromProps(scope, id, props);
    super(scope, id, {
      config,
      connectRegion,
      resolveBotIds,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      ...(props.tableEncryptionKey ? { tableEncryptionKey: props.tableEncryptionKey } : {}),
    });
    if (props.connect) {
      this.connect = new LexDrConnect(this, 'Connect', {
        lexdr: this,
        instance: props.connect.instance,
        ...(props.connect.queue !== undefined ? { queue: props.connect.queue } : {}),
        ...(props.connect.apologyText !== undefined ? { apologyText: props.connect.apologyText } : {}),
      });
    }
  }
}
