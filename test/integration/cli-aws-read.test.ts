/**
 * What `lexdr --aws` reads from a deployed stack, against the double (cli-aws-double.ts): the status from the DynamoDB
 * item and the CloudWatch metrics, the history from the history table, and the ARN and table names from the stack's
 * outputs (DescribeStacks), with the exit code when the stack does not exist.
 */
import { calls, double, FLAGS, LOOKUP_ARN, lexdr, SM, useAwsDouble } from './cli-aws-double';

useAwsDouble();

describe('lexdr --aws against a deployed-stack double', () => {
  it('status: the item from DynamoDB and the last probes from CloudWatch metrics', async () => {
    const r = await lexdr([...FLAGS, 'status', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as {
      target: string;
      activeRegion: string;
      probes: { region: string; ok: boolean; latencyMs: number }[];
    };
    expect(s).toMatchObject({ target: 'aws', activeRegion: 'us-east-1' });
    expect(s.probes.map((p) => [p.region, p.ok, p.latencyMs])).toEqual([
      ['us-east-1', false, 120],
      ['us-west-2', true, 120],
    ]);
    const list = calls.find((c) => c.target === 'GraniteServiceVersion20100801.ListMetrics')!;
    expect(list.body).toMatchObject({ Namespace: 'lexdr', MetricName: 'ProbeSuccess' });
    const data = calls.find((c) => c.target === 'GraniteServiceVersion20100801.GetMetricData')!;
    const queries = data.body.MetricDataQueries as {
      MetricStat: { Metric: { MetricName: string; Dimensions: { Name: string }[] } };
    }[];
    const dims = (name: string) =>
      queries
        .filter((q) => q.MetricStat.Metric.MetricName === name)
        .map((q) => q.MetricStat.Metric.Dimensions.map((d) => d.Name).join());
    // Success per bot and region, latency per region (as the workflow publishes them).
    expect(dims('ProbeSuccess')).toEqual(['ConnectRegion,Bot,Region', 'ConnectRegion,Bot,Region']);
    expect(dims('ProbeLatency')).toEqual(['ConnectRegion,Region', 'ConnectRegion,Region']);
  });

  it('history: Query with changeId >= the --since time', async () => {
    const r = await lexdr([...FLAGS, 'history', '--since', '7d', '--json']);
    expect(r.code).toBe(0);
    const q = calls.find((c) => c.target === 'DynamoDB_20120810.Query')!;
    const since = (q.body.ExpressionAttributeValues as Record<string, { S: string }>)[':since']!.S;
    expect(Math.abs(Date.parse(since) - (Date.now() - 7 * 86_400_000))).toBeLessThan(60_000);
    expect(JSON.parse(r.out)).toEqual([expect.objectContaining({ reason: 'failover', drill: true })]);
  });

  it('resolves the ARN and tables from the stack outputs (DescribeStacks)', async () => {
    const r = await lexdr(['--stack', 'MyStack', 'drill', '--fail', 'us-east-1', '--json']);
    expect(r.code).toBe(0);
    expect(calls[0]).toMatchObject({ target: 'CloudFormation.DescribeStacks', body: { StackName: 'MyStack' } });
    expect(calls.find((c) => c.target === 'AWSStepFunctions.StartSyncExecution')!.body.stateMachineArn).toBe(SM);
    expect(calls.find((c) => c.target === 'DynamoDB_20120810.GetItem')!.body.TableName).toBe('lexdr-stack-DrTable');
    expect(calls.find((c) => c.target === 'DynamoDB_20120810.Query')!.body.TableName).toBe('lexdr-stack-History');
  });

  it('exits 3 with what to do when the stack does not exist', async () => {
    double.stackExists = false;
    const r = await lexdr(['drill', '--fail', 'us-east-1']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('stack Lexdr-HealthCheck-us-east-1 not found in us-east-1');
    expect(calls.some((c) => c.target === 'AWSStepFunctions.StartExecution')).toBe(false);
  });

  it('flow render --aws takes the lookup ARN from the stack output', async () => {
    const queue =
      'arn:aws:connect:us-east-1:123456789012:instance/11111111-1111-1111-1111-111111111111/queue/22222222-2222-2222-2222-222222222222';
    const r = await lexdr(['--stack', 'MyStack', 'flow', 'render', '--agent-queue-arn', queue]);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(calls[0]).toMatchObject({ target: 'CloudFormation.DescribeStacks', body: { StackName: 'MyStack' } });
    expect(r.out).toContain(LOOKUP_ARN);
    expect(r.out).toContain(queue);
  });
});
