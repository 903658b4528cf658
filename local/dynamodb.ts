/** A local DynamoDB (dynalite, in-process) with lexdr's two tables. */
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import { LOCAL_CREDENTIALS, closeServer, listen } from './http';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (o: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}) => Server;

export interface LocalDynamo {
  url: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** Creates lexDR (connectRegion) and the history table (connectRegion, changeId) if missing. */
export async function createTables(client: DynamoDBClient, tableName: string, historyTableName: string): Promise<void> {
  const create = async (cmd: CreateTableCommand) => {
    try {
      await client.send(cmd);
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
  };
  await create(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'connectRegion', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'connectRegion', KeyType: 'HASH' }],
    }),
  );
  await create(
    new CreateTableCommand({
      TableName: historyTableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'connectRegion', AttributeType: 'S' },
        { AttributeName: 'changeId', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'connectRegion', KeyType: 'HASH' },
        { AttributeName: 'changeId', KeyType: 'RANGE' },
      ],
    }),
  );
}

export async function startLocalDynamo(o: {
  tableName: string;
  historyTableName: string;
  port?: number;
  host?: string;
  region?: string;
}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const url = await listen(server, o.port ?? 0, o.host ?? '127.0.0.1');
  const client = new DynamoDBClient({ endpoint: url, region: o.region ?? 'us-east-1', credentials: LOCAL_CREDENTIALS });
  await createTables(client, o.tableName, o.historyTableName);
  return {
    url,
    client,
    close: async () => {
      client.destroy();
      await closeServer(server);
    },
  };
}
