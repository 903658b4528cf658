/**
 * The lexDR item: one per Connect region (partition key `connectRegion`, seed-compatible `lexRegion`). Its types,
 * the `err` value, reading it from DynamoDB attribute values and marshalling its parts — used alike by the workflow,
 * the lookup, the CLI and the local system, so there is one reading of the table.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

export * from './dr-item-read';

/** A DynamoDB map attribute of a value, or NULL for null. */
export const mapOrNull = (v: object | null | undefined): AttributeValue =>
  v ? { M: marshall(v, { removeUndefinedValues: true }) } : { NULL: true };
export const S = (s: string): AttributeValue => ({ S: s });
export const N = (n: number): AttributeValue => ({ N: String(n) });
