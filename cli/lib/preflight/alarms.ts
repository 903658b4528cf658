/**
 * Preflight: the alarm notifications — a given topic exists, its policy lets CloudWatch alarms publish (a topic policy
 * replaces SNS's default one), and an encrypted topic's key lets CloudWatch use it; an alarm e-mail needs confirming.
 */
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { arnRegion } from '../../../infra/config';
import type { LexdrConfig } from '../../../infra/config';
import { STACK_NAMES } from '../../../core/contract';
import { alarmPublishContext, evaluateServiceRequest } from '../../../core/resource-policy';
import type { PolicyDecision } from '../../../core/resource-policy';
import type { AwsAccess } from '../aws-access';
import { using } from '../aws-access';
import type { CheckResult } from '../checks';
import { errorName, fail, guarded, info, isAccessDenied, pass, warn } from '../checks';

/** The topic-policy statement preflight asks for: CloudWatch alarms of `account` may publish to the topic. */
export const alarmTopicStatement = (topicArn: string, account: string) => ({
  Sid: 'AllowCloudWatchAlarms',
  Effect: 'Allow',
  Principal: { Service: 'cloudwatch.amazonaws.com' },
  Action: 'sns:Publish',
  Resource: topicArn,
  Condition: { StringEquals: { 'aws:SourceAccount': account } },
});

function policyProblem(d: PolicyDecision, what: string): string | undefined {
  if (d.effect === 'allow') return undefined;
  if (d.effect === 'deny') return `statement ${d.statement} of ${what} denies it`;
  if (d.effect === 'none') return `no statement of ${what} allows it`;
  return `statement ${d.statement} is ${d.reason}`;
}

