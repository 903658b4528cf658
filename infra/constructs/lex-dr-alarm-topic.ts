import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/**
 * lexdr's own alarm topic, created in `scope` as `AlarmTopicKey` and `AlarmTopic` (construct IDs that name deployed
 * resources: keep them): encrypted with its own rotating key, SSL only, and CloudWatch alarms of this account and
 * region allowed to publish — through the topic policy and the key policy both.
 */
export function createAlarmTopic(scope: Construct): sns.Topic {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, 'AlarmTopicKey', {
    description: 'lexdr alarm topic encryption',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  );
  const topic = new sns.Topic(scope, 'AlarmTopic', {
    displayName: 'lexdr alarms',
    masterKey: key,
    enforceSSL: true,
  });
  // enforceSSL writes a topic policy, and a topic policy replaces SNS's default one: without this statement
  // nothing allows CloudWatch to publish, and every alarm notification fails silently (alarm history only).
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
      },
    }),
  );
  return topic;
}
