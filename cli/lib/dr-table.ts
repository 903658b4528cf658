/**
 * The lexDR item and the history table, read and written with the DynamoDB client of either target, and the
 * lookup as Amazon Connect calls it.
 * The CLI writes the pin (the workflow's next cycle applies it) and an operator's failback, which switches
 * lexRegion at once with the same optimistic concurrency as the workflow (a conditional UpdateItem on `version`)
 * and records the change in the history table in the workflow's shape.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DrItem, Pin, RegionChange, RegionHealth } from '../../core/dr-item';
import { readItem } from '../../core/dr-item';
import type { LookupAnswer } from '../../core/lookup-core';
import type { CliOutput } from '../../core/contract';
import { HEALTH_CHECK_OUTPUTS } from '../../core/contract';
import { CliError, EXIT, TargetNotFoundError, UsageError, explainError } from './errors';
import type { Io } from './io';
import type { GlobalOptions, Target } from './target';
import { defaultStack } from './target';

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

/** One item of the DR table by its key (`connectRegion`: a Connect region, its settings or a report window), as stored. */
export async function getRawItem(t: Target, key: string): Promise<Record<string, AttributeValue> | undefined> {
  const out = await send(t, `table ${t.table}`, () =>
    t.dynamodb.send(
      new GetItemCommand({ TableName: t.table, Key: { connectRegion: { S: key } }, ConsistentRead: true }),
    ),
  );
  return out.Item;
}

export async function getItem(t: Target): Promise<DrItem | null> {
  return toDrItem(await getRawItem(t, t.connectRegion), t);
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

/** Another writer (the workflow, another operator) changed the item between the read and the write. */
export class ItemChangedError extends CliError {
  override name = 'ItemChangedError';
  constructor(message: string) {
    super(message, EXIT.failure);
  }
}

/** The workflow's write condition: the version read is still the stored one (or none / not a number is stored). */
const VERSION_CONDITION =
  'attribute_not_exists(version) OR version = :expected OR NOT attribute_type(version, :number)';

function versionValues(item: DrItem): Record<string, AttributeValue> {
  return {
    ':expected': { N: item.versionRaw ?? String(item.version) },
    ':next': { N: String(item.version + 1) },
    ':number': { S: 'N' },
  };
}

async function conditional<T>(t: Target, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException')
      throw new ItemChangedError(`the lexDR item of ${t.connectRegion} changed meanwhile (version moved on)`);
    throw explainError(err, `table ${t.table} on ${t.where}`);
  }
}

/** Removes the pin, on the condition that the item still has the version read (`ItemChangedError` otherwise). */
export async function clearPinIfUnchanged(t: Target, item: DrItem): Promise<void> {
  await conditional(t, () =>
    t.dynamodb.send(
      new UpdateItemCommand({
        TableName: t.table,
        Key: { connectRegion: { S: t.connectRegion } },
        UpdateExpression: 'SET pin = :null, version = :next',
        ConditionExpression: VERSION_CONDITION,
        ExpressionAttributeValues: { ...versionValues(item), ':null': { NULL: true } },
      }),
    ),
  );
}

/** What an operator's switch records: the RegionChange the workflow would, with the CLI as its "execution". */
export interface OperatorChange {
  to: string;
  reason: RegionChange['reason'];
  detail: string;
  /** Who switched (recorded as the change's execution `lexdr-cli:<by>`). */
  by: string;
  at: Date;
}

/**
 * Switches lexRegion at once and drops the pin, exactly like the workflow's "Switch region" write (same condition
 * on `version`, same attributes), then appends the change to the history table like "Record the change" (same item
 * shape, key `<at>#<execution name>#<cycle>`). Throws `ItemChangedError` when the item moved on since `item` was read.
 */
export async function switchRegion(t: Target, item: DrItem, c: OperatorChange): Promise<RegionChange> {
  const at = c.at.toISOString();
  const execution = `lexdr-cli:${c.by}`;
  const change: RegionChange = {
    from: item.lexRegion,
    to: c.to,
    reason: c.reason,
    detail: c.detail,
    at,
    execution,
    cycle: 0,
    drill: false,
    version: item.version + 1,
  };
  await conditional(t, () =>
    t.dynamodb.send(
      new UpdateItemCommand({
        TableName: t.table,
        Key: { connectRegion: { S: t.connectRegion } },
        UpdateExpression:
          'SET lexRegion = :to, previousRegion = :from, pin = :null, lastChange = :change, version = :next, updatedAt = :now',
        ConditionExpression: VERSION_CONDITION,
        ExpressionAttributeValues: {
          ...versionValues(item),
          ':to': { S: c.to },
          ':from': { S: item.lexRegion },
          ':null': { NULL: true },
          ':change': { M: marshall(change) },
          ':now': { S: at },
        },
      }),
    ),
  );
  try {
    await t.dynamodb.send(
      new PutItemCommand({
        TableName: t.historyTable,
        Item: marshall({
          connectRegion: t.connectRegion,
          changeId: `${at}#${execution.split(':').pop()}#0`,
          ...change,
        }),
        ConditionExpression: 'attribute_not_exists(changeId)',
      }),
    );
  } catch (err) {
    const e = explainError(err, `table ${t.historyTable} on ${t.where}`);
    throw new CliError(
      `callers were switched to ${c.to}, but the history table did not take the record: ${(e as Error).message}`,
      EXIT.failure,
    );
  }
  return change;
}

// ---------- the lookup, as Amazon Connect calls it ----------

