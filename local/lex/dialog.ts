/**
 * The dialog engine of the local Lex regions: the intent a text starts, slot elicitation in priority order,
 * confirmation, and — once the intent is complete — fulfillment through the code hook (`fulfillment.ts`, with the
 * definition's progress updates and timeout in `fulfillment-progress.ts`) and the post-fulfillment responses.
 * Session state (`session.ts`) is kept in the Lex V2 wire shape; the V1 protocol maps it.
 */
import { randomUUID } from 'node:crypto';
import type { BotDefinition, IntentDefinition, MessageGroup } from '../../bot/definition';
import { FALLBACK_INTENT } from '../../bot/definition';
import type { Fulfill, LexTimer } from './clock';
import type { BotIdentity, FulfillmentContext } from './fulfillment';
import { fulfillIntent } from './fulfillment';
import type { MessageSelection } from './messages';
import { messagesToSay } from './messages';
import { classify, extractSlots, yesNo } from './nlu';
import type { Session, Turn, WireIntent, WireInterpretation, WireMessage, WireSessionState } from './session';
import { emptyIntent } from './session';

export interface DialogEngineOptions {
  definition: BotDefinition;
  bot: BotIdentity;
  fulfill?: Fulfill;
  random: () => number;
  timer: LexTimer;
  log: (event: Record<string, unknown>) => void;
}

export class DialogEngine {
  private readonly fulfillment: FulfillmentContext;

  constructor(private readonly o: DialogEngineOptions) {
    this.fulfillment = {
      definition: o.definition,
      bot: o.bot,
      timer: o.timer,
      log: o.log,
      say: (groups, intent, how) => this.say(groups, intent, how),
    };
  }

  get definition(): BotDefinition {
    return this.o.definition;
  }

  /** One text turn (RecognizeText / PostText). `forceFallback` models a broken NLU. */
  async recognizeText(
    session: Session,
    text: string,
    requestAttributes: Record<string, string>,
    forceFallback: boolean,
  ): Promise<Turn> {
    session.requestAttributes = requestAttributes;
    session.lastInput = text;
    const st = session.state;
    st.originatingRequestId = randomUUID();
    const current = st.intent;
    const action = st.dialogAction;
    const def = current && this.intentDef(current.name);
    let turn: Turn;
    if (!forceFallback && current && def && current.state === 'InProgress' && action?.type === 'ElicitSlot') {
      turn = await this.answerSlot(session, def, current, action.slotToElicit ?? '', text);
    } else if (!forceFallback && current && def && current.state === 'InProgress' && action?.type === 'ConfirmIntent') {
      turn = await this.answerConfirmation(session, def, current, text);
    } else {
      turn = await this.newIntent(session, text, forceFallback);
    }
    session.messages = turn.messages;
    session.interpretations = turn.interpretations;
    return turn;
  }

  /** PutSession: replace the state; messages default to the prompt the dialog action implies. */
  putSession(session: Session, state: WireSessionState, messages: WireMessage[] | undefined): Turn {
    session.state = state;
    session.retries = 0;
    let out = messages;
    const intent = state.intent;
    const def = intent && this.intentDef(intent.name);
    if (intent && def) for (const s of def.slots) intent.slots[s.name] ??= null;
    if (!out) {
      if (state.dialogAction?.type === 'ElicitSlot' && def && intent) {
        const slot = def.slots.find((s) => s.name === state.dialogAction?.slotToElicit);
        out = slot ? this.say(slot.prompt.messageGroups, intent) : [];
      } else if (state.dialogAction?.type === 'ConfirmIntent' && def?.confirmation && intent) {
        out = this.say(def.confirmation.prompt.messageGroups, intent);
      } else if (state.dialogAction?.type === 'Delegate' && def && intent) {
        const next = this.nextPrompt(def, intent);
        state.dialogAction = next.dialogAction;
        out = next.messages;
      } else out = [];
    }
    session.messages = out;
    session.interpretations = intent ? [{ intent, nluConfidence: { score: 1 }, interpretationSource: 'Lex' }] : [];
    return { messages: out, sessionState: state, interpretations: session.interpretations };
  }

  private intentDef(name: string): IntentDefinition | undefined {
    return this.o.definition.intents.find((i) => i.name === name);
  }

