/**
 * The whole of lexdr on one machine: a local Lex runtime per region, a local DynamoDB, a local CloudWatch,
 * the real handlers in-process and the real ASL run by aws-local-stepfunctions. Used by `npm start`, the
 * integration tests, the flow simulator and the benchmarks. Its parts: its options (system-options.ts), the functions'
 * wiring (system-functions.ts), the report function and its asynchronous invocations (report-function.ts), the clock
 * (simulated-clock.ts) and what `npm start` writes for clients (endpoints-file.ts).
 */
import './polyfills';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { orderFlowers } from '../bot';
import type { BotDefinition } from '../bot';
import { parseConfig, readConfigFile } from '../infra/config';
import type { LexdrConfig } from '../infra/config';
import { buildSettings, configuredIds } from '../infra/settings';
import { createSlowBackend, fulfillOrder } from '../bot/fulfillment-core';
import { drTable } from '../core/dr-table';
import type { CycleState, DrItem, RegionChange } from '../core/health-core';
import { readItem } from '../core/health-core';
import type { LookupAnswer } from '../core/lookup-core';
import type { ProbeResult } from '../core/probe-core';
import { logger } from '../core/powertools';
import type { Settings } from '../core/settings';
import { startLocalCloudWatch } from './cloudwatch';
import type { LocalCloudWatch } from './cloudwatch';
import { roleClient, startLocalDynamo } from './dynamodb';
import { localEndpoints } from './endpoints-file';
import type { LocalEndpoints } from './endpoints-file';
import type { FaultyLambda, FunctionTarget } from './lambda-faults';
import { LOCAL_CREDENTIALS, isLoopbackHost } from './http';
import type { GuardPolicy } from './http';
import { startLocalReportFunction } from './report-function';
import type { LocalSystemOptions } from './system-options';
import type { ReportRecord, ReportResult } from './report-function';
import { startLocalStepFunctions } from './stepfunctions';
import type { LocalStepFunctions } from './stepfunctions';
import type { LocalDynamo } from './dynamodb';
import { localBotIds, startLocalLexRegion } from './lex';
import type { LocalBot, LocalLexRegion, LocalLexRegionOptions } from './lex';
import { WebRtcVad } from '../twilio/vad';
import { WorkflowRunner, realSleep } from './workflow-runner';
import type { ExecutionRecord, RunOptions } from './workflow-runner';
import { SystemClock } from './simulated-clock';
import { LOCAL_ACCOUNT, localAslSubstitutions, startLocalFunctions } from './system-functions';

