import { Annotations, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { LEGACY_FLOWER_DR_FLOW_FILE, LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../../flows/template';
import { legacyFlowTokens, lexdrFlowTokens } from '../../flows/tokens';
import type { Settings } from '../../core/settings';
import type { ConnectFlow } from '../constructs/connect-integration';
import { ConnectIntegration } from '../constructs/connect-integration';

/** Properties of {@link ConnectStack}. */
export interface ConnectStackProps extends StackProps {
  /** ARN of the Amazon Connect instance of this stack's region. */
  readonly instanceArn: string;
  /**
   * The queue the contact flows transfer callers to when no bot can take them.
   * @default - no contact flows: the lookup and the bot aliases are associated, the flows are left to you
   */
  readonly agentQueueArn?: string;
  /** The lookup function of this Connect region's health-check stack. */
  readonly lookupFunction: lambda.IFunction;
  /** The report function of this Connect region's health-check stack (callers' bot failures). */
  readonly reportFunction: lambda.IFunction;
  /** The health-check stack's settings: the bots and their alias ARNs in every region. */
  readonly settings: Settings;
  /**
   * What the contact flow says to callers it puts through to an agent.
   * @default - the text in flows/tokens.ts
   */
  readonly apologyText?: string;
}

/**
 * lexdr's Amazon Connect wiring in one Connect region, in a stack of its own deployed after the health check: Connect
 * may invoke the lookup; the lookup and every bot alias (each bot in each region) are associated with the instance;
 * the contact flows are created. Whether Connect accepts a Lex V2 alias of another region is not documented by AWS:
 * should it refuse, only this stack rolls back — the DR tables, the health check and the lookup stay deployed.
 */
export class ConnectStack extends Stack {
  public readonly connect: ConnectIntegration;

  constructor(scope: Construct, id: string, props: ConnectStackProps) {
    super(scope, id, props);
    this.connect = new ConnectIntegration(this, 'Connect', {
      instanceArn: props.instanceArn,
      lookupFunction: props.lookupFunction,
      reportFunction: props.reportFunction,
      bots: props.settings.bots.flatMap((b) =>
        props.settings.regions.map((region) => ({ name: b.name, region, aliasArn: b.regions[region]!.botAliasArn })),
      ),
      flows: this.contactFlows(props),
    });
  }

  /** The shipped contact flows rendered with this deployment's values; none without `agentQueueArn`. */
  private contactFlows(props: ConnectStackProps): ConnectFlow[] {
    if (!props.agentQueueArn) {
      Annotations.of(this).addWarningV2(
        'lexdr:NoAgentQueue',
        'connectInstanceArn is set but agentQueueArn is not: the lookup and bots are associated with the instance, the contact flows are not created.',
      );
      return [];
    }
    const values = {
      lookupFunctionArn: props.lookupFunction.functionArn,
      reportFunctionArn: props.reportFunction.functionArn,
      agentQueueArn: props.agentQueueArn,
      ...(props.apologyText !== undefined && { apologyText: props.apologyText }),
    };
    const flows: [string, string, string, Record<string, string>][] = [
      [
        LEXDR_FLOW_FILE,
        'lexdr',
        'Asks lexdr for the healthy Lex region, then talks to the bot there; agent when none is',
        lexdrFlowTokens(props.settings, values),
      ],
      [
        LEGACY_FLOWER_DR_FLOW_FILE,
        'lexdr Flower DR Flow (legacy)',
        'The 2020 design: branches on the lookup to a fixed alias per region',
        legacyFlowTokens(props.settings, values),
      ],
    ];
    return flows.map(([file, name, description, tokens]) => ({
      name,
      description,
      content: renderFlow(loadFlowTemplate(file), tokens),
    }));
  }
}
