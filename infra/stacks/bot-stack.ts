import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { BotDefinition } from '../../bot';
import { LexDrBot, SAMPLE_FULFILLMENT_ENTRY } from '../constructs/lex-dr-bot';
import { BOT_PARAMETER_PREFIX, BOT_STACK_OUTPUTS } from '../../core/contract';

/** Properties of {@link BotStack}. */
export interface BotStackProps extends StackProps {
  /** The bot as code. The same definition is deployed to every region. */
  readonly definition: BotDefinition;
  /**
   * The name the bot gets in Lex (`AWS::Lex::Bot` `Name`, unique per account and region), e.g.
   * `deployedBotName(config, definition.bot.name)`. The SSM parameter path and the outputs keep the definition's name.
   * @default the definition's name (`definition.bot.name`)
   */
  readonly botName?: string;
  /**
   * Handler file of the fulfillment code hook.
   * @default bot/fulfillment.ts
   */
  readonly fulfillmentEntry?: string;
  /**
   * Prefix of the SSM parameters holding the bot's IDs.
   * @default BOT_PARAMETER_PREFIX ('/lexdr/bots')
   */
  readonly parameterPrefix?: string;
}

/**
 * One bot-as-code in one region ({@link LexDrBot}: the bot, its version and `live` alias with the fulfillment code
 * hook), and its IDs as stack outputs and SSM parameters (`<prefix>/<bot>/botId`, `botAliasId`, `botAliasArn`).
 */
export class BotStack extends Stack {
  public readonly bot: LexDrBot;
  /** Lex V2 bot ID. */
  public readonly botId: string;
  /** Lex V2 bot alias ID of the `live` alias. */
  public readonly botAliasId: string;
  /** ARN of the `live` alias. */
  public readonly botAliasArn: string;

  constructor(scope: Construct, id: string, props: BotStackProps) {
    super(scope, id, props);
    this.bot = new LexDrBot(this, 'CodeBot', {
      definition: props.definition,
      botName: props.botName ?? props.definition.bot.name,
      fulfillmentEntry: props.fulfillmentEntry ?? SAMPLE_FULFILLMENT_ENTRY,
    });
    this.botId = this.bot.botId;
    this.botAliasId = this.bot.botAliasId;
    this.botAliasArn = this.bot.botAliasArn;

    const name = props.definition.bot.name;
    const prefix = `${props.parameterPrefix ?? BOT_PARAMETER_PREFIX}/${name}`;
    const publish = (key: 'botId' | 'botAliasId' | 'botAliasArn', value: string, description: string) => {
      new CfnOutput(this, BOT_STACK_OUTPUTS[key], { value, description });
      new ssm.StringParameter(this, `${key}Parameter`, {
        parameterName: `${prefix}/${key}`,
        stringValue: value,
        description,
      });
    };
    publish('botId', this.botId, `Lex V2 bot ID of ${name}`);
    publish('botAliasId', this.botAliasId, `Lex V2 alias ID of ${name}'s live alias`);
    publish('botAliasArn', this.botAliasArn, `ARN of ${name}'s live alias`);
    new CfnOutput(this, BOT_STACK_OUTPUTS.definitionHash, {
      value: this.bot.definitionHash,
      description: 'Hash of the deployed bot definition (same in every region)',
    });
  }
}
