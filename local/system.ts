/**
 * The whole of lexdr on one machine: a local Lex runtime per region, a local DynamoDB, a local CloudWatch,
 * the real handlers in-process and the real ASL run by aws-local-stepfunctions. Used by `npm start`, the
 * integration tests, the flow simulator and the benchmarks.
 */
import './polyfills';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { orderFlowers } from '../bot';
import type { BotDefinition } from '../bot';
import { parseConfig, readConfigFile } from '../infra/config';
import type { LexdrConfig, LexdrConfigInput } from '../infra/config';
import { buildSettings, configuredIds } from '../infra/settings';
import { createSlowBackend, fulfillOrder } from '../bot/fulfillment-core';
import { READ_TIMEOUT_MS, createLookupHandler } from '../core/lookup-handler';
import { createHealthCheckHandler } from '../core/health-check-handler';
import type { CycleState, DrItem, RegionChange } from '../core/health-core';
import { readItem } from '../core/health-core';
import type { LookupAnswer } from '../core/lookup-core';
import type { LookupSettings } from '../core/lookup-settings';
import { parseLookupSettings } from '../core/lookup-settings';
import type { ProbeResult } from '../core/probe-core';
import { logger } from '../core/powertools';
import { createProbeHandler } from '../core/probe-handler';
import type { Settings, SettingsParser } from '../core/settings';
import { createSettingsLoader, parseSettings, settingsItem } from '../core/settings';
import { startLocalCloudWatch } from './cloudwatch';
import type { LocalCloudWatch, LocalCloudWatchOptions } from './cloudwatch';
import { roleClient, startLocalDynamo } from './dynamodb';
import { faultyLambda } from './lambda-faults';
import type { FaultyLambda, FunctionTarget } from './lambda-faults';
import { HEALTH_CHECK_FUNCTION, PROBE_FUNCTION } from '../infra/stacks/sizing';
import { LOCAL_CREDENTIALS, isLoopbackHost } from './http';
import type { GuardPolicy } from './http';
import { startLocalStepFunctions } from './stepfunctions';
import type { LocalStepFunctions } from './stepfunctions';
import type { LocalDynamo } from './dynamodb';
import { localBotIds, startLocalLexRegion } from './lex';
import type { LocalBot, LocalLexRegion, LocalLexRegionOptions } from './lex';
import { WorkflowRunner, realSleep } from './workflow-runner';
import type { ExecutionRecord, RunOptions } from './workflow-runner';
import { aslSubstitutions } from '../infra/asl-substitutions';
import { confirmDelaySeconds } from '../core/cycle-plan';

export const LOCAL_ACCOUNT = '000000000000';
/** The substitutions of the local workflow: the local functions' ARNs and the configured names. */
export function localAslSubstitutions(
  c: Pick<LexdrConfig, 'tableName' | 'historyTableName' | 'metricNamespace'>,
): Record<string, string> {
  return aslSubstitutions({
    healthCheckFunctionArn: FN.healthCheck,
    probeFunctionArn: FN.probe,
    tableName: c.tableName,
    historyTableName: c.historyTableName,
    metricNamespace: c.metricNamespace,
  });
}

export const FN = {
  probe: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:lexdr-probe`,
  healthCheck: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:lexdr-health-check`,
};

/** What `npm start` writes to .lexdr/local.json: everything a client needs to reach the local system. */
export interface LocalEndpoints {
  dynamodb: string;
  cloudwatch: string;
  lookup: string;
  table: string;
  historyTable: string;
  metricNamespace: string;
  connectRegion: string;
  regions: string[];
  /** The local Step Functions endpoint (AWS JSON 1.0; SDK clients disable host prefixes). */
  stepfunctions: string;
  stateMachineArn: string;
  /** The per-start token (npm start): the CLI and the dashboard send it; SDK clients use it as access key. */
  token?: string;
  /** The process that serves these endpoints (npm start): the CLI checks it still runs. */
  pid?: number;
  lex: Record<string, string>;
  bots: {
    name: string;
    regions: Record<
      string,
      { botId: string; botAliasId: string; botAliasArn: string; localeId: string; botName: string; botAlias: string }
    >;
  }[];
  dashboard?: string;
  twilio?: string;
  control?: string;
}

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
   * moves it on by the cycles it ran, and each decision happens at its round's planned time — so cadence slots,
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
}

