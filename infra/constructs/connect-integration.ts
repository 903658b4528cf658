import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as connect from 'aws-cdk-lib/aws-connect';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** A rendered contact flow to create in the instance. */
export interface ConnectFlow {
  /** Flow name, unique in the instance. */
  readonly name: string;
  /** What the flow does. */
  readonly description: string;
  /** The flow in the Amazon Connect flow language, tokens already substituted (≤ 256,000 characters). */
  readonly content: string;
}

/** A Lex V2 bot alias to associate with the instance. */
export interface ConnectBot {
  /** Bot name. */
  readonly name: string;
  /** Region of the alias. */
  readonly region: string;
  /** Lex V2 bot alias ARN. */
  readonly aliasArn: string;
}

/** Properties of {@link ConnectIntegration}. */
export interface ConnectIntegrationProps {
  /** ARN of the Amazon Connect instance. */
  readonly instanceArn: string;
  /** The lookup function the flow invokes. */
  readonly lookupFunction: lambda.IFunction;
  /** The report function the flow invokes (asynchronously) when a caller meets a bot failure. */
  readonly reportFunction: lambda.IFunction;
  /** Every bot alias the flow may use (each bot in each region). */
  readonly bots: readonly ConnectBot[];
  /**
   * Contact flows to create (type CONTACT_FLOW).
   * @default - none
   */
  readonly flows?: readonly ConnectFlow[];
}

/** Connect's flow content limit. */
export const CONNECT_FLOW_MAX_CHARS = 256_000;

/**
 * Wires lexdr into an Amazon Connect instance: lets the instance invoke the lookup, associates the lookup and every
 * bot alias with the instance, and creates the contact flows.
 */
export class ConnectIntegration extends Construct {
  public readonly lookupAssociation: connect.CfnIntegrationAssociation;
  public readonly reportAssociation: connect.CfnIntegrationAssociation;
  public readonly botAssociations: connect.CfnIntegrationAssociation[];
  public readonly flows: connect.CfnContactFlow[];

  constructor(scope: Construct, id: string, props: ConnectIntegrationProps) {
    super(scope, id);
    const instanceAccount = Arn.split(props.instanceArn, ArnFormat.SLASH_RESOURCE_NAME).account;
    /** The instance may invoke `fn` (Connect needs the resource policy and the association both). */
    const invokable = (id: string, fn: lambda.IFunction) => {
      new lambda.CfnPermission(this, `ConnectInvokes${id}`, {
        action: 'lambda:InvokeFunction',
        functionName: fn.functionArn,
        principal: 'connect.amazonaws.com',
        sourceArn: props.instanceArn,
        sourceAccount: instanceAccount ?? Stack.of(this).account,
      });
      return new connect.CfnIntegrationAssociation(this, id, {
        instanceId: props.instanceArn,
        integrationType: 'LAMBDA_FUNCTION',
        integrationArn: fn.functionArn,
      });
    };
    this.lookupAssociation = invokable('Lookup', props.lookupFunction);
    this.reportAssociation = invokable('Report', props.reportFunction);
    this.botAssociations = props.bots.map(
      (b) =>
        new connect.CfnIntegrationAssociation(this, `Bot-${b.name}-${b.region}`, {
          instanceId: props.instanceArn,
          integrationType: 'LEX_BOT',
          integrationArn: b.aliasArn,
        }),
    );
    this.flows = (props.flows ?? []).map((f) => {
      if (f.content.length > CONNECT_FLOW_MAX_CHARS)
        throw new Error(
          `contact flow "${f.name}" has ${f.content.length} characters; Connect allows ${CONNECT_FLOW_MAX_CHARS}`,
        );
      const flow = new connect.CfnContactFlow(this, `Flow-${f.name.replace(/[^A-Za-z0-9]+/g, '-')}`, {
        instanceArn: props.instanceArn,
        name: f.name,
        description: f.description,
        type: 'CONTACT_FLOW',
        state: 'ACTIVE',
        content: f.content,
      });
      flow.addResourceDependency(this.lookupAssociation);
      flow.addResourceDependency(this.reportAssociation);
      for (const b of this.botAssociations) flow.addResourceDependency(b);
      return flow;
    });
  }
}