  private async newIntent(session: Session, text: string, forceFallback: boolean): Promise<Turn> {
    const c = classify(text, this.o.definition);
    const name = forceFallback ? FALLBACK_INTENT : c.intent;
    const def = this.intentDef(name);
    session.retries = 0;
    const others = c.scores.filter((s) => s.name !== name);
    const interpretationsFor = (intent: WireIntent): WireInterpretation[] => [
      name === FALLBACK_INTENT
        ? { intent, interpretationSource: 'Lex' }
        : { intent, nluConfidence: { score: c.confidence ?? 0 }, interpretationSource: 'Lex' },
      ...(name === FALLBACK_INTENT
        ? []
        : [{ intent: emptyIntent(FALLBACK_INTENT), interpretationSource: 'Lex' as const }]),
      ...others.map((s) => ({
        intent: emptyIntent(s.name, this.intentDef(s.name)),
        nluConfidence: { score: s.score },
        interpretationSource: 'Lex' as const,
      })),
    ];
    if (!def || name === FALLBACK_INTENT || def.parentIntentSignature === 'AMAZON.FallbackIntent') {
      const intent = { ...emptyIntent(FALLBACK_INTENT), state: 'ReadyForFulfillment' as const };
      session.state.intent = intent;
      session.state.dialogAction = { type: 'Close' };
      const messages = def?.closingResponse?.active ? this.say(def.closingResponse.messageGroups, intent) : [];
      return { messages, sessionState: session.state, interpretations: interpretationsFor(intent) };
    }
    const intent = emptyIntent(def.name, def);
    intent.state = 'InProgress';
    const filled = extractSlots(text, def, this.o.definition, this.o.timer.now());
    for (const [k, v] of Object.entries(filled)) intent.slots[k] = { value: v };
    session.state.intent = intent;
    const turn = await this.advance(session, def, intent);
    return { ...turn, interpretations: interpretationsFor(intent) };
  }

  private async answerSlot(
    session: Session,
    def: IntentDefinition,
    intent: WireIntent,
    slotName: string,
    text: string,
  ): Promise<Turn> {
    const filled = extractSlots(text, def, this.o.definition, this.o.timer.now(), slotName);
    for (const [k, v] of Object.entries(filled)) if (k === slotName || !intent.slots[k]) intent.slots[k] = { value: v };
    const interpretations: WireInterpretation[] = [
      { intent, nluConfidence: { score: 1 }, interpretationSource: 'Lex' },
    ];
    const slot = def.slots.find((s) => s.name === slotName);
    if (slot && !filled[slotName]) {
      session.retries += 1;
      if (session.retries > slot.prompt.maxRetries) return { ...this.fail(session, intent, []), interpretations };
      return { messages: this.say(slot.prompt.messageGroups, intent), sessionState: session.state, interpretations };
    }
    session.retries = 0;
    return { ...(await this.advance(session, def, intent)), interpretations };
  }

  private async answerConfirmation(
    session: Session,
    def: IntentDefinition,
    intent: WireIntent,
    text: string,
  ): Promise<Turn> {
    const interpretations: WireInterpretation[] = [
      { intent, nluConfidence: { score: 1 }, interpretationSource: 'Lex' },
    ];
    const answer = yesNo(text);
    const confirmation = def.confirmation;
    if (answer === 'no') {
      intent.confirmationState = 'Denied';
      const r = confirmation?.declinationResponse;
      return { ...this.fail(session, intent, r?.active ? this.say(r.messageGroups, intent) : []), interpretations };
    }
    if (answer === undefined && confirmation) {
      session.retries += 1;
      if (session.retries > confirmation.prompt.maxRetries)
        return { ...this.fail(session, intent, []), interpretations };
      return {
        messages: this.say(confirmation.prompt.messageGroups, intent),
        sessionState: session.state,
        interpretations,
      };
    }
    session.retries = 0;
    intent.confirmationState = 'Confirmed';
    return { ...(await this.advance(session, def, intent)), interpretations };
  }

  private fail(session: Session, intent: WireIntent, messages: WireMessage[]): Turn {
    intent.state = 'Failed';
    session.state.dialogAction = { type: 'Close' };
    return { messages, sessionState: session.state, interpretations: [] };
  }

  /** The next prompt (slot or confirmation); `fulfill` when the intent is complete. */
  private nextPrompt(
    def: IntentDefinition,
    intent: WireIntent,
  ): { dialogAction: WireSessionState['dialogAction']; messages: WireMessage[]; fulfill?: true } {
    const missing = def.slots.find((s) => s.required && !intent.slots[s.name]);
    if (missing) {
      return {
        dialogAction: { type: 'ElicitSlot', slotToElicit: missing.name },
        messages: this.say(missing.prompt.messageGroups, intent),
      };
    }
    if (def.confirmation?.active && intent.confirmationState === 'None') {
      return {
        dialogAction: { type: 'ConfirmIntent' },
        messages: this.say(def.confirmation.prompt.messageGroups, intent),
      };
    }
    return { dialogAction: { type: 'Close' }, messages: [], fulfill: true };
  }

  private async advance(session: Session, def: IntentDefinition, intent: WireIntent): Promise<Turn> {
    const next = this.nextPrompt(def, intent);
    session.state.dialogAction = next.dialogAction;
    if (!next.fulfill) {
      intent.state = 'InProgress';
      return { messages: next.messages, sessionState: session.state, interpretations: [] };
    }
    if (def.fulfillment?.codeHook && this.o.fulfill)
      return fulfillIntent(this.fulfillment, this.o.fulfill, session, def, intent);
    intent.state = 'ReadyForFulfillment';
    const closing = def.closingResponse;
    return {
      messages: closing?.active ? this.say(closing.messageGroups, intent) : [],
      sessionState: session.state,
      interpretations: [],
    };
  }

  /** What Lex says for `groups` (see `messages.ts`): `each-group` for every response and prompt. */
  say(groups: MessageGroup[], intent: WireIntent | undefined, how: MessageSelection = 'each-group'): WireMessage[] {
    return messagesToSay(groups, intent, how, this.o.random);
  }
}