export interface LocalSystem {
  config: LexdrConfig;
  settings: Settings;
  lex: Record<string, LocalLexRegion>;
  dynamo: LocalDynamo;
  cloudwatch: LocalCloudWatch;
  runner: WorkflowRunner;
  /** lexdr's own functions, with fault injection (`lexdr fault probe-function throttled`). */
  functions: Record<FunctionTarget, FaultyLambda<unknown, unknown>>;
  /** The real lookup Lambda handler against the local DynamoDB. */
  lookup: (event: unknown) => Promise<LookupAnswer>;
  /** Runs one health-check execution (what the 1-minute schedule starts). */
  runExecution(input?: unknown, o?: RunOptions): Promise<ExecutionRecord>;
  /** Moves the simulated clock on (a system started with `simulatedClock`). */
  advance(ms: number): void;
  /** Now, on the system's clock. */
  clock(): Date;
  /** The local Step Functions endpoint. */
  stepfunctions: LocalStepFunctions;
  /** The Host/Origin/token policy of the control plane (the control server applies it too). */
  guard: GuardPolicy;
  /** Executions delivered a second time (at-least-once). */
  redeliveries(): number;
  /** Credentials for SDK clients of the local servers (the token as access key ID when one is in force). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Recent executions, newest last. */
  executions: ExecutionRecord[];
  /** The latest probe result per bot and region. */
  lastProbes(): ProbeResult[];
  readItem(): Promise<DrItem | null>;
  history(): Promise<RegionChange[]>;
  endpoints(extra?: Partial<LocalEndpoints>): LocalEndpoints;
  /** Listeners told after every cycle's decision and every execution's end. */
  onEvent(listener: (e: SystemEvent) => void): () => void;
  close(): Promise<void>;
}

export type SystemEvent =
  | {
      type: 'cycle';
      /** The state after the decision: its `decision`, and the next round (`cycle`). */
      state: CycleState;
      probes: ProbeResult[];
      /** The round just decided (`attempt` > 0: a confirmation round). */
      decided: CycleState['cycle'];
    }
  | { type: 'execution'; record: ExecutionRecord };

function definitionFor(name: string, defs: Record<string, BotDefinition> | undefined): BotDefinition {
  const def = defs?.[name] ?? orderFlowers();
  return { ...def, bot: { ...def.bot, name } };
}

