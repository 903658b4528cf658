/**
 * A customer managed key for the DR tables: whoever the tables grant a read to can decrypt with it (without the
 * grant, passing a key would break every reader).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DrTables } from '../../infra/constructs/dr-tables';

test('grantReadItems also grants kms:Decrypt on the tables’ customer managed key', () => {
  const stack = new Stack(new App(), 'Kms', { env: { account: '111111111111', region: 'us-east-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const tables = new DrTables(stack, 'Tables', {
    tableName: 'lexDR',
    historyTableName: 'lexDR-history',
    connectRegion: 'us-east-1',
    primaryRegion: 'us-east-1',
    encryptionKey: key,
  });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  tables.grantReadItems(reader, { lexDR: true, settings: true });
  const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('Reader'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
  const kmsStatement = statements.find((s) => [s.Action].flat().includes('kms:Decrypt'));
  expect(kmsStatement).toBeDefined();
  expect(JSON.stringify(kmsStatement!.Resource)).toContain('Key');
  expect(statements.find((s) => [s.Action].flat().includes('dynamodb:GetItem'))).toBeDefined();
});
