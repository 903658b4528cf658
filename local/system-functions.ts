/**
 * lexdr's own functions in-process, wired as on AWS: the settings item seeded in the DR table, the probe, health-check
 * and lookup handlers reading it through the same bounded DR-table clients (under the lookup's role), each function
 * bounded by its timeout and open to fault injection, and the ARNs the local workflow invokes them by.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { drTable, drTableClient, drTableSettings } from '../core/dr-table';
import { createHealthCheckHandler } from '../core/health-check-handler';
import type { CycleState } from '../core/health-core';
import { createLookupHandler } from '../core/lookup-handler';
import type { LookupAnswer } from '../core/lookup-core';
import type { LookupSettings } from '../core/lookup-settings';
import { parseLookupSettings } from '../core/lookup-settings';
import { logger } from '../core/powertools';
import { createProbeHandler } from '../core/probe-handler';
import type { ProbeResult } from '../core/probe-core';
import type { Settings, SettingsParser } from '../core/settings';
import { parseSettings, settingsItem } from '../core/settings';
import { aslSubstitutions } from '../infra/asl-substitutions';
import type { LexdrConfig } from '../infra/config';
import { HEALTH_CHECK_FUNCTION, LOOKUP_FUNCTION, PROBE_FUNCTION } from '../infra/stacks/sizing';
import { roleClient } from './dynamodb';
import type { LocalDynamo } from './dynamodb';
import { LOCAL_CREDENTIALS } from './http';
import { faultyLambda } from './lambda-faults';
import type { FaultyLambda, FunctionTarget } from './lambda-faults';
import type { PlannedRound, SystemClock } from './simulated-clock';

export const LOCAL_ACCOUNT = '000000000000';

export const FN = {
  probe: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:lexdr-probe`,
  healthCheck: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:lexdr-health-check`,
};

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

export interface LocalFunctionsOptions {
  config: LexdrConfig;
  settings: Settings;
  /** The local DynamoDB: its URL for the functions' own clients, its client to write the settings item. */
  dynamo: Pick<LocalDynamo, 'url' | 'client'>;
  /** Credentials of the functions' DynamoDB clients. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The local Lex runtime endpoint per region (the probe's clients). */
  lexEndpoints: Record<string, string>;
  /** The health check's clock. */
  clock: SystemClock;
  /** How long a `timeout` fault of a function takes. @default the function's timeout */
  functionTimeoutMs?: number;
  /** Told after every `decide` of the health check: the state after it, the probes decided on, the round decided. */
  onDecision(state: CycleState, probes: ProbeResult[], decided: CycleState['cycle']): void;
}

export interface LocalFunctions {
  /** lexdr's own functions, with fault injection (the report function starts with Step Functions: report-function.ts). */
  functions: Record<Exclude<FunctionTarget, 'report-function'>, FaultyLambda<unknown, unknown>>;
  /** The workflow's Lambda integrations, by function ARN (`FN`). */
  lambdas: Record<string, (event: unknown) => Promise<unknown>>;
  /** The real lookup Lambda handler against the local DynamoDB. */
  lookup: (event: unknown) => Promise<LookupAnswer>;
  /** Closes the functions' DynamoDB clients. */
  close(): void;
}

/** Writes the settings item to the DR table, as a deploy does. */
export async function seedSettings(
  client: DynamoDBClient,
  config: Pick<LexdrConfig, 'tableName' | 'connectRegion'>,
  settings: Settings,
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: config.tableName,
      Item: settingsItem(config.connectRegion, JSON.stringify(settings)),
    }),
  );
}

/** Seeds the settings item and starts the functions; their settings are read once here, as a warm function has them. */
export async function startLocalFunctions(o: LocalFunctionsOptions): Promise<LocalFunctions> {
  const { config } = o;
  // Settings as on AWS: the settings item in the DR table, read by the handlers through the real SDK client (read
  // once here, as a warm function would have; then re-read at most once a minute).
  await seedSettings(o.dynamo.client, config, o.settings);
  // The DR table as the functions read it, through the same bounded clients (under the lookup's role, which may
  // read the Connect region's items only).
  const clients: DynamoDBClient[] = [];
  const close = () => clients.forEach((c) => c.destroy());
  const functionTable = (preset: 'lookup' | 'healthCheck') => {
    const client = drTableClient(preset, {
      endpoint: o.dynamo.url,
      region: config.connectRegion,
      credentials: o.credentials,
      ...roleClient('lookup'),
    });
    clients.push(client);
    return drTable(client, config.tableName);
  };
  try {
    const lookupTable = functionTable('lookup');
    const settingsLoader = <S extends LookupSettings>(parse: SettingsParser<S>, table = lookupTable) =>
      drTableSettings(table, {
        connectRegion: config.connectRegion,
        parse,
        onStale: (err) => logger.warn('settings re-read failed; using the last settings', { error: err as Error }),
      });
    const healthCheckSettings = settingsLoader<Settings>(parseSettings, functionTable('healthCheck'));
    const lookupSettings = settingsLoader(parseLookupSettings);
    await Promise.all([healthCheckSettings(), lookupSettings()]);

    const faultTimeout = o.functionTimeoutMs !== undefined ? { faultTimeoutMs: o.functionTimeoutMs } : {};
    const probeFn = faultyLambda(createProbeHandler({ lexEndpoints: o.lexEndpoints, credentials: LOCAL_CREDENTIALS }), {
      timeoutMs: PROBE_FUNCTION.timeoutSeconds * 1000,
      ...faultTimeout,
    });
    const healthCheckFn = faultyLambda(
      createHealthCheckHandler({ loadSettings: healthCheckSettings, now: o.clock.decisionClock() }),
      { timeoutMs: HEALTH_CHECK_FUNCTION.timeoutSeconds * 1000, ...faultTimeout },
    );
    // The lookup's own client, configured as on AWS (tight timeouts), pointed at the local table.
    const lookupFn = faultyLambda(
      createLookupHandler({
        table: lookupTable,
        settingsFromTable: {
          connectRegion: config.connectRegion,
          regions: config.regions,
          loadSettings: lookupSettings,
        },
      }),
      { timeoutMs: LOOKUP_FUNCTION.timeoutSeconds * 1000, ...faultTimeout },
    );
    const lookup = lookupFn.handler;
    return {
      functions: {
        'probe-function': probeFn as FaultyLambda<unknown, unknown>,
        'health-check-function': healthCheckFn as FaultyLambda<unknown, unknown>,
        'lookup-function': lookupFn as FaultyLambda<unknown, unknown>,
      },
      lambdas: {
        [FN.probe]: probeFn.handler as (event: unknown) => Promise<unknown>,
        [FN.healthCheck]: async (event) => {
          const state = (event as { state?: { probes?: ProbeResult[]; cycle?: PlannedRound } }).state;
          const probes = (state?.probes ?? []) as ProbeResult[];
          o.clock.planDecision(state?.cycle);
          const out = await healthCheckFn.handler(event);
          if ((event as { action?: string }).action === 'decide')
            o.onDecision(out as CycleState, probes, state?.cycle as CycleState['cycle']);
          return out;
        },
      },
      lookup,
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}
