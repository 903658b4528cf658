/**
 * The lexdr CDK app: one health check per Amazon Connect region (`connectRegions`) and, for each bot deployed from
 * code, one bot stack per bot region. cdk-nag (AWS Solutions) checks every stack at synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { BotDefinition } from '../bot';
import { orderFlowers } from '../bot';
import type { BotConfig, LexdrConfig } from './config';
import { ConfigError, connectInstanceFor, deployedBotName, parseConfig, readConfigFile } from './config';
import { STACK_NAMES } from '../core/contract';
import { boundProviderLogs } from './constructs/custom-resource-logs';
import { BotStack } from './stacks/bot-stack';
import { ConnectStack } from './stacks/connect-stack';
import { HealthCheckStack } from './stacks/health-check-stack';
import { TwilioBridgeStack } from './stacks/twilio-bridge-stack';

const CROSS_STACK_STRENGTH = '@aws-cdk/core:defaultCrossStackReferences';

/** Bots that exist as code (`bot/`), by the name used in the config. */
export const BOT_DEFINITIONS: Readonly<Record<string, () => BotDefinition>> = {
  OrderFlowers: () => orderFlowers(),
};

export interface LexdrApp {
  readonly app: App;
  /** The health check of the first Connect region (`connectRegion`). */
  readonly healthCheck: HealthCheckStack;
  /** One health check per Connect region, by region, in the order of `connectRegions`. */
  readonly healthChecks: ReadonlyMap<string, HealthCheckStack>;
  /** Bot stacks by `<bot name>/<region>`. */
  readonly botStacks: ReadonlyMap<string, BotStack>;
  /** The Amazon Connect wiring, by Connect region, for each region with a configured instance. */
  readonly connectStacks: ReadonlyMap<string, ConnectStack>;
  /** The Twilio bridge, when `twilio` is configured. */
  readonly twilioBridge?: TwilioBridgeStack;
}

export interface BuildAppOptions {
  /** @default a new App */
  readonly app?: App;
  /** Account of every stack. @default process.env.CDK_DEFAULT_ACCOUNT (environment-agnostic when unset) */
  readonly account?: string;
  /** Bot definitions by config name. @default BOT_DEFINITIONS */
  readonly definitions?: Readonly<Record<string, () => BotDefinition>>;
  /** Add the cdk-nag AWS Solutions checks to the app. @default true */
  readonly nag?: boolean;
}