export type { LocalEndpoints } from './endpoints-file';
export type { LocalSystemOptions } from './system-options';
export { FN, LOCAL_ACCOUNT, localAslSubstitutions } from './system-functions';
export type { ReportRecord, ReportResult } from './report-function';

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
  /** The report function invoked and waited on (tests): its result, or its error (an injected fault, a bad event). */
  report: (event: unknown) => Promise<ReportResult>;
  /**
   * The report function invoked asynchronously, as the contact flow's report action does: returns at once; the event
   * runs in the background, a failed attempt is retried once, errors are logged. Throws AsyncQueueFullError (429)
   * only when too many events wait.
   */
  reportAsync: (event: unknown) => void;
  /** Resolves once every asynchronous report has run (Lambda's retries included). */
  drainReports(): Promise<void>;
  /** The report function's latest attempts, oldest first. */
  reports(): ReportRecord[];
  /** How a report-started check ended, by its execution ARN; undefined while it runs. */
  checkStatus(executionArn: string): ExecutionRecord['status'] | undefined;
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
  | { type: 'execution'; record: ExecutionRecord }
  /** The report function ran: a caller's report, what the rule made of it, the check it started. */
  | { type: 'report'; record: ReportRecord };

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
        vad: (rate) => new WebRtcVad(rate, 2),
        ...o.lexOptions,
      });
      started.push(lex[region]);
    }
    const lexUrls = Object.fromEntries(Object.entries(lex).map(([r, l]) => [r, l.url]));
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

    const listeners = new Set<(e: SystemEvent) => void>();
    const emit = (e: SystemEvent) => listeners.forEach((l) => l(e));
    const latest = new Map<string, ProbeResult>();
    const clock = new SystemClock(settings, { ...(o.now ? { now: o.now } : {}), simulated: o.simulatedClock === true });
    const fns = await startLocalFunctions({
      config,
      settings,
      dynamo,
      credentials,
      lexEndpoints: lexUrls,
      clock,
      ...(o.functionTimeoutMs !== undefined ? { functionTimeoutMs: o.functionTimeoutMs } : {}),
      onDecision: (state, probes, decided) => {
        for (const p of probes) latest.set(`${p.bot}|${p.region}`, p);
        emit({ type: 'cycle', state, probes, decided });
      },
    });
    started.push({ close: async () => fns.close() });
    const runner = new WorkflowRunner({
      substitutions: localAslSubstitutions(config),
      lambdas: fns.lambdas,
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
      // A simulated clock moves on by the cycles this execution runs (a redelivery does not move it twice).
      const startedAt = clock.startExecution(input, ro.startedAt);
      const one: RunOptions = { ...ro, name, startedAt };
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
      now: () => clock.now(),
      host,
      port: o.ports?.stepfunctions ?? 0,
      guard: { ...guard, needsToken: () => true },
    });
    started.push(stepfunctions);
    // The report function starts checks through the Step Functions API, as on AWS: it starts after that endpoint.
    const report = await startLocalReportFunction({
      config,
      urls: { dynamodb: dynamo.url, stepfunctions: stepfunctions.url, cloudwatch: cloudwatch.url },
      credentials,
      stateMachineArn: runner.stateMachineArn,
      now: () => clock.now(),
      ...(o.functionTimeoutMs !== undefined ? { functionTimeoutMs: o.functionTimeoutMs } : {}),
      ...(o.reports?.retryDelayMs !== undefined ? { retryDelayMs: o.reports.retryDelayMs } : {}),
      ...(o.reports?.concurrency !== undefined ? { concurrency: o.reports.concurrency } : {}),
      onRecord: (record) => emit({ type: 'report', record }),
    });
    listeners.add((e) => {
      if (e.type === 'execution' && (e.record.input as { reported?: unknown } | null)?.reported)
        report.executionEnded(e.record);
    });
    started.push(report);

    return {
      config,
      settings,
      lex,
      dynamo,
      cloudwatch,
      runner,
      functions: { ...fns.functions, 'report-function': report.fn as FaultyLambda<unknown, unknown> },
      lookup: fns.lookup,
      report: (event) => report.invoke(event),
      reportAsync: (event) => report.invokeAsync(event),
      drainReports: () => report.drain(),
      reports: () => report.recent(),
      checkStatus: (arn) => report.checkStatus(arn),
      executions,
      advance: (ms) => clock.advance(ms),
      clock: () => clock.now(),
      runExecution,
      stepfunctions,
      guard,
      credentials,
      redeliveries: () => redeliveries,
      lastProbes: () => [...latest.values()],
      async readItem() {
        return readItem(await drTable(dynamo.client, config.tableName).getItem(config.connectRegion), settings);
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
      endpoints: (extra = {}) =>
        localEndpoints(
          {
            config,
            settings,
            urls: {
              dynamodb: dynamo.url,
              cloudwatch: cloudwatch.url,
              stepfunctions: stepfunctions.url,
              lex: lexUrls,
            },
            stateMachineArn: runner.stateMachineArn,
            ...(o.token !== undefined ? { token: o.token } : {}),
          },
          extra,
        ),
      onEvent: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      async close() {
        cwClient.destroy();
        workflowDynamo.destroy();
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.close().catch(() => undefined)));
    throw err;
  }
}
