/**
 * The health-check stack's DR tables: lexDR and its history, the seed, the settings item and who may write them.
 */
import { tableId, template } from './health-check-fixture';
import { flat } from './template-helpers';

describe('DR tables', () => {
  test('lexDR is on demand, point-in-time recoverable, encrypted and retained except by a failed create', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: 'lexDR',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'connectRegion', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: false,
      },
    });
  });

  test('the history table has connectRegion + changeId keys and the same protection', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: 'lexDR-history',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'connectRegion', KeyType: 'HASH' },
          { AttributeName: 'changeId', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  test('the seed creates {connectRegion, lexRegion: primary} only when absent, on create and on update', () => {
    const seeds = Object.values(template.findResources('Custom::LexdrSeed'));
    expect(seeds).toHaveLength(1);
    for (const key of ['Create', 'Update']) {
      const call = flat(seeds[0]!.Properties[key]);
      expect(call).toContain('"action":"putItem"');
      expect(call).toContain('"ConditionExpression":"attribute_not_exists(connectRegion)"');
      expect(call).toContain('"Item":{"connectRegion":{"S":"us-east-1"},"lexRegion":{"S":"us-east-1"}}');
      expect(call).toContain('"ignoreErrorCodesMatching":"ConditionalCheckFailedException"');
      expect(call).toContain(`"TableName":"<Ref:${tableId}>"`);
    }
  });

  test('the deploy-time writer may only PutItem on the DR table, and Put/DeleteItem on the settings item', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter(
      (p) => JSON.stringify(p).includes('dynamodb:PutItem') && JSON.stringify(p.Properties.Roles).includes('AWS679f'),
    );
    expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      { Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
      {
        Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1#settings'] } },
      },
    ]);
  });

  test('the settings item holds every bot region, is written on create and update, deleted with the stack', () => {
    const writers = Object.values(template.findResources('Custom::LexdrSettings'));
    expect(writers).toHaveLength(1);
    for (const key of ['Create', 'Update']) {
      const call = flat(writers[0]!.Properties[key]);
      expect(call).toContain('"action":"putItem"');
      expect(call).toContain('"connectRegion":{"S":"us-east-1#settings"}');
      expect(call).not.toContain('ConditionExpression');
      expect(call).toContain('\\"connectRegion\\":\\"us-east-1\\"');
      expect(call).toContain('\\"regions\\":[\\"us-east-1\\",\\"us-west-2\\"]');
      expect(call).toContain('\\"cyclesPerExecution\\":10');
      expect(call).toMatch(/\\"botAliasArn\\":\\"arn:aws:lex:us-west-2:111111111111:bot-alias\/<ExportsReader/);
    }
    const del = flat(writers[0]!.Properties.Delete);
    expect(del).toContain('"action":"deleteItem"');
    expect(del).toContain('"Key":{"connectRegion":{"S":"us-east-1#settings"}}');
  });
});
