/** Shared by the reliability suites: resetting a local system between cases and reading what it recorded. */
import { DeleteItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DrItem, RegionChange } from '../../core/health-core';
import type { LocalSystem } from '../../local/system';

/** Clears Lex, function and DynamoDB faults, deletes the lexDR item and every history record, forgets the metrics. */
export async function resetSystem(sys: LocalSystem): Promise<void> {
  for (const r of Object.values(sys.lex)) r.setFault({ mode: 'none' });
  for (const f of Object.values(sys.functions)) f.setFault({ mode: 'none' });
  sys.dynamo.setFault({ mode: 'none' });
  const { tableName, historyTableName, connectRegion } = sys.config;
  await sys.dynamo.client.send(
    new DeleteItemCommand({ TableName: tableName, Key: { connectRegion: { S: connectRegion } } }),
  );
  const out = await sys.dynamo.client.send(
    new QueryCommand({
      TableName: historyTableName,
      KeyConditionExpression: 'connectRegion = :c',
      ExpressionAttributeValues: { ':c': { S: connectRegion } },
    }),
  );
  for (const i of out.Items ?? []) {
    await sys.dynamo.client.send(
      new DeleteItemCommand({
        TableName: historyTableName,
        Key: { connectRegion: i.connectRegion!, changeId: i.changeId! },
      }),
    );
  }
  sys.cloudwatch.clear();
}

/**
 * Resets the system, then stores a clean lexDR item as healthy cycles leave it (version 1): `lexRegion` active (the
 * primary by default), every region with `passes` passes — or, where `fails` names it, that many failures.
 */
export async function seedHealthyItem(
  sys: LocalSystem,
  o: { passes: number; lexRegion?: string; fails?: Record<string, number> },
): Promise<DrItem> {
  await resetSystem(sys);
  const fails = o.fails ?? {};
  await sys.dynamo.client.send(
    new PutItemCommand({
      TableName: sys.config.tableName,
      Item: marshall({
        connectRegion: sys.config.connectRegion,
        lexRegion: o.lexRegion ?? sys.config.regions[0],
        version: 1,
        regionHealth: Object.fromEntries(
          sys.config.regions.map((r) => [
            r,
            { fails: fails[r] ?? 0, passes: fails[r] ? 0 : o.passes, reason: fails[r] ? 'server-error' : 'ok' },
          ]),
        ),
        pin: null,
      }),
    }),
  );
  return (await sys.readItem())!;
}

/** Values of a metric's datapoints (each datapoint expanded by its count). */
export function metricValues(sys: LocalSystem, metric: string, dimensions: Record<string, string> = {}): number[] {
  return sys.cloudwatch
    .datapoints({ metric, dimensions })
    .flatMap((p) => Array.from({ length: p.count }, () => p.value));
}

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** The identity of a region change, to match what was observed against what the history table holds. */
export const changeKey = (c: Pick<RegionChange, 'from' | 'to' | 'reason' | 'execution' | 'cycle'>): string =>
  `${c.from}>${c.to}|${c.reason}|${c.execution}|${c.cycle}`;

/** mulberry32: a small seeded PRNG, so a random fault pattern is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
