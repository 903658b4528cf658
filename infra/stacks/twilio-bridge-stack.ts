import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import type { LexDrBridgeSource, LexDrTwilioBridgeProps } from '../constructs/lex-dr-twilio-bridge';
import { buildTwilioBridge } from '../constructs/lex-dr-twilio-bridge';

/**
 * Properties of {@link TwilioBridgeStack}: the library bridge's ({@link LexDrTwilioBridgeProps}), with lexdr's parts
 * given one by one — the handlers' settings, the DR tables and the report function of the health-check stack.
 */
export interface TwilioBridgeStackProps extends StackProps, Omit<LexDrTwilioBridgeProps, 'lexdr'>, LexDrBridgeSource {}

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
    const bridge = buildTwilioBridge(this, { ...props, lexdr: { settings, tables, reportFunction } });
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