/** Builds every lexdr stack for a config. */
export function buildApp(config: LexdrConfig, options: BuildAppOptions = {}): LexdrApp {
  const app = options.app ?? new App();
  // Cross-stack references (bot stacks → health check) stay "strong": a bot stack cannot drop an ID still in use.
  if (app.node.tryGetContext(CROSS_STACK_STRENGTH) === undefined) app.node.setContext(CROSS_STACK_STRENGTH, 'strong');
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const account = options.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const definitions = options.definitions ?? BOT_DEFINITIONS;
  const env = (region: string) => ({ account, region });

  const botStacks = new Map<string, BotStack>();
  for (const bot of config.bots.filter((b) => b.source === 'code')) {
    const define = definitions[bot.name];
    if (!define) {
      throw new Error(
        `bots: "${bot.name}" has source "code" but bot/ defines only ${Object.keys(definitions).join(', ')}; ` +
          `use source "existing" with its IDs, or add its definition`,
      );
    }
    const definition = define();
    for (const region of config.regions) {
      botStacks.set(
        `${bot.name}/${region}`,
        new BotStack(app, STACK_NAMES.bot(bot.name, region), {
          env: env(region),
          crossRegionReferences: true,
          description: `lexdr: Lex V2 bot ${bot.name} (as code) in ${region}`,
          definition,
          botName: deployedBotName(config, bot.name),
        }),
      );
    }
  }

  const resolveBotIds = (bot: BotConfig, region: string) => {
    const stack = botStacks.get(`${bot.name}/${region}`);
    if (!stack) throw new Error(`no bot stack for ${bot.name} in ${region}`);
    return { botId: stack.botId, botAliasId: stack.botAliasId };
  };
  const healthChecks = new Map<string, HealthCheckStack>();
  for (const connectRegion of config.connectRegions) {
    healthChecks.set(
      connectRegion,
      new HealthCheckStack(app, STACK_NAMES.healthCheck(connectRegion), {
        env: env(connectRegion),
        crossRegionReferences: true,
        // Its template grows with bots × regions (dashboard, alarms, settings): no indentation, a third smaller.
        suppressTemplateIndentation: true,
        description: `lexdr: Lex DR health check, DR table and Connect lookup for Connect in ${connectRegion}`,
        config,
        connectRegion,
        resolveBotIds,
      }),
    );
  }
  // The Connect wiring deploys after the health check, in a stack of its own: should Connect refuse an association
  // (another region's bot alias is not a setup AWS documents), only that stack rolls back.
  const connectStacks = new Map<string, ConnectStack>();
  for (const [connectRegion, stack] of healthChecks) {
    const instance = connectInstanceFor(config, connectRegion);
    if (!instance) continue;
    const wiring = new ConnectStack(app, STACK_NAMES.connect(connectRegion), {
      env: env(connectRegion),
      crossRegionReferences: true,
      description: `lexdr: Amazon Connect wiring (lookup, bot associations, contact flows) in ${connectRegion}`,
      lexdr: stack.lexdr,
      instanceArn: instance.instanceArn,
      ...(instance.agentQueueArn ? { agentQueueArn: instance.agentQueueArn } : {}),
      ...(config.apologyText !== undefined ? { apologyText: config.apologyText } : {}),
    });
    wiring.addStackDependency(stack, 'the lookup and the DR table exist before Connect is wired to them');
    connectStacks.set(connectRegion, wiring);
  }
  const healthCheck = healthChecks.get(config.connectRegion)!;
  const twilioBridge = config.twilio
    ? new TwilioBridgeStack(app, STACK_NAMES.twilioBridge(config.connectRegion), {
        env: env(config.connectRegion),
        description: `lexdr: Twilio Media Streams bridge to the Lex bots, following lexDR in ${config.connectRegion}`,
        settings: healthCheck.settings,
        tables: healthCheck.tables,
        reportFunction: healthCheck.report.function,
        certificateArn: config.twilio.certificateArn,
        domainName: config.twilio.domainName,
        authTokenSecretArn: config.twilio.authTokenSecretArn,
        accountSid: config.twilio.accountSid,
        humanNumber: config.twilio.humanNumber,
      })
    : undefined;
  for (const stack of [
    ...healthChecks.values(),
    ...botStacks.values(),
    ...connectStacks.values(),
    ...(twilioBridge ? [twilioBridge] : []),
  ])
    boundProviderLogs(stack);
  return { app, healthCheck, healthChecks, botStacks, connectStacks, ...(twilioBridge ? { twilioBridge } : {}) };
}

/** The `lexdr` context the CDK CLI hands the app (the cdk.json of the directory `cdk` runs in), else the project's. */
function readAppConfig(app: App): LexdrConfig {
  const context: unknown = app.node.tryGetContext('lexdr');
  return context === undefined ? readConfigFile() : parseConfig(context, '"lexdr" context');
}

/**
 * `cdk synth`'s entry: a problem with the configuration is printed as one message and exits 1, not inside a stack
 * trace (set LEXDR_DEBUG=1 for the trace of an error that is not a ConfigError).
 */
export function synthMain(read?: () => LexdrConfig, log: (s: string) => void = console.error): number {
  try {
    const app = new App();
    buildApp(read ? read() : readAppConfig(app), { app }).app.synth();
    return 0;
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    log(`lexdr: ${e instanceof ConfigError ? e.message : `cannot synthesize: ${e.message}`}`);
    if (!(e instanceof ConfigError) && process.env.LEXDR_DEBUG) log(e.stack ?? '');
    return 1;
  }
}

if (require.main === module) process.exitCode = synthMain();
