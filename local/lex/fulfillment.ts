/**
 * Fulfillment through the code hook, as Lex runs it: the code hook event, the call (with its progress updates
 * and timeout, see `fulfillment-progress.ts`), and the answer — the Lambda's own messages or the intent's
 * post-fulfillment (success, failure, timeout) response, then the closing response.
 */
import type { BotDefinition, IntentDefinition, ResponseDefinition } from '../../bot/definition';
import type { LexV2CodeHookEvent } from '../../bot/fulfillment-core';
import { lexV2CodeHookResponseSchema } from '../../bot/fulfillment-core';
import type { Fulfill } from './clock';
import type { ProgressContext } from './fulfillment-progress';
import { runWithUpdates } from './fulfillment-progress';
import type { Session, Turn, WireIntent } from './session';

/** The fulfillment code hook failed or answered something Lex cannot use (Lex: DependencyFailedException). */
export class DependencyFailedError extends Error {
  override name = 'DependencyFailedError';
}

export interface BotIdentity {
  botId: string;
  botAliasId: string;
  botName: string;
  botAlias: string;
}

/** What fulfillment needs from the dialog engine. */
export interface FulfillmentContext extends ProgressContext {
  definition: BotDefinition;
  bot: BotIdentity;
}

/** Fulfills a complete intent through the code hook; the turn's messages are what Lex answers then. */
export async function fulfillIntent(
  ctx: FulfillmentContext,
  fulfill: Fulfill,
  session: Session,
  def: IntentDefinition,
  intent: WireIntent,
): Promise<Turn> {
  intent.state = 'ReadyForFulfillment';
  const event = codeHookEvent(ctx, session, intent);
  const outcome = await runWithUpdates(ctx, session, def, () => fulfill(event));
  const post = def.fulfillment?.postFulfillment;
  const respond = (r: ResponseDefinition | undefined) => (r?.active ? ctx.say(r.messageGroups, intent) : []);
  const closing = () => (def.closingResponse?.active ? ctx.say(def.closingResponse.messageGroups, intent) : []);
  session.state.dialogAction = { type: 'Close' };
  if (outcome.kind === 'timeout') {
    intent.state = 'Failed';
    ctx.log({ event: 'fulfillment-timeout', sessionId: session.sessionId });
    // No active timeout response: Lex answers with an exception (a 4XX), not with silence.
    if (!post?.timeoutResponse?.active)
      throw new DependencyFailedError(
        `the fulfillment code hook did not answer within ${outcome.afterSeconds} s and the intent has no active timeout response`,
      );
    return { messages: respond(post.timeoutResponse), sessionState: session.state, interpretations: [] };
  }
  if (outcome.kind === 'error') {
    intent.state = 'Failed';
    const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    ctx.log({ event: 'fulfillment-error', sessionId: session.sessionId, reason });
    throw new DependencyFailedError(`Invalid Lambda Response: ${reason}`);
  }
  const parsed = lexV2CodeHookResponseSchema.safeParse(outcome.response);
  if (!parsed.success) {
    intent.state = 'Failed';
    throw new DependencyFailedError(
      `Invalid Lambda Response: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const r = parsed.data.sessionState;
  if (r.sessionAttributes) session.state.sessionAttributes = r.sessionAttributes;
  const state = r.intent?.state === 'Fulfilled' || r.intent?.state === 'Failed' ? r.intent.state : 'Fulfilled';
  intent.state = state;
  if (r.intent?.confirmationState) intent.confirmationState = r.intent.confirmationState;
  ctx.log({ event: 'fulfillment-done', sessionId: session.sessionId, state });
  const own = parsed.data.messages;
  // The Lambda's own messages override the post-fulfillment response.
  if (own && own.length > 0)
    return { messages: [...own, ...closing()], sessionState: session.state, interpretations: [] };
  if (state === 'Failed' && !post?.failureResponse?.active)
    throw new DependencyFailedError('the fulfillment failed and the intent has no active failure response');
  // An inactive success response: Lex goes on with the next step (the closing response, if any).
  const messages = respond(state === 'Fulfilled' ? post?.successResponse : post?.failureResponse);
  return { messages: [...messages, ...closing()], sessionState: session.state, interpretations: [] };
}

function codeHookEvent(ctx: FulfillmentContext, session: Session, intent: WireIntent): LexV2CodeHookEvent {
  const b = ctx.bot;
  return {
    messageVersion: '1.0',
    invocationSource: 'FulfillmentCodeHook',
    inputMode: session.lastInputMode ?? 'Text',
    responseContentType: 'text/plain; charset=utf-8',
    sessionId: session.sessionId,
    inputTranscript: session.lastInput ?? '',
    bot: {
      id: b.botId,
      name: ctx.definition.bot.name,
      aliasId: b.botAliasId,
      aliasName: b.botAlias,
      localeId: ctx.definition.locale.localeId,
      version: '1',
    },
    interpretations: [{ intent, nluConfidence: 1, interpretationSource: 'Lex' }],
    requestAttributes: session.requestAttributes,
    sessionState: {
      sessionAttributes: session.state.sessionAttributes,
      activeContexts: [],
      ...(session.state.originatingRequestId && { originatingRequestId: session.state.originatingRequestId }),
      intent: structuredClone(intent) as LexV2CodeHookEvent['sessionState']['intent'],
    },
  };
}
