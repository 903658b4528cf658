import { Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { LexDrFromConfig } from '../constructs/lex-dr-from-config';
import { LexDrConnect } from '../constructs/lex-dr-connect';

/** Properties of {@link ConnectStack}. */
export interface ConnectStackProps extends StackProps {
  /** lexdr in this Connect region (the health-check stack's): its lookup, report function and settings. */
  readonly lexdr: LexDrFromConfig;
  /** ARN of the Amazon Connect instance of this stack's region. */
  readonly instanceArn: string;
  /**
   * The queue the contact flows transfer callers to when no bot can take them.
   * @default - no contact flows: the lookup and the bot aliases are associated, the flows are left to you
   */
  readonly agentQueueArn?: string;
  /**
   * What the contact flow says to callers it puts through to an agent.
   * @default - the text in flows/tokens.ts
   */
  readonly apologyText?: string;
}

/**
 * lexdr's Amazon Connect wiring in one Connect region ({@link LexDrConnect}), in a stack of its own deployed after the
 * health check: whether Connect accepts a Lex V2 alias of another region is not documented by AWS, and should it
 * refuse, only this stack rolls back — the DR tables, the health check and the lookup stay deployed.
 */
export class ConnectStack extends Stack {
  public readonly connect: LexDrConnect;

  constructor(scope: Construct, id: string, props: ConnectStackProps) {
    super(scope, id, props);
    this.connect = new LexDrConnect(this, 'Connect', {
      lexdr: props.lexdr,
      instance: props.instanceArn,
      ...(props.agentQueueArn !== undefined ? { queue: props.agentQueueArn } : {}),
      ...(props.apologyText !== undefined ? { apologyText: props.apologyText } : {}),
    });
  }
}
