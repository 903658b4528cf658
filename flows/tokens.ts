/**
 * The token values of the shipped flow templates, built from the handlers' settings and the few deployment values
 * the settings do not hold (the lookup and report functions, the agent queue). The stack, the local runtime and the tests
 * fill the templates through these, so they cannot drift from the templates' tokens.
 */
import type { Settings } from '../core/settings';

export const DEFAULT_APOLOGY_TEXT =
  'Sorry, our automated assistant is not available right now. Let me put you through to an agent.';

export interface FlowDeploymentValues {
  /** ARN of the lookup Lambda function. */
  readonly lookupFunctionArn: string;
  /** ARN of the queue that takes callers no bot can serve. */
  readonly agentQueueArn: string;
  /** @default DEFAULT_APOLOGY_TEXT */
  readonly apologyText?: string;
  /** The bot the flow talks to. @default the first configured bot */
  readonly botName?: string;
}

function botOf(settings: Settings, name: string | undefined) {
  const bot = name === undefined ? settings.bots[0] : settings.bots.find((b) => b.name === name);
  if (!bot)
    throw new Error(`bot "${name}" is not configured; configured bots: ${settings.bots.map((b) => b.name).join(', ')}`);
  return bot;
}

/** The deployment values of `lexdr-flow.json`: those of every flow, and the function callers' bot failures go to. */
export interface LexdrFlowDeploymentValues extends FlowDeploymentValues {
  /** ARN of the report function the flow invokes, without waiting, when a caller meets a bot failure. */
  readonly reportFunctionArn: string;
}

/** Values for `lexdr-flow.json`. */
export function lexdrFlowTokens(settings: Settings, v: LexdrFlowDeploymentValues): Record<string, string> {
  const bot = botOf(settings, v.botName);
  const [primary, secondary] = settings.regions as [string, string];
  return {
    LookupFunctionArn: v.lookupFunctionArn,
    ReportFunctionArn: v.reportFunctionArn,
    BotName: bot.name,
    // When the lookup itself fails, the flow tries these in order (deploy-time values, not the lookup's).
    PrimaryRegion: primary,
    SecondaryRegion: secondary,
    PrimaryBotAliasArn: bot.regions[primary]!.botAliasArn,
    SecondaryBotAliasArn: bot.regions[secondary]!.botAliasArn,
    BotIntent: settings.probe.expectedIntent,
    ApologyText: v.apologyText ?? DEFAULT_APOLOGY_TEXT,
    AgentQueueArn: v.agentQueueArn,
  };
}

/** Values for `legacy-flower-dr-flow.json` (primary and secondary: the first two configured regions). */
export function legacyFlowTokens(settings: Settings, v: FlowDeploymentValues): Record<string, string> {
  const bot = botOf(settings, v.botName);
  const [primary, secondary] = settings.regions as [string, string];
  return {
    LookupFunctionArn: v.lookupFunctionArn,
    ConnectRegion: settings.connectRegion,
    PrimaryRegion: primary,
    SecondaryRegion: secondary,
    LegacyPrimaryAliasArn: bot.regions[primary]!.botAliasArn,
    LegacySecondaryAliasArn: bot.regions[secondary]!.botAliasArn,
    ApologyText: v.apologyText ?? DEFAULT_APOLOGY_TEXT,
    AgentQueueArn: v.agentQueueArn,
  };
}
