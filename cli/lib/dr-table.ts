/**
 * The lexDR item and the history table, read and written with the DynamoDB client of either target.
 * The pin is the only thing the CLI writes: the workflow's next cycle applies it and records the change.
 */
import { GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DrItem, Pin, RegionChange, RegionHealth } from '../../handlers/lib/dr-item';
import { readItem } from '../../handlers/lib/dr-item';
import { explainError } from './errors';
import type { Target } from './target';

export type { DrItem, Pin, RegionChange, RegionHealth };

/** Reads a stored item with the one reader of lexDR (a seed item has only connectRegion and lexRegion). */
export function toDrItem(
  raw: Record<string, AttributeValue> | undefined,
  t: Pick<Target, 'connectRegion' | 'regions'>,
): DrItem | null {
  const stored = raw?.regionHealth?.M ? Object.keys(raw.regionHealth.M) : [];
  const regions = t.regions ?? stored;
  return readItem(raw, { connectRegion: t.connectRegion, regions: regions.length > 0 ? regions : ['unknown'] });
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
