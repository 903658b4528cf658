import { join } from 'node:path';
import type { Construct } from 'constructs';
import type { BotDefinition } from '../../bot';
import { orderFlowers } from '../../bot';
import { CodeBot } from './code-bot';
import type { LexDrBotIds } from './lex-dr-props';

/** The fulfillment code hook shipped with lexdr's sample bot (its pre-bundled asset in the npm package). */
export const SAMPLE_FULFILLMENT_ENTRY = join(__dirname, '..', '..', 'bot', 'fulfillment.ts');

/** The prefix lexdr gives the Lex names of the bots it deploys (the config's `botNamePrefix` default). */
export const DEFAULT_BOT_NAME_PREFIX = 'lexdr-';

/** Properties of {@link LexDrBot}. */
export interface LexDrBotProps {
  /**
   * The bot as code (`bot/`'s `BotDefinition`), deployed identically in every region.
   * @default orderFlowers() — AWS's OrderFlowers sample, with lexdr's fulfillment code hook
   */
  readonly definition?: BotDefinition;
  /**
   * The name the bot gets in Lex (unique per account and region).
   * @default 'lexdr-' + the definition's name, so that it does not collide with AWS's own sample bot
   */
  readonly botName?: string;
  /**
   * Handler file (TypeScript) of the fulfillment code hook, bundled at synth with esbuild.
   * @default the sample's fulfillment (bot/fulfillment.ts), pre-bundled in the npm package
   */
  readonly fulfillmentEntry?: string;
  /**
   * Name of the alias callers reach.
   * @default 'live'
   */
  readonly aliasName?: string;
  /**
   * Extra environment of the fulfillment function (e.g. FULFILLMENT_DELAY_MS).
   * @default {}
   */
  readonly fulfillmentEnvironment?: Record<string, string>;
}

/**
 * A Lex V2 bot defined as code, in the stack of one bot region (create one per region, each in its region's stack):
 * the bot, a version published whenever the definition changes, a `live` alias with the fulfillment code hook. Hand it
 * to {@link LexDr}'s `bots[].ids` for its region (it is a {@link LexDrBotIds}).
 */
export class LexDrBot extends CodeBot implements LexDrBotIds {
  constructor(scope: Construct, id: string, props: LexDrBotProps = {}) {
    const definition = props.definition ?? orderFlowers();
    super(scope, id, {
      definition,
      botName: props.botName ?? `${DEFAULT_BOT_NAME_PREFIX}${definition.bot.name}`,
      fulfillmentEntry: props.fulfillmentEntry ?? SAMPLE_FULFILLMENT_ENTRY,
      ...(props.aliasName !== undefined ? { aliasName: props.aliasName } : {}),
      ...(props.fulfillmentEnvironment ? { fulfillmentEnvironment: props.fulfillmentEnvironment } : {}),
    });
  }
}
