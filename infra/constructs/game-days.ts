import type { CfnElement } from 'aws-cdk-lib';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { FunctionFault, GameDay, GameDayAlarm, GameDayName } from '../../core/game-days';
import { GAME_DAY_TAGS, fisGameDays, isoDuration, templateDescription } from '../../core/game-days';

/** lexdr's alarms the experiments stop on or name (a `DrAlarms` has them all). */
export interface GameDayAlarms {
  readonly noHealthyRegion: cloudwatch.IAlarm;
  readonly notOnPrimary: cloudwatch.IAlarm;
  readonly healthCheckNotRunning: cloudwatch.IAlarm;
  readonly healthCheckBlind: cloudwatch.IAlarm;
  readonly lookupErrors: cloudwatch.IAlarm;
}

/** Properties of {@link GameDays}. */
export interface GameDaysProps {
  /** The health check's probe function: the experiments fail it and slow it (it gets the FIS extension). */
  readonly probeFunction: lambda.Function;
  /** The lookup Amazon Connect invokes: an experiment slows it (it gets the FIS extension). */
  readonly lookupFunction: lambda.Function;
  /** lexdr's alarms: each experiment stops on some of them (`aws:cloudwatch:alarm` stop conditions). */
  readonly alarms: GameDayAlarms;
  /** The Connect region of the stack (tagged on every template, so the CLI finds its own region's). */
  readonly connectRegion: string;
  /**
   * The AWS FIS Lambda extension layer, for functions of every architecture.
   * @default - the layer AWS publishes for the stack's region and the function's architecture, read at deploy time
   * from the public SSM parameter `/aws/service/fis/lambda-extension/AWS-FIS-extension-<arm64|x86_64>/1.x.x`
   */
  readonly extensionLayerArn?: string;
}

/** The public SSM parameter holding the FIS Lambda extension layer ARN of the current region (AWS FIS User Guide). */
export const extensionLayerParameter = (architecture: string) =>
  `/aws/service/fis/lambda-extension/AWS-FIS-extension-${architecture}/1.x.x`;

/** The folder of the configuration bucket FIS writes a function's faults to, and the function reads them from. */
export const configPrefix = (fn: FunctionFault['function']) => `fis/${fn}/`;

const LAYER_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$/;

/** The FIS action of a function fault, with its parameters. */
function action(g: GameDay & { fault: FunctionFault }): fis.CfnExperimentTemplate.ExperimentTemplateActionProperty {
  const duration = isoDuration(g.durationSeconds);
  const common = { duration, invocationPercentage: '100' };
  return g.fault.effect === 'error'
    ? {
        actionId: 'aws:lambda:invocation-error',
        description: g.injects,
        // The function's code does not run: a failure like the Lambda service's, not a handler's error.
        parameters: { ...common, preventExecution: 'true' },
        targets: { Functions: 'Function' },
      }
    : {
        actionId: 'aws:lambda:invocation-add-delay',
        description: g.injects,
        parameters: { ...common, startupDelayMilliseconds: String(g.fault.delayMs) },
        targets: { Functions: 'Function' },
      };
}

const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/**
 * lexdr's game days on AWS Fault Injection Service: an experiment template per experiment of `core/game-days.ts`
 * that FIS can run (the probe function failing or slow, the lookup slow), each with its duration, its stop conditions
 * on lexdr's alarms and a description of the expected outcome, tagged with its name. FIS's Lambda actions need its
 * extension on the target functions (a layer and two environment variables) and a bucket where FIS writes the faults
 * and the extension reads them: this construct adds both. The "Lex region fails" experiment is lexdr's own drill
 * (`lexdr gameday run lex-region-fails`): FIS cannot fail Lex.
 */
export class GameDays extends Construct {
  /** Where FIS writes each function's active faults (`fis/<function>/`) and the extension reads them. */
  public readonly configBucket: s3.Bucket;
  /** The role FIS runs the experiments with. */
  public readonly role: iam.Role;
  /** The experiment templates, by experiment name. */
  public readonly templates: Partial<Record<GameDayName, fis.CfnExperimentTemplate>> = {};

  constructor(scope: Construct, id: string, props: GameDaysProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.extensionLayerArn !== undefined && !LAYER_ARN.test(props.extensionLayerArn))
      throw new Error(
        `${this.node.path}: extensionLayerArn "${props.extensionLayerArn}" is not a Lambda layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)`,
      );

