import { reportWindowKey } from '../../core/caller-reports';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { settingsItem, settingsItemKey } from '../../core/settings';

/** Construct ID of the singleton function CDK creates for every AwsCustomResource in a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** Properties of {@link DrTables}. */
export interface DrTablesProps {
  /** Name of the table holding `connectRegion` → `lexRegion` (the Connect lookup reads it). */
  readonly tableName: string;
  /** Name of the table recording every region change (keys `connectRegion` + `changeId`). */
  readonly historyTableName: string;
  /** The Connect region: the partition key of the one item the seed creates. */
  readonly connectRegion: string;
  /** The primary bot region: the seed item's `lexRegion`, so the first call works before the first health check. */
  readonly primaryRegion: string;
  /**
   * The handlers' settings for this Connect region as JSON (may hold tokens), written on every deploy as the item
   * `<connectRegion>#settings` (core/settings.ts) that the health-check and lookup functions read.
   * @default - no settings item
   */
  readonly settingsJson?: string;
  /**
   * Turn on DynamoDB deletion protection for both tables (refuses DeleteTable from anyone, CloudFormation included).
   * Off for a stack's first create: a rollback must be able to delete the tables it just created, or the retry finds
   * them and fails with "already exists". Turn it on once the stack exists.
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * Customer managed key for both tables.
   * @default - AWS managed key (`aws/dynamodb`)
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The DR table and its history table (on demand, point-in-time recovery, encrypted, retained on stack deletion and
 * replacement but not by the rollback of the create that made them),
 * and a seed that creates `{connectRegion, lexRegion: <primary>}` only if the item does not exist: a redeploy
 * never overwrites the region the health check chose.
 */
export class DrTables extends Construct {
  public readonly table: dynamodb.Table;
  public readonly historyTable: dynamodb.Table;
  public readonly seed: cr.AwsCustomResource;
  /** Writes the settings item on create and update (and deletes it with the stack); set with `settingsJson`. */
  public readonly settingsWriter?: cr.AwsCustomResource;
  private readonly connectRegion: string;

  constructor(scope: Construct, id: string, props: DrTablesProps) {
    super(scope, id);
    this.connectRegion = props.connectRegion;
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Kept when the stack is deleted or a table replaced, deleted when the create that made it rolls back
      // (CloudFormation's RetainExceptOnCreate): a failed first deploy can simply be retried.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      deletionProtection: props.deletionProtection ?? false,
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    };
    this.table = new dynamodb.Table(this, 'Table', {
      ...common,
      tableName: props.tableName,
      partitionKey: { name: 'connectRegion', type: dynamodb.AttributeType.STRING },
    });
    this.historyTable = new dynamodb.Table(this, 'History', {
      ...common,
      tableName: props.historyTableName,
      partitionKey: { name: 'connectRegion', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'changeId', type: dynamodb.AttributeType.STRING },
    });

    const putIfAbsent: cr.AwsSdkCall = {
      service: 'DynamoDB',
      action: 'putItem',
      parameters: {
        TableName: this.table.tableName,
        Item: { connectRegion: { S: props.connectRegion }, lexRegion: { S: props.primaryRegion } },
        ConditionExpression: 'attribute_not_exists(connectRegion)',
      },
      physicalResourceId: cr.PhysicalResourceId.of(`seed-${props.connectRegion}`),
      ignoreErrorCodesMatching: 'ConditionalCheckFailedException',
    };
    this.seed = new cr.AwsCustomResource(this, 'Seed', {
      resourceType: 'Custom::LexdrSeed',
      onCreate: putIfAbsent,
      onUpdate: putIfAbsent,
      installLatestAwsSdk: false,
      // The provider Lambda runs only on deploy: its logs get a log group with retention, not a forever one.
      logGroup: new logs.LogGroup(this, 'SeedLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [this.table.tableArn] }),
      ]),
    });
    if (props.encryptionKey) props.encryptionKey.grantEncryptDecrypt(this.seed);

    if (props.settingsJson !== undefined) {
      const putSettings: cr.AwsSdkCall = {
        service: 'DynamoDB',
        action: 'putItem',
        parameters: { TableName: this.table.tableName, Item: settingsItem(props.connectRegion, props.settingsJson) },
        physicalResourceId: cr.PhysicalResourceId.of(`settings-${props.connectRegion}`),
      };
      this.settingsWriter = new cr.AwsCustomResource(this, 'Settings', {
        resourceType: 'Custom::LexdrSettings',
        onCreate: putSettings,
        onUpdate: putSettings,
        onDelete: {
          service: 'DynamoDB',
          action: 'deleteItem',
          parameters: {
            TableName: this.table.tableName,
            Key: { connectRegion: { S: settingsItemKey(props.connectRegion) } },
          },
        },
        installLatestAwsSdk: false,
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({
            actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            resources: [this.table.tableArn],
            conditions: {
              'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [settingsItemKey(props.connectRegion)] },
            },
          }),
        ]),
      });
      if (props.encryptionKey) props.encryptionKey.grantEncryptDecrypt(this.settingsWriter);
    }
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's AwsCustomResource provider (runs only on deploy, to seed the DR item and write the settings item) writes its own logs through the AWS managed basic execution policy; its data access is dynamodb:PutItem on the DR table and PutItem/DeleteItem on the settings item only.",
      });
    }
  }

  /**
   * Lets `grantee` read this Connect region's items and nothing else: its `lexDR` item (with `lexDR`) and its settings
   * item (with `settings`), by GetItem, through a `dynamodb:LeadingKeys` condition.
   */
  grantReadItems(grantee: IGrantable, items: { lexDR?: boolean; settings?: boolean; sid?: string }): void {
    const keys = [
      ...(items.lexDR ? [this.connectRegion] : []),
      ...(items.settings ? [settingsItemKey(this.connectRegion)] : []),
    ];
    if (keys.length === 0) throw new Error('grantReadItems: name at least one item');
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        ...(items.sid ? { sid: items.sid } : {}),
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': keys } },
      }),
    );
    // A customer managed key: reading an item needs it too.
    this.table.encryptionKey?.grantDecrypt(grantee);
  }

  /**
   * Lets the report function keep this Connect region's report windows (`<connectRegion>#reports#<lexRegion>`, one per
   * bot region): GetItem and PutItem on those keys only, through a `dynamodb:LeadingKeys` condition.
   */
  grantReportWindows(grantee: IGrantable, regions: readonly string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'KeepReportWindows',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': {
            'dynamodb:LeadingKeys': regions.map((r) => reportWindowKey(this.connectRegion, r)),
          },
        },
      }),
    );
    this.table.encryptionKey?.grantEncryptDecrypt(grantee);
  }

  /**
   * What the health-check workflow's direct integrations need to record a decision: read and update items of the DR
   * table (GetItem, UpdateItem) and append region changes to the history table (PutItem), through the customer
   * managed key when there is one.
   */
  grantDecisionWrites(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndUpdateDrItem',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AppendRegionChange',
        actions: ['dynamodb:PutItem'],
        resources: [this.historyTable.tableArn],
      }),
    );
    const keys = new Set([this.table.encryptionKey, this.historyTable.encryptionKey]);
    for (const key of keys) key?.grantEncryptDecrypt(grantee);
  }
}
