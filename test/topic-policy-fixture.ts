/**
 * SNS topic policies as the tests write them: the statement CDK's `enforceSSL` writes, and the statement
 * `lexdr preflight` asks for so that CloudWatch alarms may publish (a topic policy replaces SNS's default one).
 */
import { alarmTopicStatement } from '../cli/lib/preflight/alarms';

export { alarmTopicStatement };

/** The statement CDK's `enforceSSL` writes: no publishing over plain HTTP. */
export const enforceSslStatement = (topicArn: string) => ({
  Sid: 'EnforceSSL',
  Effect: 'Deny',
  Principal: '*',
  Action: 'sns:Publish',
  Resource: topicArn,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

/** A policy document of these statements, as the `Policy` attribute holds it. */
export const policyDocument = (...Statement: unknown[]): string => JSON.stringify({ Version: '2012-10-17', Statement });
