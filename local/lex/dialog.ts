/**
 * The dialog engine of the local Lex regions: slot elicitation in priority order, confirmation,
 * fulfillment through the code hook (with the definition's progress updates and timeout), and the
 * post-fulfillment responses. Session state is kept in the Lex V2 wire shape; the V1 protocol maps it.
 */
import { randomUUID } from 'node:crypto';
import type { BotDefinition, IntentDefinition, MessageGroup, ResponseDefinition } from '../../bot/definition';
import { FALLBACK_INTENT } from '../../bot/definition';
import type { MessageSelection } from './messages';
import { chooseMessages } from './messages';
import type { LexV2CodeHookEvent, LexV2CodeHookResponse } from '../../bot/fulfillment-core';
import { lexV2CodeHookResponseSchema } from '../../bot/fulfillment-core';
import type { SlotValue } from './nlu';
import { classify, extractSlots, yesNo } from './nlu';

export type IntentState =
  'Failed' | 'Fulfilled' | 'FulfillmentInProgress' | 'InProgress' | 'ReadyForFulfillment' | 'Waiting';
export type ConfirmationState = 'Confirmed' | 'Denied' | 'None';
export type DialogActionType = 'Close' | 'ConfirmIntent' | 'Delegate' | 'ElicitIntent' | 'ElicitSlot';

export interface WireSlot {
  shape?: string;
  value: SlotValue;
}
export interface WireIntent {
  name: string;
  slots: Record<string, WireSlot | null>;
  state: IntentState;
  confirmationState: ConfirmationState;
}
export interface WireSessionState {
  dialogAction?: { type: DialogActionType; slotToElicit?: string };
  intent?: WireIntent;
  sessionAttributes: Record<string, string>;
  originatingRequestId?: string;
}
export interface WireMessage {
  contentType: 'PlainText' | 'SSML' | 'CustomPayload' | 'ImageResponseCard';
  content: string;
}
export interface WireInterpretation {
  intent: WireIntent;
  nluConfidence?: { score: number };
  interpretationSource: 'Lex';
}

/** A fulfillment progress message Lex would have spoken (not deliverable over RecognizeText). */
export interface ProgressEvent {
  sessionId: string;
  kind: 'start' | 'update';
  /** Milliseconds after fulfillment began, on the region's clock. */
  afterMs: number;
  message: string;
}

/** A progress message as it happens, for a conversation stream that carries the session. */
export interface ProgressNotice extends ProgressEvent {
  messages: WireMessage[];
  /** The definition's `allowInterrupt` for this response. */
  allowInterrupt: boolean;
}

/** The default fulfillment timeout when progress updates are off or absent (the Lex V2 default). */
export const DEFAULT_FULFILLMENT_TIMEOUT_SECONDS = 30;

/** Everything one session holds. */
export interface Session {
  sessionId: string;
  state: WireSessionState;
  messages: WireMessage[];
  interpretations: WireInterpretation[];
  requestAttributes: Record<string, string>;
  /** Failed answers to the current prompt. */
  retries: number;
  progress: ProgressEvent[];
  lastActiveAt: number;
  /** The last text the user sent. */
  lastInput?: string;
  /** How the last input came (StartConversation and RecognizeUtterance: `Speech` or `DTMF`). @default 'Text' */
  lastInputMode?: 'Text' | 'Speech' | 'DTMF';
  /** Set while a StartConversation stream carries the session: progress messages are delivered as they happen. */
  onProgress?: (notice: ProgressNotice) => void;
  /** Set while fulfillment runs with an active update response: input meanwhile is answered with an update. */
  nudgeFulfillment?: () => void;
}

export interface Turn {
  messages: WireMessage[];
  sessionState: WireSessionState;
  interpretations: WireInterpretation[];
}

/** The clock and timers the engine uses; tests pass a faster one. */
export interface LexTimer {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimer: LexTimer = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

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

export interface DialogEngineOptions {
  definition: BotDefinition;
  bot: BotIdentity;
  fulfill?: (event: LexV2CodeHookEvent) => Promise<LexV2CodeHookResponse>;
  random: () => number;
  timer: LexTimer;
  log: (event: Record<string, unknown>) => void;
}

export function newSession(sessionId: string, now: number): Session {
  return {
    sessionId,
    state: { sessionAttributes: {} },
    messages: [],
    interpretations: [],
    requestAttributes: {},
    retries: 0,
    progress: [],
    lastActiveAt: now,
  };
}

export class DialogEngine {
  constructor(private readonly o: DialogEngineOptions) {}

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
    if (def.fulfillment?.codeHook && this.o.fulfill) return this.fulfill(session, def, intent);
    intent.state = 'ReadyForFulfillment';
    const closing = def.closingResponse;
    return {
      messages: closing?.active ? this.say(closing.messageGroups, intent) : [],
      sessionState: session.state,
      interpretations: [],
    };
  }

