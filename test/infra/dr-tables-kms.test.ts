/**
 * A customer managed key for the DR tables: whoever the tables grant a read or a write to can use it (without the
 * grant, passing a key would break every reader and the workflow's writes).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DrTables } from '../../infra/constructs/dr-tables';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };

function tablesWith(key: boolean) {
  const stack = new Stack(new App(), 'Kms', { env: { account: '111111111111', region: 'us-east-1' } });
  const tables = new DrTables(stack, 'Tables', {
    tableName: 'lexDR',
    historyTableName: 'lexDR-history',
    connectRegion: 'us-east-1',
    primaryRegion: 'us-east-1',
    ...(key && { encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) }),
  });
  const role = new iam.Role(stack, 'Grantee', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const statements = (): Statement[] =>
    Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('Grantee'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  return { tables, role, statements };
}

const actions = (s: Statement) => [s.Action].flat();
const kmsActions = (statements: Statement[]) =>
  statements
    .filter((s) => JSON.stringify(s.Resource).includes('Key'))
    .flatMap(actions)
    .sort();

test('grantReadItems also grants kms:Decrypt on the tables’ customer managed key', () => {
  const { tables, role, statements } = tablesWith(true);
  tables.grantReadItems(role, { lexDR: true, settings: true });
  const kmsStatement = statements().find((s) => actions(s).includes('kms:Decrypt'));
  expect(kmsStatement).toBeDefined();
  expect(JSON.stringify(kmsStatement!.Resource)).toContain('Key');
  expect(statements().find((s) => actions(s).includes('dynamodb:GetItem'))).toBeDefined();
});

test('grantReadItems: GetItem on the named items and kms:Decrypt only', () => {
  const { tables, role, statements } = tablesWith(true);
  tables.grantReadItems(role, { lexDR: true, sid: 'ReadDrItem' });
  expect(statements().find((s) => s.Sid === 'ReadDrItem')?.Action).toBe('dynamodb:GetItem');
  expect(kmsActions(statements())).toEqual(['kms:Decrypt']);
});

test('grantDecisionWrites: the DR table and the history table, encrypting and decrypting with the key', () => {
  const { tables, role, statements } = tablesWith(true);
  tables.grantDecisionWrites(role);
  expect(actions(statements().find((s) => s.Sid === 'ReadAndUpdateDrItem')!).sort()).toEqual([
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
  ]);
  expect(statements().find((s) => s.Sid === 'AppendRegionChange')?.Action).toBe('dynamodb:PutItem');
  expect(kmsActions(statements())).toEqual(
    ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'].sort(),
  );
});

test('without a customer managed key the grants name no key', () => {
  const { tables, role, statements } = tablesWith(false);
  tables.grantReadItems(role, { lexDR: true });
  tables.grantDecisionWrites(role);
  expect(
    statements()
      .flatMap(actions)
      .filter((a) => a.startsWith('kms:')),
  ).toEqual([]);
  expect(statements().map((s) => s.Sid)).toEqual([undefined, 'ReadAndUpdateDrItem', 'AppendRegionChange']);
});
