/**
 * What one local Lex session holds, in the Lex V2 wire shape (the V1 protocol maps it): the intent and its
 * slots, the dialog action, the last answer, and the fulfillment progress messages Lex spoke meanwhile.
 */
import type { IntentDefinition } from '../../bot/definition';
import type { SlotValue } from './nlu';

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

/** What one turn answers. */
export interface Turn {
  messages: WireMessage[];
  sessionState: WireSessionState;
  interpretations: WireInterpretation[];
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

export function emptyIntent(name: string, def?: IntentDefinition): WireIntent {
  return {
    name,
    slots: Object.fromEntries((def?.slots ?? []).map((s) => [s.name, null])),
    state: 'InProgress',
    confirmationState: 'None',
  };
}
