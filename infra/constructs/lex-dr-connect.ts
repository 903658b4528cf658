import { Annotations, Stack, Token } from 'aws-cdk-lib';
import type * as connect from 'aws-cdk-lib/aws-connect';
import type { Construct } from 'constructs';
import { LEGACY_FLOWER_DR_FLOW_FILE, LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../../flows/template';
import { legacyFlowTokens, lexdrFlowTokens } from '../../flows/tokens';
import { ConfigError } from '../config';
import type { ConnectFlow } from './connect-integration';
import { ConnectIntegration } from './connect-integration';
import type { LexDrFromConfig } from './lex-dr-from-config';
import { asInput, connectInput, instanceArnOf, parseProps, queueArnOf } from './lex-dr-props';

/** Properties of {@link LexDrConnect}. */
export interface LexDrConnectProps {
  /** lexdr in this Connect region (a {@link LexDr}): its lookup, its report function and its bots' aliases. */
  readonly lexdr: LexDrFromConfig;
  /** The Amazon Connect instance, in lexdr's Connect region: the `CfnInstance` of your app, or its ARN. */
  readonly instance: connect.CfnInstance | string;
  /**
   * The queue the contact flows put callers through to when no bot can take them: the `CfnQueue`, or its ARN.
   * @default - no contact flows: the lookup, the report function and the bot aliases are associated, the flows are yours
   */
  readonly queue?: connect.CfnQueue | string;
  /**
   * What the contact flow says to callers it puts through to an agent.
   * @default - the text in flows/tokens.ts
   */
  readonly apologyText?: string;
}

/**
 * lexdr's Amazon Connect wiring in one Connect region: Connect may invoke the lookup and the report function; they
 * and every bot alias (each bot in each region) are associated with the instance; with a queue, lexdr's contact flows
 * are created. Whether Connect accepts a Lex V2 alias of another region is not documented by AWS: in a stack of its
 * own, deployed after lexdr's, a refusal rolls back only this wiring (lexdr's own app does so); {@link LexDr}'s
 * `connect` puts it in lexdr's stack instead.
 */
export class LexDrConnect extends ConnectIntegration {
  /** The instance's ARN. */
  public readonly instanceArn: string;

  constructor(scope: Construct, id: string, props: LexDrConnectProps) {
    const { lexdr } = props;
    // The same rules as the config's (the instance in lexdr's Connect region, the Connect stack's size).
    parseProps(
      {
        ...asInput(lexdr.config),
        ...connectInput(props, lexdr.connectRegion),
        connectInstances: [],
      },
      `LexDrConnect props (${scope.node.path}/${id})`,
      { connectInstanceArn: 'instance', agentQueueArn: 'queue' },
    );
    const instanceArn = instanceArnOf(props.instance);
    const queueArn = props.queue !== undefined ? queueArnOf(props.queue) : undefined;
    super(scope, id, {
      instanceArn,
      lookupFunction: lexdr.lookupFunction,
      reportFunction: lexdr.reportFunction,
      bots: lexdr.settings.bots.flatMap((b) =>
        lexdr.settings.regions.map((region) => ({ name: b.name, region, aliasArn: b.regions[region]!.botAliasArn })),
      ),
      flows: contactFlows(lexdr, queueArn, props.apologyText),
    });
    this.instanceArn = instanceArn;
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== lexdr.connectRegion)
      throw new ConfigError(
        `invalid LexDrConnect props (${this.node.path}): the stack is in ${region}; the wiring belongs in the instance's region, lexdr's Connect region ${lexdr.connectRegion}`,
      );
    if (queueArn === undefined) {
      Annotations.of(this).addWarningV2(
        'lexdr:NoAgentQueue',
        'a Connect instance is given but no agent queue (agentQueueArn, or queue): the lookup, the report function and the bots are associated with the instance, the contact flows are not created.',
      );
    }
  }
}

/** The shipped contact flows rendered with this deployment's values; none without a queue. */
function contactFlows(
  lexdr: LexDrFromConfig,
  agentQueueArn: string | undefined,
  apologyText: string | undefined,
): ConnectFlow[] {
  if (agentQueueArn === undefined) return [];
  const { settings } = lexdr;
  const values = {
    lookupFunctionArn: lexdr.lookupFunction.functionArn,
    reportFunctionArn: lexdr.reportFunction.functionArn,
    agentQueueArn,
    ...(apologyText !== undefined && { apologyText }),
  };
  const flows: [string, string, string, Record<string, string>][] = [
    [
      LEXDR_FLOW_FILE,
      'lexdr',
      'Asks lexdr for the healthy Lex region, then talks to the bot there; agent when none is',
      lexdrFlowTokens(settings, values),
    ],
    [
      LEGACY_FLOWER_DR_FLOW_FILE,
      'lexdr Flower DR Flow (legacy)',
      'The 2020 design: branches on the lookup to a fixed alias per region',
      legacyFlowTokens(settings, values),
    ],
  ];
  return flows.map(([file, name, description, tokens]) => ({
    name,
    description,
    content: renderFlow(loadFlowTemplate(file), tokens),
  }));
}
