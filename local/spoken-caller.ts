/**
 * A simulated caller's turn with the bot, as the contact flow's bot block has it: the caller speaks (RecognizeUtterance
 * of the shipped recording of the probe phrase, so a region whose speech recognition fails fails them too) and the
 * block completes with the recognised intent, errors on a Lex error, or gives up after `CALLER_BOT_TIMEOUT_MS`.
 * `lexdr simulate` and the benchmark's callers use it against the local Lex regions.
 */
import type { LexRuntimeV2Client } from '@aws-sdk/client-lex-runtime-v2';
import { RecognizeUtteranceCommand } from '@aws-sdk/client-lex-runtime-v2';
import type { Settings } from '../core/settings';
import { readSpeechReply, speechRequest } from '../core/speech-probe';
import type { BotOutcome } from '../flows/simulate';
import { LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../flows/template';
import { lexdrFlowTokens } from '../flows/tokens';

/** The account in the ARNs of the local system's contact flow. */
export const LOCAL_ACCOUNT = '000000000000';

/**
 * The shipped contact flow rendered for the local system's callers: its lookup and report functions and its Connect
 * instance named by local ARNs (the simulators route invocations by kind, not by ARN).
 */
export function localContactFlow(settings: Settings): { flow: string; instanceArn: string } {
  const lambda = (name: string) => `arn:aws:lambda:${settings.connectRegion}:${LOCAL_ACCOUNT}:function:${name}`;
  const instanceArn = `arn:aws:connect:${settings.connectRegion}:${LOCAL_ACCOUNT}:instance/00000000-0000-0000-0000-000000000000`;
  const flow = renderFlow(
    loadFlowTemplate(LEXDR_FLOW_FILE),
    lexdrFlowTokens(settings, {
      lookupFunctionArn: lambda('lexdr-lookup'),
      reportFunctionArn: lambda('lexdr-report'),
      agentQueueArn: `${instanceArn}/queue/00000000-0000-0000-0000-000000000001`,
    }),
  );
  return { flow, instanceArn };
}

/** How long a simulated caller's bot turn may take before Connect's bot block gives up (lexdr's model). */
export const CALLER_BOT_TIMEOUT_MS = 3000;

export interface SpokenCallerOptions {
  settings: Settings;
  /** A Lex V2 runtime client for a region (the local region's endpoint). */
  lexV2(region: string): LexRuntimeV2Client;
  /** The bot the flow talks to. @default the first configured bot */
  bot?: string;
  /** Session IDs start with this. */
  sessionPrefix: string;
}

/** The bot block's outcome for one spoken turn with the bot behind `aliasArn` (a region's alias of the bot). */
export function spokenBotOutcome(o: SpokenCallerOptions) {
  const bot = o.settings.bots.find((b) => b.name === (o.bot ?? o.settings.bots[0]!.name))!;
  let session = 0;
  return async (aliasArn: string, region: string): Promise<BotOutcome> => {
    const ids = bot.regions[region];
    if (!ids || ids.botAliasArn !== aliasArn) return 'error';
    try {
      const out = await o.lexV2(region).send(
        new RecognizeUtteranceCommand(
          speechRequest({
            botId: ids.botId,
            botAliasId: ids.botAliasId,
            localeId: bot.localeId,
            sessionId: `${o.sessionPrefix}-${(session += 1)}`,
          }),
        ),
        { abortSignal: AbortSignal.timeout(CALLER_BOT_TIMEOUT_MS) },
      );
      const intent = readSpeechReply(out).intent ?? '';
      return intent === o.settings.probe.expectedIntent ? 'success' : { intent };
    } catch (e) {
      const name = (e as Error).name;
      return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'error';
    }
  };
}
