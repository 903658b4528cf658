/**
 * `lexdr --aws drill` against the deployed-stack double (cli-aws-double.ts): StartSyncExecution with the drill input
 * and the decision read back, or StartExecution when detached; the exit codes when the drill fails or times out.
 */
import { calls, EXEC_PREFIX, FLAGS, SM, double, endpoint, lexdr, useAwsDouble } from './cli-aws-double';

useAwsDouble();

describe('lexdr --aws against a deployed-stack double', () => {
  it('drill: StartSyncExecution with the drill input (no DescribeExecution, which Express refuses), the decision and a console link', async () => {
    const r = await lexdr([
      ...FLAGS,
      'drill',
      '--fail',
      'us-east-1',
      '--cycles',
      '3',
      '--reason',
      'game day',
      '--wait',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const start = calls.find((c) => c.target === 'AWSStepFunctions.StartSyncExecution')!;
    expect(start.body.stateMachineArn).toBe(SM);
    // A custom endpoint gets no `sync-` host prefix.
    expect(start.host).toBe(endpoint.replace('http://', ''));
    expect(start.body.name).toMatch(/^lexdr-cli-/);
    expect(JSON.parse(start.body.input as string)).toEqual({
      drill: { failRegions: ['us-east-1'], reason: 'game day' },
      cycles: 3,
    });
    expect(calls.filter((c) => c.target.startsWith('AWSStepFunctions.')).map((c) => c.target)).toEqual([
      'AWSStepFunctions.StartSyncExecution',
    ]);
    const get = calls.find((c) => c.target === 'DynamoDB_20120810.GetItem')!;
    expect(get.body).toMatchObject({
      TableName: 'lexDR',
      Key: { connectRegion: { S: 'us-east-1' } },
      ConsistentRead: true,
    });
    const query = calls.find((c) => c.target === 'DynamoDB_20120810.Query')!;
    expect(query.body).toMatchObject({
      TableName: 'lexDR-history',
      KeyConditionExpression: 'connectRegion = :c AND changeId >= :since',
    });
    expect(r.out).toContain('lexDR: us-east-1 → us-west-2');
    expect(r.out).toContain('Recorded: us-east-1 → us-west-2 (failover)');
    expect(r.out).toContain(
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXEC_PREFIX}`,
    );
    expect(calls.some((c) => c.target.startsWith('CloudFormation'))).toBe(false);
  });

  it('drill --wait exits 1 when the active region is still a drilled region', async () => {
    const r = await lexdr([...FLAGS, 'drill', '--fail', 'us-west-2', '--wait']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('drill failed: the active region is still us-west-2');
  });

  it('drill exits 1 when the execution is still running at --timeout', async () => {
    double.syncMs = 3000;
    const r = await lexdr([...FLAGS, 'drill', '--fail', 'us-east-1', '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('still running after 1s');
  });

  it('drill --detach: StartExecution and nothing else from Step Functions', async () => {
    const r = await lexdr([...FLAGS, 'drill', '--fail', 'us-east-1', '--detach']);
    expect(r.code).toBe(0);
    expect(calls.filter((c) => c.target.startsWith('AWSStepFunctions.')).map((c) => c.target)).toEqual([
      'AWSStepFunctions.StartExecution',
    ]);
    expect(r.out).toContain(
      `Console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXEC_PREFIX}`,
    );
  });
});