/** Asks the lookup which region to use, like a contact flow does. */
export interface LookupClient {
  /** Where the answers come from (for messages). */
  where: string;
  ask(): Promise<LookupAnswer>;
  close(): void;
}

/** A ContactFlowEvent as the shipped flow sends it. */
export const CLI_CONTACT_EVENT = {
  Name: 'ContactFlowEvent',
  Details: { ContactData: { ContactId: 'lexdr-cli' }, Parameters: {} },
} as const;

function checkAnswer(a: unknown, where: string): LookupAnswer {
  if (!a || typeof a !== 'object' || typeof (a as LookupAnswer).lexRegion !== 'string')
    throw new CliError(`${where} answered no lexRegion: ${JSON.stringify(a).slice(0, 200)}`, EXIT.failure);
  return a as LookupAnswer;
}

/**
 * One output of the deployed health-check stack (`--stack`, env LEXDR_STACK, or `Lexdr-HealthCheck-<connect region>`
 * in `--region` / AWS_REGION), or undefined when the stack has no such output.
 */
export async function stackOutput(
  g: GlobalOptions,
  io: Io,
  connectRegion: string,
  key: CliOutput,
): Promise<string | undefined> {
  const env = io.env;
  const region = g.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? connectRegion;
  const endpoint = g.endpointUrl ?? env.LEXDR_ENDPOINT_URL;
  const stack =
    g.stack ?? env.LEXDR_STACK ?? defaultStack(g.connectRegion ?? env.LEXDR_CONNECT_REGION ?? connectRegion);
  const cfn = new CloudFormationClient({ region, ...(endpoint ? { endpoint } : {}) });
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    return out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name === 'ValidationError' && /does not exist/.test(e.message ?? ''))
      throw new TargetNotFoundError(`stack ${stack} not found in ${region}: pass --stack NAME --region R`);
    throw explainError(err, `CloudFormation in ${region} (stack ${stack})`);
  } finally {
    cfn.destroy();
  }
}

/**
 * The real lookup of the target: the local system's `lookup` endpoint (POST the event), or on AWS the lookup Lambda
 * (`--lookup-function`, env LEXDR_LOOKUP_FUNCTION, or the stack's `LookupFunctionArn` output) through Invoke.
 */
export async function lookupClient(
  t: Target,
  g: GlobalOptions & { lookupFunction?: string },
  io: Io,
): Promise<LookupClient> {
  if (t.kind === 'local') {
    const url = t.local?.lookup;
    if (!url) throw new TargetNotFoundError(`the local system publishes no lookup endpoint: restart \`npm start\``);
    return {
      where: `the lookup at ${url}`,
      async ask() {
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            body: JSON.stringify(CLI_CONTACT_EVENT),
            headers: { 'content-type': 'application/json' },
          });
        } catch (err) {
          throw new TargetNotFoundError(`the lookup at ${url} is not reachable (${(err as Error).message})`);
        }
        if (!res.ok) throw new CliError(`the lookup at ${url} answered HTTP ${res.status}`, EXIT.failure);
        return checkAnswer(await res.json(), `the lookup at ${url}`);
      },
      close: () => undefined,
    };
  }
  const env = io.env;
  const region = g.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? t.connectRegion;
  const endpoint = g.endpointUrl ?? env.LEXDR_ENDPOINT_URL;
  const clientConfig = { region, ...(endpoint ? { endpoint } : {}) };
  let fn = g.lookupFunction ?? env.LEXDR_LOOKUP_FUNCTION;
  if (!fn) {
    fn = await stackOutput(g, io, t.connectRegion, HEALTH_CHECK_OUTPUTS.lookupFunctionArn);
    if (!fn) throw new UsageError(`the stack has no LookupFunctionArn output: pass --lookup-function NAME`);
  }
  const lambda = new LambdaClient(clientConfig);
  const name = fn;
  return {
    where: `the lookup Lambda ${name}`,
    async ask() {
      let r;
      try {
        r = await lambda.send(
          new InvokeCommand({
            FunctionName: name,
            Payload: new TextEncoder().encode(JSON.stringify(CLI_CONTACT_EVENT)),
          }),
        );
      } catch (err) {
        throw explainError(err, `the lookup Lambda ${name}`);
      }
      const text = r.Payload ? new TextDecoder().decode(r.Payload) : '';
      if (r.FunctionError) throw new CliError(`the lookup Lambda ${name} failed (${r.FunctionError}): ${text}`);
      return checkAnswer(text ? JSON.parse(text) : null, `the lookup Lambda ${name}`);
    },
    close: () => lambda.destroy(),
  };
}

/**
 * Asks the lookup until it answers `region` (every `pollMs`, at most `timeoutMs`); resolves the last answer and the
 * time it took. `onWait` is told each answer that is not yet the wanted one.
 */
export async function waitForLookup(
  lookup: LookupClient,
  region: string,
  o: { io: Io; pollMs: number; timeoutMs: number; onWait?(a: LookupAnswer, elapsedMs: number): void },
): Promise<{ answer: LookupAnswer; elapsedMs: number; ok: boolean }> {
  const start = o.io.now().getTime();
  for (;;) {
    const answer = await lookup.ask();
    const elapsedMs = o.io.now().getTime() - start;
    if (answer.lexRegion === region) return { answer, elapsedMs, ok: true };
    if (elapsedMs >= o.timeoutMs) return { answer, elapsedMs, ok: false };
    o.onWait?.(answer, elapsedMs);
    await o.io.sleep(Math.min(o.pollMs, Math.max(1, o.timeoutMs - elapsedMs)));
  }
}
