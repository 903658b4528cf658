/**
 * The lexDR item and the history table, read and written with the DynamoDB client of either target.
 * The pin is the only thing the CLI writes: the workflow's next cycle applies it and records the change.
 */
import { GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DrItem, Pin, RegionChange, RegionHealth } from '../../handlers/lib/health-core';
import { explainError } from './errors';
import type { Target } from './target';

export type { DrItem, Pin, RegionChange, RegionHealth };

/** Normalises a stored item (a seed item has only connectRegion and lexRegion). */
export function toDrItem(
  raw: Record<string, AttributeValue> | undefined,
  t: Pick<Target, 'connectRegion' | 'regions'>,
) {
  if (!raw) return null;
  const v = unmarshall(raw) as Record<string, unknown>;
  const stored = (v.regionHealth ?? {}) as Record<string, Partial<RegionHealth>>;
  const regions = t.regions ?? Object.keys(stored);
  const regionHealth: Record<string, RegionHealth> = {};
  for (const r of regions) {
    const h = stored[r];
    regionHealth[r] = {
      fails: Number(h?.fails ?? 0),
      passes: Number(h?.passes ?? 0),
      reason: typeof h?.reason === 'string' ? h.reason : 'ok',
    };
  }
  const p = v.pin as Partial<Pin> | null | undefined;
  const pin = p && typeof p === 'object' && typeof p.region === 'string' ? (p as Pin) : null;
  const item: DrItem = {
    connectRegion: String(v.connectRegion ?? t.connectRegion),
    lexRegion: typeof v.lexRegion === 'string' ? v.lexRegion : (regions[0] ?? 'unknown'),
    version: Number(v.version ?? 0),
    regionHealth,
    pin,
    drill: v.drill && typeof v.drill === 'object' ? (v.drill as DrItem['drill']) : null,
    ...(typeof v.previousRegion === 'string' ? { previousRegion: v.previousRegion } : {}),
    ...(v.lastChange && typeof v.lastChange === 'object' ? { lastChange: v.lastChange as RegionChange } : {}),
    ...(typeof v.updatedAt === 'string' ? { updatedAt: v.updatedAt } : {}),
  };
  return item;
}

async function send<T>(t: Target, what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw explainError(err, `${what} on ${t.where}`);
  }
}

export async function getItem(t: Target): Promise<DrItem | null> {
  const out = await send(t, `table ${t.table}`, () =>
    t.dynamodb.send(
      new GetItemCommand({
        TableName: t.table,
        Key: { connectRegion: { S: t.connectRegion } },
        ConsistentRead: true,
      }),
    ),
  );
  return toDrItem(out.Item, t);
}

/** Sets the manual pin and bumps the item version (so an execution's in-flight write cannot undo it). */
export async function setPin(t: Target, pin: Pin): Promise<void> {
  await send(t, `table ${t.table}`, () =>
    t.dynamodb.send(
      new UpdateItemCommand({
        TableName: t.table,
        Key: { connectRegion: { S: t.connectRegion } },
        UpdateExpression: 'SET pin = :pin, version = if_not_exists(version, :zero) + :one',
        ExpressionAttributeValues: { ':pin': { M: marshall(pin) }, ':zero': { N: '0' }, ':one': { N: '1' } },
      }),
    ),
  );
}

/** Removes the manual pin and bumps the item version. */
export async function clearPin(t: Target): Promise<void> {
  await send(t, `table ${t.table}`, () =>
    t.dynamodb.send(
      new UpdateItemCommand({
        TableName: t.table,
        Key: { connectRegion: { S: t.connectRegion } },
        UpdateExpression: 'REMOVE pin SET version = if_not_exists(version, :zero) + :one',
        ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' } },
      }),
    ),
  );
}

/** Region changes since an ISO time, oldest first (`changeId` begins with the ISO time of the change). */
export async function queryHistory(t: Target, sinceIso: string): Promise<RegionChange[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await send(t, `table ${t.historyTable}`, () =>
      t.dynamodb.send(
        new QueryCommand({
          TableName: t.historyTable,
          KeyConditionExpression: 'connectRegion = :c AND changeId >= :since',
          ExpressionAttributeValues: { ':c': { S: t.connectRegion }, ':since': { S: sinceIso } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      ),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start && items.length < 10_000);
  return items.map((i) => unmarshall(i) as RegionChange & { changeId?: string });
}