    // Only FIS's fault configurations live here, a few bytes each for the length of an experiment.
    this.configBucket = new s3.Bucket(this, 'ConfigBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(1) }],
      // No fixed name, nothing to keep: a failed first create cleans it up, and a stack delete removes it.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.configBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the fault configurations FIS writes for the length of an experiment (expired after a day); the experiments themselves are recorded by FIS and CloudTrail (StartExperiment). An access log bucket would cost more than what it records.',
    });

    this.role = new iam.Role(this, 'ExperimentRole', {
      description: 'lexdr game days: the role AWS FIS runs the experiments with',
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:fis:${stack.region}:${stack.account}:experiment/*` },
        },
      }),
    });

    const targets = { probe: props.probeFunction, lookup: props.lookupFunction } as const;
    const used = [...new Set(fisGameDays().map((g) => g.fault.function))];
    for (const name of used) this.addExtension(name, targets[name], props.extensionLayerArn);

    const functionArns = used.map((n) => targets[n].functionArn);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteFaultConfigurations',
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: used.map((n) => this.configBucket.arnForObjects(`${configPrefix(n)}*`)),
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InspectTargetFunctions',
        actions: ['lambda:GetFunction'],
        resources: functionArns,
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ResolveTargets', actions: ['tag:GetResources'], resources: ['*'] }),
    );
    const policy = this.role.node.findChild('DefaultPolicy');
    const bucketId = stack.getLogicalId(this.configBucket.node.defaultChild as CfnElement);
    for (const n of used)
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${configPrefix(n)}*]`,
        reason: `FIS writes and deletes the ${n} function's fault configurations under ${configPrefix(n)} (object names it chooses); that folder of lexdr's own game-day bucket only.`,
      });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'tag:GetResources has no resource-level permissions; the AWS FIS User Guide lists it for the aws:lambda:function actions (the targets themselves are exact function ARNs).',
    });

    const alarmOf: Record<GameDayAlarm, cloudwatch.IAlarm> = {
      NoHealthyRegion: props.alarms.noHealthyRegion,
      NotOnPrimary: props.alarms.notOnPrimary,
      HealthCheckNotRunning: props.alarms.healthCheckNotRunning,
      HealthCheckBlind: props.alarms.healthCheckBlind,
      LookupErrors: props.alarms.lookupErrors,
    };
    for (const g of fisGameDays()) {
      const named = [...new Set([...g.stopOn, ...g.expected.flatMap((e) => (e.kind === 'alarm' ? [e.alarm] : []))])];
      this.templates[g.name] = new fis.CfnExperimentTemplate(this, pascal(g.name), {
        description: templateDescription(g),
        roleArn: this.role.roleArn,
        stopConditions: g.stopOn.map((a) => ({ source: 'aws:cloudwatch:alarm', value: alarmOf[a].alarmArn })),
        targets: {
          Function: {
            resourceType: 'aws:lambda:function',
            resourceArns: [targets[g.fault.function].functionArn],
            selectionMode: 'ALL',
          },
        },
        actions: { [pascal(`${g.fault.function}-${g.fault.effect}`)]: action(g) },
        experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
        tags: {
          Name: `lexdr-${props.connectRegion}-${g.name}`,
          [GAME_DAY_TAGS.experiment]: g.name,
          [GAME_DAY_TAGS.connectRegion]: props.connectRegion,
          ...Object.fromEntries(named.map((a) => [GAME_DAY_TAGS.alarm(a), alarmOf[a].alarmName])),
        },
      });
    }
  }

  /**
   * The FIS extension on a function: its layer, the wrapper that starts it, where it reads its faults — and the
   * function's role may read that folder only (the User Guide's read policy, narrowed to one folder).
   */
  private addExtension(name: FunctionFault['function'], fn: lambda.Function, layerArn: string | undefined): void {
    const arch = fn.architecture.name;
    const arn = layerArn ?? ssm.StringParameter.valueForStringParameter(this, extensionLayerParameter(arch));
    fn.addLayers(lambda.LayerVersion.fromLayerVersionArn(this, `ExtensionLayer-${name}`, arn));
    fn.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', '/opt/aws-fis/bootstrap');
    fn.addEnvironment('AWS_FIS_CONFIGURATION_LOCATION', `${this.configBucket.bucketArn}/${configPrefix(name)}`);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListFaultConfigurations',
        actions: ['s3:ListBucket'],
        resources: [this.configBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${configPrefix(name)}*`] } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadFaultConfigurations',
        actions: ['s3:GetObject'],
        resources: [this.configBucket.arnForObjects(`${configPrefix(name)}*`)],
      }),
    );
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (policy)
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.configBucket.node.defaultChild as CfnElement)}.Arn>/${configPrefix(name)}*]`,
        reason: `The FIS extension reads the fault configurations FIS writes for this function (object names FIS chooses) under ${configPrefix(name)} of lexdr's own game-day bucket only.`,
      });
  }
}
