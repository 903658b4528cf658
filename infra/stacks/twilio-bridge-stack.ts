import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Duration, StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { Settings } from '../../core/settings';
import type { DrTables } from '../constructs/dr-tables';
import { buildTwilioBridge } from '../constructs/lex-dr-twilio-bridge';

/** Properties of {@link TwilioBridgeStack}. */
export interface TwilioBridgeStackProps extends StackProps {
  /**
   * The handlers' settings (regions, bots and their IDs per region): the bot aliases the task may call and the bot
   * that answers. The bridge itself reads them from the settings item of the DR table, as the functions do.
   */
  readonly settings: Settings;
  /** The DR tables: the bridge reads its Connect region's settings item, and its `lexDR` item through the lookup. */
  readonly tables: DrTables;
  /** lexdr's report function: the bridge reports each caller's failed Lex call to it (asynchronously). */
  readonly reportFunction: lambda.IFunction;
  /** ACM certificate for `domainName` in this stack's region (context `twilio.certificateArn`). */
  readonly certificateArn: string;
  /** The DNS name Twilio calls (point it at the load balancer); the signatures are checked against it. */
  readonly domainName: string;
  /**
   * Complete ARN (`…:secret:<name>-AbCdEf`) of the Secrets Manager secret whose string value is the Twilio auth
   * token; the task execution role may read exactly this ARN.
   */
  readonly authTokenSecretArn: string;
  /**
   * The customer-managed KMS key the secret is encrypted with: the execution role may decrypt with it, through
   * Secrets Manager only. Its key policy must let IAM policies grant that (the default key policy does).
   * @default the AWS managed key `aws/secretsmanager` (no KMS permission needed)
   */
  readonly authTokenKey?: kms.IKey;
  /** Twilio account SID (AC…): hang-ups and transfers go through its REST API. */
  readonly twilioAccountSid: string;
  /** E.164 number calls are dialled to when no Lex region is healthy. */
  readonly humanNumber: string;
  /** Which configured bot answers. @default the first bot in `settings` */
  readonly botName?: string;
  /** @default a new VPC with two AZs and one NAT gateway */
  readonly vpc?: ec2.IVpc;
  /** @default 2 */
  readonly minTasks?: number;
  /** @default 10 */
  readonly maxTasks?: number;
  /** Scale out when new requests (webhooks + stream upgrades) per task per minute exceed this. @default 60 */
  readonly requestsPerTaskPerMinute?: number;
  /** @default 512 (0.5 vCPU) */
  readonly cpu?: number;
  /** @default 1024 */
  readonly memoryLimitMiB?: number;
  /** How long a stopping task lets live calls finish (≤ 120 s, the ECS stopTimeout limit). @default Duration.seconds(110) */
  readonly drainDeadline?: Duration;
}

/**
 * The Twilio Media Streams bridge (the library's `LexDrTwilioBridge`, built into the stack itself so that its resources
 * keep their construct paths) in a stack of its own, with the outputs an operator needs: the webhook URL to set on the
 * Twilio number and the load balancer's DNS name.
 */
export class TwilioBridgeStack extends Stack {
  public readonly service: ecs.FargateService;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The webhook URL to set on the Twilio number (Voice, HTTP POST). */
  public readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: TwilioBridgeStackProps) {
    super(scope, id, props);
    const { settings, tables, reportFunction } = props;
    const bridge = buildTwilioBridge(this, {
      lexdr: { settings, tables, reportFunction },
      certificateArn: props.certificateArn,
      domainName: props.domainName,
      authTokenSecretArn: props.authTokenSecretArn,
      accountSid: props.twilioAccountSid,
      humanNumber: props.humanNumber,
      ...(props.authTokenKey ? { authTokenKey: props.authTokenKey } : {}),
      ...(props.botName !== undefined ? { botName: props.botName } : {}),
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(props.minTasks !== undefined ? { minTasks: props.minTasks } : {}),
      ...(props.maxTasks !== undefined ? { maxTasks: props.maxTasks } : {}),
      ...(props.requestsPerTaskPerMinute !== undefined
        ? { requestsPerTaskPerMinute: props.requestsPerTaskPerMinute }
        : {}),
      ...(props.cpu !== undefined ? { cpu: props.cpu } : {}),
      ...(props.memoryLimitMiB !== undefined ? { memoryLimitMiB: props.memoryLimitMiB } : {}),
      ...(props.drainDeadline ? { drainDeadline: props.drainDeadline } : {}),
    });
    ({
      service: this.service,
      loadBalancer: this.loadBalancer,
      targetGroup: this.targetGroup,
      webhookUrl: this.webhookUrl,
    } = bridge);
    new CfnOutput(this, 'WebhookUrl', {
      value: this.webhookUrl,
      description: 'Twilio number → Voice → A call comes in (HTTP POST)',
    });
    new CfnOutput(this, 'LoadBalancerDns', {
      value: this.loadBalancer.loadBalancerDnsName,
      description: `Point ${props.domainName} here`,
    });
  }
}
