import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lex from 'aws-cdk-lib/aws-lex';
import { Construct } from 'constructs';
import type { BotDefinition } from '../../bot';
import { definitionHash, toCfnBotProps } from '../../bot';
import { LexdrFunction } from './lexdr-function';

/** Properties of {@link CodeBot}. */
export interface CodeBotProps {
  /** The bot as code (`bot/`): converted to `AWS::Lex::Bot` properties, identical in every region. */
  readonly definition: BotDefinition;
  /** Handler file of the fulfillment code hook. */
  readonly fulfillmentEntry: string;
  /**
   * The name the bot gets in Lex (`AWS::Lex::Bot` `Name`, unique per account and region), e.g. `lexdr-OrderFlowers`
   * so that it does not collide with AWS's own sample bot. lexdr itself (config, SSM parameters, metrics, the local
   * Lex) keeps calling the bot by the definition's name.
   * @default the definition's name (`definition.bot.name`)
   */
  readonly botName?: string;
  /**
   * Name of the alias callers use.
   * @default 'live'
   */
  readonly aliasName?: string;
  /**
   * Extra environment of the fulfillment function (e.g. FULFILLMENT_DELAY_MS).
   * @default {}
   */
  readonly fulfillmentEnvironment?: Record<string, string>;
}

/** Longest fulfillment the definition lets Lex wait for (its progress updates' timeout), in seconds. */
export function fulfillmentTimeoutSeconds(def: BotDefinition): number {
  const timeouts = def.intents.map((i) => i.fulfillment?.updates?.timeoutInSeconds ?? 0);
  return Math.min(900, Math.max(10, ...timeouts));
}

/** Lex V2 bot names: 1–100 letters and digits, each optionally followed by one "_" or "-". */
const LEX_BOT_NAME = /^([0-9a-zA-Z][_-]?){1,100}$/;

/**
 * A Lex V2 bot deployed from its definition: a role for Lex, the bot (locales built on deploy), a version whose
 * logical ID carries the definition hash (a changed definition publishes a new version), a `live` alias on that
 * version with the fulfillment Lambda as code hook, and the permission for that alias (only) to invoke it.
 */
export class CodeBot extends Construct {
  public readonly bot: lex.CfnBot;
  public readonly version: lex.CfnBotVersion;
  public readonly alias: lex.CfnBotAlias;
  public readonly role: iam.Role;
  public readonly fulfillment: LexdrFunction;
  /** The bot's name in Lex (`AWS::Lex::Bot` `Name`). */
  public readonly botName: string;
  /**
   * Short hash of the definition, part of the version's logical ID. It leaves out the name the bot gets in Lex: a
   * version snapshots the bot's locales, not its name, and a renamed bot keeps its versions and alias.
   */
  public readonly definitionHash: string;
  /** Lex V2 bot ID. */
  public readonly botId: string;
  /** Lex V2 bot alias ID of the `live` alias. */
  public readonly botAliasId: string;
  /** ARN of the `live` alias. */
  public readonly botAliasArn: string;

  constructor(scope: Construct, id: string, props: CodeBotProps) {
    super(scope, id);
    const def = props.definition;
    const cfn = toCfnBotProps(def);
    this.definitionHash = definitionHash(def);
    this.botName = props.botName ?? def.bot.name;
    if (!Token.isUnresolved(this.botName) && !LEX_BOT_NAME.test(this.botName))
      throw new Error(
        `invalid botName "${this.botName}": must be 1–100 letters and digits, each optionally followed by one "_" or "-"`,
      );

    this.role = new iam.Role(this, 'LexRole', {
      assumedBy: new iam.ServicePrincipal('lexv2.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Lex V2 runtime role of ${cfn.name}: speech synthesis only`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid: 'SynthesizeSpeech', actions: ['polly:SynthesizeSpeech'], resources: ['*'] }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lex V2 calls Polly SynthesizeSpeech to voice the bot; the action has no resource to scope to unless lexicons are used (none are).',
    });

    this.bot = new lex.CfnBot(this, 'Bot', { ...cfn, name: this.botName, roleArn: this.role.roleArn });

    this.version = new lex.CfnBotVersion(this, `Version${this.definitionHash}`, {
      botId: this.bot.attrId,
      description: `${cfn.name} definition ${this.definitionHash}`,
      botVersionLocaleSpecification: cfn.botLocales.map((l) => ({
        localeId: l.localeId,
        botVersionLocaleDetails: { sourceBotVersion: 'DRAFT' },
      })),
    });

    this.fulfillment = new LexdrFunction(this, 'Fulfillment', {
      entry: props.fulfillmentEntry,
      description: `${cfn.name} fulfillment code hook`,
      memorySize: 128,
      timeout: Duration.seconds(fulfillmentTimeoutSeconds(def)),
      environment: props.fulfillmentEnvironment ?? {},
      serviceName: `lexdr-${cfn.name}-fulfillment`,
    });

    this.alias = new lex.CfnBotAlias(this, 'Alias', {
      botId: this.bot.attrId,
      botAliasName: props.aliasName ?? 'live',
      description: `${cfn.name} as callers reach it (definition ${this.definitionHash})`,
      botVersion: this.version.attrBotVersion,
      sentimentAnalysisSettings: { DetectSentiment: false },
      botAliasLocaleSettings: cfn.botLocales.map((l) => ({
        localeId: l.localeId,
        botAliasLocaleSetting: {
          enabled: true,
          codeHookSpecification: {
            lambdaCodeHook: { lambdaArn: this.fulfillment.function.functionArn, codeHookInterfaceVersion: '1.0' },
          },
        },
      })),
    });

    this.fulfillment.function.addPermission('LexInvokesFromAlias', {
      principal: new iam.ServicePrincipal('lexv2.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceArn: this.alias.attrArn,
      sourceAccount: Stack.of(this).account,
    });

    this.botId = this.bot.attrId;
    this.botAliasId = this.alias.attrBotAliasId;
    this.botAliasArn = this.alias.attrArn;
  }
}
