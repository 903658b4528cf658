/**
 * The health-check stack's alarms, their topic and the dashboard.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { fnId, template } from './health-check-fixture';
import { flat, logicalId } from './template-helpers';

describe('alarms', () => {
  const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const topicRef = () => ({ Ref: logicalId(template, 'AWS::SNS::Topic', 'AlarmTopic') });

  test('an encrypted, TLS-only topic with the e-mail subscription gets every alarm and OK', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    for (const a of alarms()) {
      expect(a.AlarmActions).toEqual([topicRef()]);
      expect(a.OKActions).toEqual([topicRef()]);
    }
  });

  test('the topic policy lets CloudWatch alarms of this account and region publish (it replaces SNS’s default)', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    const allows = (policies[0]!.Properties.PolicyDocument.Statement as Record<string, unknown>[]).filter(
      (s) => s.Effect === 'Allow',
    );
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topicRef(),
      }),
    ]);
    const condition = allows[0]!.Condition as Record<string, Record<string, unknown>>;
    expect(condition.StringEquals!['aws:SourceAccount']).toBeDefined();
    expect(flat(condition.ArnLike!['aws:SourceArn'])).toMatch(/^arn:aws:cloudwatch:us-east-1:.+:alarm:\*$/);
  });

  test('a notification-test alarm that nothing publishes to, for `lexdr verify`, named in an output', () => {
    const id = logicalId(template, 'AWS::CloudWatch::Alarm', 'AlarmsNotificationTest');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NotificationTest',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
    });
    expect(template.toJSON().Outputs.NotificationTestAlarmName.Value).toEqual({ Ref: id });
  });

  test('no healthy region: NoHealthyRegion max ≥ 1', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'lexdr-test',
      MetricName: 'NoHealthyRegion',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'ConnectRegion', Value: 'us-east-1' }],
    });
  });

  test('running on a non-primary region: ActiveRegionIndex max ≥ 1', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ActiveRegionIndex',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test.each(['us-east-1', 'us-west-2'])('probes failing in %s: ProbeSuccess average < 1 for 3 minutes', (region) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ProbeSuccess',
      Statistic: 'Average',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Dimensions: [
        { Name: 'Bot', Value: 'OrderFlowers' },
        { Name: 'ConnectRegion', Value: 'us-east-1' },
        { Name: 'Region', Value: region },
      ],
    });
  });

  test.each(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionThrottled'])('workflow %s ≥ 1', (metric) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: metric,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('health check not running: ActiveRegionIndex SampleCount, missing data breaching, actions on', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ActiveRegionIndex',
      Statistic: 'SampleCount',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      ActionsEnabled: true,
    });
  });

  test('lookup errors ≥ 1 and lookup p99 duration > 2000 ms', () => {
    const lookup = { Name: 'FunctionName', Value: { Ref: fnId('LookupFunction') } };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [lookup],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Threshold: 2000,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [lookup],
    });
  });

  test('health check blind: the sum of ProbeErrors over every region ≥ 1 for 2 minutes', () => {
    const blind = alarms().find((a) => String(a.AlarmDescription).includes('probes could not run'));
    expect(blind).toMatchObject({ Threshold: 1, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    const metrics = blind!.Metrics as { Id: string; Expression?: string; MetricStat?: { Metric: unknown } }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('SUM([r0, r1])');
    expect(metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric)).toEqual([
      expect.objectContaining({
        MetricName: 'ProbeErrors',
        Dimensions: expect.arrayContaining([{ Name: 'Region', Value: 'us-east-1' }]),
      }),
      expect.objectContaining({
        MetricName: 'ProbeErrors',
        Dimensions: expect.arrayContaining([{ Name: 'Region', Value: 'us-west-2' }]),
      }),
    ]);
  });

  test('twelve alarms for one bot in two regions (the notification test among them)', () => {
    expect(alarms()).toHaveLength(12);
  });
});

describe('dashboard', () => {
  const body = () =>
    flat(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);

  test('shows the health-check metrics', () => {
    for (const m of ['ActiveRegionIndex', 'ProbeSuccess', 'ProbeLatency', 'RegionChanges', 'NoHealthyRegion'])
      expect(body()).toContain(`"${m}"`);
    for (const m of [
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'Invocations',
      'Errors',
      'Duration',
    ])
      expect(body()).toContain(`"${m}"`);
  });

  test('shows Lex V2 runtime metrics with V2 dimensions, one widget set per region', () => {
    const b = body();
    for (const m of ['RuntimeRequestCount', 'RuntimeSystemErrors', 'RuntimeThrottledEvents', 'RuntimeRequestLatency'])
      expect(b).toContain(`"AWS/Lex","${m}","BotAliasId"`);
    for (const d of ['"BotAliasId"', '"LocaleId","en_US"', '"Operation","RecognizeText"', '"Operation","PutSession"'])
      expect(b).toContain(d);
    for (const region of ['us-east-1', 'us-west-2'])
      expect(b).toContain(`"title":"Lex V2 ${region}: RuntimeRequestCount (Sum)","region":"${region}"`);
    expect(b).toContain('"BotId","<ExportsReader'); // the us-west-2 bot's ID, read across regions
    expect(b).not.toContain('"BotName"'); // V1 dimension
  });
});
