/**
 * The one client of the DR table for every reader — the lookup, the health-check function, the Twilio bridge and the
 * local system: a DynamoDB client bounded as its reader can afford (a hanging table must never hold a caller or a
 * function until its timeout: the SDK waits forever otherwise), reads by `connectRegion`, and the settings loader.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createSettingsLoader } from './settings-item';
import type { SettingsParser } from './settings-item';

/**
 * How long each reader waits for the table, by name: attempts, and the HTTP handler's connection and request
 * timeouts (each attempt is bounded).
 */
export const DR_TABLE_PRESETS = {
  /**
   * Amazon Connect waits on the lookup: one attempt, a read within 700 ms (`READ_TIMEOUT_MS`); meanwhile the lookup
   * answers its last known item.
   */
  lookup: { maxAttempts: 1, connectionTimeout: 300, requestTimeout: 700 },
  /** The health-check function reads its settings: three attempts of at most a second, inside its 5 s. */
  healthCheck: { maxAttempts: 3, connectionTimeout: 500, requestTimeout: 1000 },
  /** The Twilio bridge asks before each caller's conversation: two attempts of at most 800 ms. */
  bridge: { maxAttempts: 2, connectionTimeout: 500, requestTimeout: 800 },
  /** The report function records a caller's report (nobody waits on it): three attempts of at most a second. */
  report: { maxAttempts: 3, connectionTimeout: 500, requestTimeout: 1000 },
} as const;
export type DrTablePreset = keyof typeof DR_TABLE_PRESETS;

/** The lookup's bound on one read of the DR table (its preset's request timeout). */
export const READ_TIMEOUT_MS = DR_TABLE_PRESETS.lookup.requestTimeout;

/** A DynamoDB client for the DR table, bounded by a preset; `config` (region, endpoint, credentials) goes over it. */
export function drTableClient(preset: DrTablePreset, config: DynamoDBClientConfig = {}): DynamoDBClient {
  const { maxAttempts, connectionTimeout, requestTimeout } = DR_TABLE_PRESETS[preset];
  return new DynamoDBClient({
    maxAttempts,
    requestHandler: new NodeHttpHandler({ connectionTimeout, requestTimeout, throwOnRequestTimeout: true }),
    ...config,
  });
}

/** The DR table as its readers use it: items by `connectRegion` (a Connect region, or its settings key). */
export interface DrTable {
  readonly tableName: string;
  /** GetItem by key; strongly consistent unless `consistent: false`. */
  getItem(key: string, o?: { consistent?: boolean }): Promise<Record<string, AttributeValue> | undefined>;
  /**
   * PutItem of a whole item, only while `condition` holds (ConditionalCheckFailedException otherwise). Only the
   * report function writes through this client: the workflow writes lexDR with its direct DynamoDB integration.
   */
  putItem(
    item: Record<string, AttributeValue>,
    condition: { expression: string; names?: Record<string, string>; values?: Record<string, AttributeValue> },
  ): Promise<void>;
}

export function drTable(client: DynamoDBClient, tableName: string): DrTable {
  return {
    tableName,
    async getItem(key, o = {}) {
      const out = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { connectRegion: { S: key } },
          ConsistentRead: o.consistent ?? true,
        }),
      );
      return out.Item;
    },
    async putItem(item, condition) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: condition.expression,
          ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
          ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
        }),
      );
    },
  };
}

/** The settings of a Connect region, read from its settings item (strongly consistent) and cached: see createSettingsLoader. */
export function drTableSettings<S extends { connectRegion: string }>(
  table: DrTable,
  o: {
    connectRegion: string;
    /** What this reader validates: `parseSettings` or `parseLookupSettings`. */
    parse: SettingsParser<S>;
    now?: () => number;
    /** Called when a re-read fails and the last settings stay in use. */
    onStale?: (err: unknown) => void;
  },
): () => Promise<S> {
  return createSettingsLoader({
    getItem: (key) => table.getItem(key),
    connectRegion: o.connectRegion,
    parse: o.parse,
    tableName: table.tableName,
    now: o.now ?? Date.now,
    ...(o.onStale ? { onStale: o.onStale } : {}),
  });
}
