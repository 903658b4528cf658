/** What a resource policy lets CloudWatch alarms do: the evaluation preflight and the local CloudWatch rely on. */
import { alarmPublishContext, evaluateServiceRequest, PolicyDocumentError } from '../../core/resource-policy';
import { alarmTopicStatement, enforceSslStatement, policyDocument } from '../topic-policy-fixture';

const ACCOUNT = '111122223333';
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:alarms`;
const ALARM = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:Lexdr-HealthCheck-us-east-1-NotificationTest`;
const publish = (policy: unknown, context = alarmPublishContext(ACCOUNT, ALARM)) =>
  evaluateServiceRequest(policy, {
    service: 'cloudwatch.amazonaws.com',
    action: 'sns:Publish',
    resource: TOPIC,
    context,
  });

/** CDK's enforceSSL statement, its principal in the `{ AWS: '*' }` form. */
const enforceSsl = { ...enforceSslStatement(TOPIC), Principal: { AWS: '*' } };
/** The statement preflight asks for, written with lists and upper case, and scoped to this account's alarms. */
const allowAlarms = {
  ...alarmTopicStatement(TOPIC, ACCOUNT),
  Sid: 'Alarms',
  Principal: { Service: ['cloudwatch.amazonaws.com'] },
  Action: ['SNS:Publish'],
  Condition: {
    StringEquals: { 'aws:SourceAccount': ACCOUNT },
    ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:*` },
  },
};

describe('evaluateServiceRequest', () => {
  it("denies implicitly under CDK's enforceSSL policy alone: it replaced SNS's default policy", () => {
    expect(publish(policyDocument(enforceSsl))).toEqual({ effect: 'none' });
  });

  it('allows with a statement for the CloudWatch service principal whose conditions hold', () => {
    expect(publish(policyDocument(enforceSsl, allowAlarms))).toEqual({ effect: 'allow', statement: 'Alarms' });
  });

  it("allows under SNS's default policy (any principal of the owning account)", () => {
    const defaultPolicy = policyDocument({
      Sid: '__default_statement_ID',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['SNS:GetTopicAttributes', 'SNS:Publish'],
      Resource: TOPIC,
      Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT } },
    });
    expect(publish(defaultPolicy)).toMatchObject({ effect: 'allow' });
  });

  it('does not allow alarms of another account or of another region', () => {
    expect(publish(policyDocument(allowAlarms), alarmPublishContext('999999999999', ALARM))).toEqual({
      effect: 'none',
    });
    expect(
      publish(policyDocument(allowAlarms), alarmPublishContext(ACCOUNT, ALARM.replace('us-east-1', 'eu-west-2'))),
    ).toEqual({
      effect: 'none',
    });
  });

  it('lets an explicit Deny win over an Allow', () => {
    const denyAll = { Sid: 'NoOne', Effect: 'Deny', Principal: '*', Action: 'sns:*', Resource: '*' };
    expect(publish(policyDocument(allowAlarms, denyAll))).toEqual({ effect: 'deny', statement: 'NoOne' });
  });

  it('matches actions case-insensitively with wildcards, and resources exactly', () => {
    const wide = {
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Pub*',
      Resource: `${TOPIC}-other`,
    };
    expect(publish(policyDocument(wide))).toEqual({ effect: 'none' });
    expect(publish(policyDocument({ ...wide, Resource: 'arn:aws:sns:*:*:alarms' }))).toEqual({
      effect: 'allow',
      statement: '#1',
    });
  });

  it('says unknown, never a guess, for a condition it cannot evaluate', () => {
    const orgOnly = { ...allowAlarms, Condition: { StringEquals: { 'aws:SourceOrgID': 'o-abc' } } };
    expect(publish(policyDocument(orgOnly))).toEqual({
      effect: 'unknown',
      statement: 'Alarms',
      reason: 'an Allow whose conditions cannot be evaluated here',
    });
    const notPrincipal = { Effect: 'Deny', NotPrincipal: { AWS: 'x' }, Action: '*', Resource: '*' };
    expect(publish(policyDocument(allowAlarms, notPrincipal))).toMatchObject({ effect: 'unknown' });
  });

  it('refuses what is not a policy document', () => {
    expect(() => publish('{not json')).toThrow(PolicyDocumentError);
    expect(() => publish('{}')).toThrow(PolicyDocumentError);
  });
});
