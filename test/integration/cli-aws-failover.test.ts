/**
 * `lexdr --aws failover` and `failback` against the deployed-stack double (cli-aws-double.ts): the pin written with
 * UpdateItem, conditionally removed, or not written at all; and `fault`, which the CLI refuses on AWS.
 */
import { calls, double, FLAGS, lexdr, useAwsDouble } from './cli-aws-double';

useAwsDouble();

describe('lexdr --aws against a deployed-stack double', () => {
  it('failover: UpdateItem sets the pin and bumps the version', async () => {
    const r = await lexdr([
      ...FLAGS,
      'failover',
      '--to',
      'us-west-2',
      '--for',
      '2h',
      '--reason',
      'maintenance',
      '--by',
      'alice',
      '--yes',
    ]);
    expect(r.code).toBe(0);
    const u = calls.find((c) => c.target === 'DynamoDB_20120810.UpdateItem')!;
    expect(u.body).toMatchObject({
      TableName: 'lexDR',
      Key: { connectRegion: { S: 'us-east-1' } },
      UpdateExpression: 'SET pin = :pin, version = if_not_exists(version, :zero) + :one',
      ExpressionAttributeValues: {
        ':zero': { N: '0' },
        ':one': { N: '1' },
        ':pin': { M: { region: { S: 'us-west-2' }, by: { S: 'alice' }, reason: { S: 'maintenance' } } },
      },
    });
    const until = (u.body.ExpressionAttributeValues as Record<string, { M: { until: { S: string } } }>)[':pin']!.M.until
      .S;
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(119 * 60_000);
    expect(r.out).toContain(
      'Callers stay on us-east-1 until the next health-check cycle applies it and moves them to us-west-2 (recorded in the history as "pinned")',
    );
  });

  it('failback: a conditional UpdateItem removes the pin and bumps the version; without a pin it writes nothing', async () => {
    const none = await lexdr([...FLAGS, 'failback', '--yes']);
    expect(none.code).toBe(0);
    expect(none.out).toContain('nothing to do');
    expect(calls.some((c) => c.target === 'DynamoDB_20120810.UpdateItem')).toBe(false);

    double.pinned = true;
    const r = await lexdr([...FLAGS, 'failback', '--yes']);
    expect(r.code).toBe(0);
    // Callers are on the primary; the pin to us-west-2 was not applied yet: only the pin goes, on the version read.
    expect(r.out).toContain('Pin to us-west-2 removed before the workflow applied it. Callers stay on us-east-1.');
    expect(calls.find((c) => c.target === 'DynamoDB_20120810.UpdateItem')!.body).toEqual({
      TableName: 'lexDR',
      Key: { connectRegion: { S: 'us-east-1' } },
      UpdateExpression: 'SET pin = :null, version = :next',
      ConditionExpression:
        'attribute_not_exists(version) OR version = :expected OR NOT attribute_type(version, :number)',
      ExpressionAttributeValues: {
        ':expected': { N: '7' },
        ':next': { N: '8' },
        ':number': { S: 'N' },
        ':null': { NULL: true },
      },
    });
  });

  it('failback refuses while the primary fails its probes, and writes nothing', async () => {
    double.lexRegion = 'us-west-2';
    const r = await lexdr([...FLAGS, 'failback', '--yes']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('not failing back: us-east-1 failed its latest probe (drill; 2 consecutive failures)');
    expect(calls.some((c) => c.target === 'DynamoDB_20120810.UpdateItem')).toBe(false);
  });

  it('failback without --yes on a non-terminal exits 2 and writes nothing', async () => {
    double.pinned = true;
    const r = await lexdr([...FLAGS, 'failback']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('pass --yes');
    expect(calls.some((c) => c.target === 'DynamoDB_20120810.UpdateItem')).toBe(false);
  });

  it('fault is refused on AWS (exit 2)', async () => {
    const r = await lexdr([...FLAGS, 'fault', 'us-east-1', 'down']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('local system only');
  });
});
