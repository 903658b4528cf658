/**
 * The local DynamoDB keeps its tables on disk when given a directory (`npm start` uses .lexdr/dynamodb/): a
 * restart keeps lexDR, its counters and pin, and the whole history. And the local scheduler can deliver an
 * execution twice, overlapping, as Express's at-least-once delivery may.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { FAST, startFast } from './system-fixture';

describe('persistence across restarts', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lexdr-data-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a restart on the same directory keeps lexDR, its counters and pin, and the history', async () => {
    const a = await startFast(FAST, { dataDir: dir });
    let before;
    let history;
    try {
      const r = await a.runExecution({ drill: { failRegions: ['us-east-1'] }, cycles: 2 });
      expect(r.status).toBe('SUCCEEDED');
      await a.dynamo.client.send(
        new UpdateItemCommand({
          TableName: a.config.tableName,
          Key: { connectRegion: { S: 'us-east-1' } },
          UpdateExpression: 'SET pin = :p',
          ExpressionAttributeValues: {
            ':p': {
              M: {
                region: { S: 'us-west-2' },
                until: { S: '2099-01-01T00:00:00.000Z' },
                by: { S: 'alice' },
                reason: { S: 'test' },
              },
            },
          },
        }),
      );
      before = await a.readItem();
      history = await a.history();
      expect(before?.lexRegion).toBe('us-west-2');
      expect(history.length).toBeGreaterThan(0);
    } finally {
      await a.close();
    }
    const b = await startFast(FAST, { dataDir: dir });
    try {
      expect(await b.readItem()).toEqual(before);
      expect(await b.history()).toEqual(history);
    } finally {
      await b.close();
    }
  });

  it('another (empty) directory starts empty, as `npm start -- --fresh` does', async () => {
    const a = await startFast(FAST, { dataDir: dir });
    try {
      expect(await a.readItem()).toBeNull();
      expect(await a.history()).toEqual([]);
    } finally {
      await a.close();
    }
  });
});

describe('at-least-once delivery', () => {
  it('delivers an execution twice, overlapping, with the same ARN, input and start', async () => {
    const sys = await startFast(FAST, { atLeastOnce: { rate: 1 } });
    try {
      const ends: number[] = [];
      const off = sys.onEvent((e) => {
        if (e.type === 'execution') ends.push(Date.now());
      });
      const r = await sys.runExecution({ drill: { failRegions: ['us-east-1'] }, cycles: 2 });
      off();
      expect(sys.redeliveries()).toBe(1);
      const both = sys.executions.filter((x) => x.executionArn === r.executionArn);
      expect(both).toHaveLength(2);
      expect(both[0]!.startedAt).toBe(both[1]!.startedAt);
      expect(both[0]!.input).toEqual(both[1]!.input);
      // Overlapping: the second started before the first ended.
      expect(Date.parse(both[1]!.startedAt)).toBeLessThanOrEqual(Date.parse(both[0]!.stoppedAt));
      expect(ends).toHaveLength(2);
      // What the workflow guarantees under a redelivery: one region change recorded, lexDR moved once.
      expect(both.map((x) => x.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect((await sys.readItem())?.lexRegion).toBe('us-west-2');
      expect((await sys.history()).filter((c) => c.to === 'us-west-2')).toHaveLength(1);
    } finally {
      await sys.close();
    }
  });

  it('delivers none twice at rate 0, and refuses a rate outside 0–1', async () => {
    const sys = await startFast(FAST, { atLeastOnce: { rate: 0 } });
    try {
      await sys.runExecution({ cycles: 1 });
      expect(sys.redeliveries()).toBe(0);
      expect(sys.executions).toHaveLength(1);
    } finally {
      await sys.close();
    }
    await expect(startFast(FAST, { atLeastOnce: { rate: 2 } })).rejects.toThrow(/must be 0–1/);
  });
});