/** `alarmTopicArn`: CloudWatch alarms may publish to the topic and use its key; `alarmEmail`: confirm it. */
export async function alarmChecks(aws: AwsAccess, config: LexdrConfig, account: string): Promise<CheckResult[]> {
  const C = 'alarms';
  const out: CheckResult[] = [];
  if (config.alarmEmail)
    out.push(
      info(
        C,
        `alarmEmail ${config.alarmEmail}: SNS sends a confirmation e-mail during the deploy; alarms reach it only once its link is followed (\`npx lexdr verify\` sends a test notification)`,
      ),
    );
  if (!config.alarmTopicArn) {
    if (!config.alarmEmail)
      out.push(
        info(
          C,
          'no alarmEmail or alarmTopicArn: the alarms notify a new topic nobody subscribes to',
          undefined,
          'set alarmEmail',
        ),
      );
    return out;
  }
  const topicArn = config.alarmTopicArn;
  const region = arnRegion(topicArn);
  const topicAccount = topicArn.split(':')[4] ?? account;
  const topicName = topicArn.split(':').pop()!;
  const checked = await guarded(C, region, `alarm topic ${topicName}`, 'sns:GetTopicAttributes', () =>
    using(new SNSClient(aws.config(region)), async (sns) => {
      let attributes: Record<string, string>;
      try {
        attributes = (await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes ?? {};
      } catch (err) {
        if (/NotFound/.test(errorName(err)))
          return [
            fail(
              C,
              `alarm topic ${topicName} does not exist`,
              'alarmTopicArn (an SNS topic of this account), or leave it out for a new topic',
              region,
            ),
          ];
        throw err;
      }
      const results: CheckResult[] = [];
      const fix = `add this statement to the topic policy of ${topicName} (a topic policy replaces SNS's default one): ${JSON.stringify(alarmTopicStatement(topicArn, account))}`;
      for (const connectRegion of config.connectRegions) {
        const alarmArn = `arn:aws:cloudwatch:${connectRegion}:${account}:alarm:${STACK_NAMES.healthCheck(connectRegion)}-NotificationTest`;
        const context = alarmPublishContext(account, alarmArn);
        const d = attributes.Policy
          ? evaluateServiceRequest(attributes.Policy, {
              service: 'cloudwatch.amazonaws.com',
              action: 'sns:Publish',
              resource: topicArn,
              context,
            })
          : ({ effect: 'none' } as const);
        const problem = policyProblem(d, 'the topic policy');
        const from = config.connectRegions.length > 1 ? ` (alarms of ${connectRegion})` : '';
        if (!problem)
          results.push(
            pass(
              C,
              `alarm topic ${topicName}: its policy lets CloudWatch alarms publish${from} (statement ${(d as { statement: string }).statement})`,
              region,
            ),
          );
        else if (d.effect === 'unknown')
          results.push(
            warn(
              C,
              `alarm topic ${topicName}: cannot tell whether CloudWatch alarms may publish${from}: ${problem}`,
              fix,
              region,
            ),
          );
        else
          results.push(
            fail(
              C,
              `alarm topic ${topicName}: CloudWatch alarms may not publish to it${from}: ${problem} (alarms change state, nobody hears)`,
              fix,
              region,
            ),
          );
      }
      if (topicAccount !== account)
        results.push(
          warn(
            C,
            `alarm topic ${topicName} belongs to account ${topicAccount}, not ${account}`,
            'alarmTopicArn',
            region,
          ),
        );
      const keyId = attributes.KmsMasterKeyId;
      if (keyId) results.push(...(await keyChecks(aws, region, keyId, topicName, account)));
      return results;
    }),
  );
  return [...out, ...checked];
}

/** The key of an encrypted alarm topic: CloudWatch must be allowed kms:Decrypt and kms:GenerateDataKey*. */
async function keyChecks(
  aws: AwsAccess,
  region: string,
  keyId: string,
  topicName: string,
  account: string,
): Promise<CheckResult[]> {
  const C = 'alarms';
  const need = 'its key policy must allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*';
  const cmkFix = `encrypt topic ${topicName} with a customer managed key whose policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*`;
  if (/(^|:)alias\/aws\/sns$/.test(keyId))
    return [
      fail(
        C,
        `alarm topic ${topicName} is encrypted with the AWS managed key alias/aws/sns, whose policy CloudWatch cannot use`,
        cmkFix,
        region,
      ),
    ];
  return using(new KMSClient(aws.config(region)), async (kms) => {
    let policy: string | undefined;
    try {
      const meta = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
      if (meta?.KeyManager === 'AWS')
        return [
          fail(
            C,
            `alarm topic ${topicName} is encrypted with an AWS managed key (${keyId}), whose policy CloudWatch cannot use`,
            cmkFix,
            region,
          ),
        ];
      policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: meta?.KeyId ?? keyId, PolicyName: 'default' }))).Policy;
    } catch (err) {
      if (isAccessDenied(err))
        return [
          info(
            C,
            `alarm topic ${topicName} is encrypted with KMS key ${keyId}: ${need} (cannot read it: ${errorName(err)})`,
            region,
          ),
        ];
      if (/NotFound/.test(errorName(err)))
        return [
          fail(
            C,
            `alarm topic ${topicName} is encrypted with KMS key ${keyId}, which does not exist here`,
            cmkFix,
            region,
          ),
        ];
      throw err;
    }
    const context = alarmPublishContext(account, `arn:aws:cloudwatch:${region}:${account}:alarm:*`);
    const problems = ['kms:Decrypt', 'kms:GenerateDataKey'].flatMap((action) => {
      const d = evaluateServiceRequest(policy ?? '{}', {
        service: 'cloudwatch.amazonaws.com',
        action,
        resource: '*',
        context,
      });
      const p = policyProblem(d, 'the key policy');
      return p ? [{ action, p, unknown: d.effect === 'unknown' }] : [];
    });
    const keyFix = `add to the policy of key ${keyId}: {"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}`;
    if (problems.length === 0)
      return [
        pass(C, `alarm topic ${topicName}: key ${keyId} lets CloudWatch alarms encrypt their notifications`, region),
      ];
    const text = problems.map((x) => `${x.action}: ${x.p}`).join('; ');
    return problems.every((x) => x.unknown)
      ? [
          warn(
            C,
            `alarm topic ${topicName}: cannot tell whether key ${keyId} lets CloudWatch use it (${text})`,
            keyFix,
            region,
          ),
        ]
      : [
          fail(
            C,
            `alarm topic ${topicName}: key ${keyId} does not let CloudWatch alarms use it (${text})`,
            keyFix,
            region,
          ),
        ];
  });
}