export async function startLocalSystem(o: LocalSystemOptions = {}): Promise<LocalSystem> {
  const config = o.config
    ? parseConfig(o.config, 'lexdr config', { deployLimits: o.deployLimits !== false })
    : readConfigFile();
  const host = o.host ?? '127.0.0.1';
  const exposed = !isLoopbackHost(host);
  if (exposed && o.token === undefined)
    throw new Error(
      `host ${host} is not a loopback address: the local system listens there only with a token in force`,
    );
  if (o.atLeastOnce && !(o.atLeastOnce.rate >= 0 && o.atLeastOnce.rate <= 1))
    throw new RangeError(`atLeastOnce.rate ${o.atLeastOnce.rate}: must be 0–1`);
  // Servers that cannot check the token stay on this machine.
  const innerHost = exposed ? '127.0.0.1' : host;
  const wildcard = host === '0.0.0.0' || host === '::';
  const guard: GuardPolicy = {
    ...(o.token !== undefined ? { token: o.token } : {}),
    allowHost: (h) => isLoopbackHost(h) || wildcard || h.toLowerCase() === host.toLowerCase(),
  };
  const credentials = o.token !== undefined ? { accessKeyId: o.token, secretAccessKey: 'local' } : LOCAL_CREDENTIALS;
  const idsFor = (botName: string, region: string) => {
    const bot = config.bots.find((b) => b.name === botName)!;
    return configuredIds(bot, region) ?? localBotIds(region, botName);
  };
  const settings = buildSettings(config, (bot, region) => idsFor(bot.name, region), LOCAL_ACCOUNT);

  const placeOrder = createSlowBackend({
    delayMs: 1500,
    failRate: 0,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const fulfill: LocalLexRegionOptions['fulfill'] = (event) => fulfillOrder(event, { placeOrder, logger });
  const lex: Record<string, LocalLexRegion> = {};
  const started: { close(): Promise<void> }[] = [];
  try {
    for (const region of config.regions) {
      const bots: LocalBot[] = config.bots.map((b) => ({
        definition: definitionFor(b.name, o.definitions),
        ...idsFor(b.name, region),
        botName: b.v1?.botName ?? b.name,
        botAlias: b.v1?.botAlias ?? 'live',
      }));
      lex[region] = await startLocalLexRegion({
        guard,
        region,
        bots,
        host: innerHost,
        port: o.ports?.lex?.[region] ?? 0,
        fulfill,
        ...o.lexOptions,
      });
      started.push(lex[region]);
    }
    const dynamo = await startLocalDynamo({
      tableName: config.tableName,
      historyTableName: config.historyTableName,
      host,
      port: o.ports?.dynamodb ?? 0,
      region: config.connectRegion,
      guard: { ...guard, needsToken: () => true },
      credentials,
      ...(o.dataDir !== undefined ? { path: o.dataDir } : {}),
    });
    started.push(dynamo);
    const cloudwatch = await startLocalCloudWatch({
      host: innerHost,
      port: o.ports?.cloudwatch ?? 0,
      guard,
      ...o.cloudwatch,
    });
    started.push(cloudwatch);
    const cwClient = new CloudWatchClient({
      endpoint: cloudwatch.url,
      region: config.connectRegion,
      credentials: LOCAL_CREDENTIALS,
    });
    // Step Functions' DynamoDB integration reports a throttle straight to the state (whose Retry handles it):
    // the workflow's client sends each request once.
    const workflowDynamo = new DynamoDBClient({
      endpoint: dynamo.url,
      region: config.connectRegion,
      maxAttempts: 1,
      credentials,
      ...roleClient('workflow'),
    });

    // Settings as on AWS: the settings item in the DR table, read by the handlers through the real SDK client (read
    // once here, as a warm function would have; then re-read at most once a minute).
    await dynamo.client.send(
      new PutItemCommand({
        TableName: config.tableName,
        Item: settingsItem(config.connectRegion, JSON.stringify(settings)),
      }),
    );
    // The settings as the functions read them (their own clients are the lookup's and the workflow's roles).
    const settingsDynamo = new DynamoDBClient({
      endpoint: dynamo.url,
      region: config.connectRegion,
      // Bounded as the functions' own clients are on AWS: a hanging table must not hold a re-read forever.
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 300,
        requestTimeout: READ_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      }),
      credentials,
      ...roleClient('lookup'),
    });
    const settingsLoader = <S extends LookupSettings>(parse: SettingsParser<S>) =>
      createSettingsLoader({
        getItem: async (key) =>
          (
            await settingsDynamo.send(
              new GetItemCommand({
                TableName: config.tableName,
                Key: { connectRegion: { S: key } },
                ConsistentRead: true,
              }),
            )
          ).Item,
        connectRegion: config.connectRegion,
        parse,
        tableName: config.tableName,
        now: Date.now,
        onStale: (err) => logger.warn('settings re-read failed; using the last settings', { error: err as Error }),
      });
    const healthCheckSettings = settingsLoader<Settings>(parseSettings);
    const lookupSettings = settingsLoader(parseLookupSettings);
    await Promise.all([healthCheckSettings(), lookupSettings()]);

    const listeners = new Set<(e: SystemEvent) => void>();
    const emit = (e: SystemEvent) => listeners.forEach((l) => l(e));
    const latest = new Map<string, ProbeResult>();
    /** Simulated time, moved on by each execution's cycles (and `advance`); real time passes on top of it. */
    let simNow = o.simulatedClock ? Date.now() : undefined;
    const wallAtStart = Date.now();
    const simulated = (): number => simNow! + (Date.now() - wallAtStart);
    /** The decision's time: the clock given, else the round's planned time on a simulated clock, else the wall clock. */
    let decideAt: Date | undefined;
    const healthCheck = createHealthCheckHandler({
      loadSettings: healthCheckSettings,
      now: o.now ?? (() => decideAt ?? new Date()),
    });
    const probeFn = faultyLambda(
      createProbeHandler({
        lexEndpoints: Object.fromEntries(Object.entries(lex).map(([r, l]) => [r, l.url])),
        credentials: LOCAL_CREDENTIALS,
      }),
      {
        timeoutMs: PROBE_FUNCTION.timeoutSeconds * 1000,
        ...(o.functionTimeoutMs !== undefined ? { faultTimeoutMs: o.functionTimeoutMs } : {}),
      },
    );
    const healthCheckFn = faultyLambda(healthCheck, {
      timeoutMs: HEALTH_CHECK_FUNCTION.timeoutSeconds * 1000,
      ...(o.functionTimeoutMs !== undefined ? { faultTimeoutMs: o.functionTimeoutMs } : {}),
    });
    const functions: Record<FunctionTarget, FaultyLambda<unknown, unknown>> = {
      'probe-function': probeFn as FaultyLambda<unknown, unknown>,
      'health-check-function': healthCheckFn as FaultyLambda<unknown, unknown>,
    };
    const runner = new WorkflowRunner({
      substitutions: localAslSubstitutions(config),
      lambdas: {
        [FN.probe]: probeFn.handler as (event: unknown) => Promise<unknown>,
        [FN.healthCheck]: async (event) => {
          const state = (event as { state?: { probes?: ProbeResult[]; cycle?: { at?: string; attempt?: number } } })
            .state;
          const probes = (state?.probes ?? []) as ProbeResult[];
          if (simNow !== undefined && state?.cycle?.at) {
            // A confirmation round decides after its wait (and its probes, counted as half a second).
            const planned =
              Date.parse(state.cycle.at) + (state.cycle.attempt ?? 0) * confirmDelaySeconds(settings) * 1000 + 500;
            decideAt = new Date(Number.isFinite(planned) ? planned : simulated());
          }
          const out = await healthCheckFn.handler(event);
          if ((event as { action?: string }).action === 'decide') {
            for (const p of probes) latest.set(`${p.bot}|${p.region}`, p);
            emit({ type: 'cycle', state: out as CycleState, probes, decided: state?.cycle as CycleState['cycle'] });
          }
          return out;
        },
      },
      dynamodb: workflowDynamo,
      cloudwatch: cwClient,
      region: config.connectRegion,
      // Timestamp Waits read the same clock as the health check.
      ...(o.now ? { clock: { now: o.now, sleep: realSleep } } : {}),
      ...(o.waitMs !== undefined ? { waitMs: o.waitMs } : {}),
      ...(o.retryMs !== undefined ? { retryMs: o.retryMs } : {}),
    });
    const executions: ExecutionRecord[] = [];
    let redeliveries = 0;
    const deliver = async (input: unknown, ro: RunOptions): Promise<ExecutionRecord> => {
      const record = await runner.run(input, ro);
      executions.push(record);
      if (executions.length > 100) executions.shift();
      emit({ type: 'execution', record });
      return record;
    };
    async function runExecution(input: unknown = {}, ro: RunOptions = {}): Promise<ExecutionRecord> {
      const name = ro.name ?? `local-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      const startedAt = ro.startedAt ?? o.now?.() ?? (simNow !== undefined ? new Date(simulated()) : new Date());
      const one: RunOptions = { ...ro, name, startedAt };
      if (simNow !== undefined) {
        // The simulated clock moves on by the cycles this execution runs (a redelivery does not move it twice).
        const ran = (input as { cycles?: unknown })?.cycles;
        simNow += (typeof ran === 'number' ? ran : settings.cyclesPerExecution) * settings.cadenceSeconds * 1000;
      }
      const twice = o.atLeastOnce !== undefined && (o.atLeastOnce.random ?? Math.random)() < o.atLeastOnce.rate;
      if (!twice) return deliver(input, one);
      // The same execution twice, overlapping: the second starts once the first is under way.
      const executionArn = ro.executionArn ?? runner.executionArnFor(name);
      const first = deliver(input, { ...one, executionArn });
      await new Promise((resolve) => setImmediate(resolve));
      redeliveries += 1;
      const second = deliver(JSON.parse(JSON.stringify(input)), { ...one, executionArn });
      const [a] = await Promise.all([first, second]);
      return a;
    }
    const stepfunctions = await startLocalStepFunctions({
      runner,
      run: runExecution,
      now: () => o.now?.() ?? (simNow !== undefined ? new Date(simulated()) : new Date()),
      host,
      port: o.ports?.stepfunctions ?? 0,
      guard: { ...guard, needsToken: () => true },
    });
    started.push(stepfunctions);
    // The lookup's own client, configured as on AWS (tight timeouts), pointed at the local table.
    const lookup = createLookupHandler({
      tableName: config.tableName,
      clientConfig: {
        endpoint: dynamo.url,
        region: config.connectRegion,
        credentials,
        ...roleClient('lookup'),
      },
      settingsFromTable: { connectRegion: config.connectRegion, regions: config.regions, loadSettings: lookupSettings },
    });

    return {
      config,
      settings,
      lex,
      dynamo,
      cloudwatch,
      runner,
      functions,
      lookup,
      executions,
      advance(ms) {
        if (simNow === undefined) throw new Error('advance() needs a system started with simulatedClock');
        simNow += ms;
      },
      clock: () => o.now?.() ?? (simNow !== undefined ? new Date(simulated()) : new Date()),
      runExecution,
      stepfunctions,
      guard,
      credentials,
      redeliveries: () => redeliveries,
      lastProbes: () => [...latest.values()],
      async readItem() {
        const out = await dynamo.client.send(
          new GetItemCommand({
            TableName: config.tableName,
            Key: { connectRegion: { S: config.connectRegion } },
            ConsistentRead: true,
          }),
        );
        return readItem(out.Item, settings);
      },
      async history() {
        const out = await dynamo.client.send(
          new QueryCommand({
            TableName: config.historyTableName,
            KeyConditionExpression: 'connectRegion = :c',
            ExpressionAttributeValues: { ':c': { S: config.connectRegion } },
          }),
        );
        return (out.Items ?? []).map((i) => unmarshall(i) as RegionChange);
      },
      endpoints: (extra = {}) => ({
        dynamodb: dynamo.url,
        cloudwatch: cloudwatch.url,
        lookup: '',
        table: config.tableName,
        historyTable: config.historyTableName,
        metricNamespace: config.metricNamespace,
        connectRegion: config.connectRegion,
        regions: config.regions,
        stepfunctions: stepfunctions.url,
        stateMachineArn: runner.stateMachineArn,
        ...(o.token !== undefined ? { token: o.token } : {}),
        lex: Object.fromEntries(Object.entries(lex).map(([r, l]) => [r, l.url])),
        bots: settings.bots.map((b) => ({
          name: b.name,
          regions: Object.fromEntries(
            Object.entries(b.regions).map(([r, ids]) => {
              const c = config.bots.find((x) => x.name === b.name)!;
              return [
                r,
                { ...ids, localeId: b.localeId, botName: c.v1?.botName ?? b.name, botAlias: c.v1?.botAlias ?? 'live' },
              ];
            }),
          ),
        })),
        ...extra,
      }),
      onEvent: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      async close() {
        cwClient.destroy();
        workflowDynamo.destroy();
        settingsDynamo.destroy();
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.close().catch(() => undefined)));
    throw err;
  }
}