  private async fulfill(session: Session, def: IntentDefinition, intent: WireIntent): Promise<Turn> {
    const fulfill = this.o.fulfill;
    if (!fulfill) throw new DependencyFailedError('no fulfillment code hook is configured');
    intent.state = 'ReadyForFulfillment';
    const event = this.codeHookEvent(session, intent);
    const outcome = await this.runWithUpdates(session, def, () => fulfill(event));
    const post = def.fulfillment?.postFulfillment;
    const respond = (r: ResponseDefinition | undefined) => (r?.active ? this.say(r.messageGroups, intent) : []);
    const closing = () => (def.closingResponse?.active ? this.say(def.closingResponse.messageGroups, intent) : []);
    session.state.dialogAction = { type: 'Close' };
    if (outcome.kind === 'timeout') {
      intent.state = 'Failed';
      this.o.log({ event: 'fulfillment-timeout', sessionId: session.sessionId });
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
      this.o.log({ event: 'fulfillment-error', sessionId: session.sessionId, reason });
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
    this.o.log({ event: 'fulfillment-done', sessionId: session.sessionId, state });
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

  /**
   * Runs the code hook; records (and hands to a listening stream) the start/update messages Lex speaks
   * meanwhile, at times measured from the start of fulfillment (start after `delayInSeconds`, then an update
   * every `frequencyInSeconds`), unless fulfillment finished first; enforces the timeout (30 s when the
   * progress updates are off).
   */
  private runWithUpdates(session: Session, def: IntentDefinition, call: () => Promise<unknown>): Promise<Outcome> {
    const t = this.o.timer;
    const updates = def.fulfillment?.updates;
    const started = t.now();
    const handles = new Set<unknown>();
    let settled = false;
    return new Promise<Outcome>((resolve) => {
      const finish = (o: Outcome) => {
        if (settled) return;
        settled = true;
        for (const h of handles) t.clearTimeout(h);
        handles.clear();
        session.nudgeFulfillment = undefined;
        resolve(o);
      };
      const record = (kind: ProgressEvent['kind'], groups: MessageGroup[], allowInterrupt: boolean) => {
        const messages = this.say(groups, session.state.intent, 'one');
        const ev: ProgressEvent = {
          sessionId: session.sessionId,
          kind,
          afterMs: t.now() - started,
          message: messages[0]?.content ?? '',
        };
        session.progress.push(ev);
        this.o.log({ event: 'fulfillment-progress', ...ev });
        session.onProgress?.({ ...ev, messages, allowInterrupt });
      };
      /** Runs `fn` when `atMs` of fulfillment time have passed (not drifting with each timer's lateness). */
      const at = (atMs: number, fn: () => void) => {
        const h = t.setTimeout(
          () => {
            handles.delete(h);
            if (!settled) fn();
          },
          Math.max(0, atMs - (t.now() - started)),
        );
        handles.add(h);
      };
      const timeoutSeconds = updates?.active ? updates.timeoutInSeconds : DEFAULT_FULFILLMENT_TIMEOUT_SECONDS;
      if (updates?.active) {
        const start = updates.startResponse?.active ? updates.startResponse : undefined;
        const update = updates.updateResponse?.active ? updates.updateResponse : undefined;
        const firstUpdateMs =
          (start ? start.delayInSeconds * 1000 : 0) + (update ? update.frequencyInSeconds * 1000 : 0);
        const every = (k: number): void => {
          if (update)
            at(firstUpdateMs + k * update.frequencyInSeconds * 1000, () => {
              record('update', update.messageGroups, update.allowInterrupt);
              every(k + 1);
            });
        };
        if (start) at(start.delayInSeconds * 1000, () => record('start', start.messageGroups, start.allowInterrupt));
        every(0);
        if (update) session.nudgeFulfillment = () => record('update', update.messageGroups, update.allowInterrupt);
      }
      at(timeoutSeconds * 1000, () => finish({ kind: 'timeout', afterSeconds: timeoutSeconds }));
      call().then(
        (response) => finish({ kind: 'done', response }),
        (error: unknown) => finish({ kind: 'error', error }),
      );
    });
  }

  private codeHookEvent(session: Session, intent: WireIntent): LexV2CodeHookEvent {
    const b = this.o.bot;
    return {
      messageVersion: '1.0',
      invocationSource: 'FulfillmentCodeHook',
      inputMode: session.lastInputMode ?? 'Text',
      responseContentType: 'text/plain; charset=utf-8',
      sessionId: session.sessionId,
      inputTranscript: session.lastInput ?? '',
      bot: {
        id: b.botId,
        name: this.o.definition.bot.name,
        aliasId: b.botAliasId,
        aliasName: b.botAlias,
        localeId: this.o.definition.locale.localeId,
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

  /**
   * What Lex says for `groups` (see `messages.ts`): one message per group, in order (`each-group`, every response
   * and prompt), or one message in all (`one`, progress responses); `{Slot}` placeholders filled.
   */
  say(groups: MessageGroup[], intent: WireIntent | undefined, how: MessageSelection = 'each-group'): WireMessage[] {
    return chooseMessages(groups, how, this.o.random).map((text) => ({
      contentType: 'PlainText',
      content: text.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
        const v = intent?.slots[name]?.value;
        return v ? v.interpretedValue : whole;
      }),
    }));
  }
}

type Outcome =
  { kind: 'done'; response: unknown } | { kind: 'timeout'; afterSeconds: number } | { kind: 'error'; error: unknown };

export function emptyIntent(name: string, def?: IntentDefinition): WireIntent {
  return {
    name,
    slots: Object.fromEntries((def?.slots ?? []).map((s) => [s.name, null])),
    state: 'InProgress',
    confirmationState: 'None',
  };
}
