/** The public contract of the local Lex regions. */
import type { GuardPolicy } from '../http';
import type { BotDefinition } from '../../bot/definition';
import type { LexV2CodeHookEvent, LexV2CodeHookResponse } from '../../bot/fulfillment-core';
import type { LexTimer } from './clock';
import type { ProgressEvent } from './session';
import type { SpeechTemplates, SynthMode } from './speech';
import type { VadFactory } from './vad';

/** One Lex request as the region saw it. */
export interface LexRequestRecord {
  operation: string;
  sessionId?: string;
  /** Content-Type of the request (RecognizeUtterance: the audio format). */
  contentType?: string;
  /** RecognizeUtterance: the reply format asked for. */
  responseContentType?: string;
  /** RecognizeUtterance: audio bytes received. */
  bytes?: number;
  /** RecognizeUtterance: what the test-only recogniser heard (empty: nothing it knows). */
  transcript?: string;
  /** The request carried a session state (a resumed dialog). */
  withSessionState?: boolean;
  /** RecognizeText: the text. */
  text?: string;
  /** StartConversation: `x-amz-lex-conversation-mode`. */
  conversationMode?: 'AUDIO' | 'TEXT';
}

/**
 * A region's fault modes — the one list the region, its control API, the CLI and the dashboard use:
 * - `none`: answer normally.
 * - `down`: 500 InternalServerException (V1 InternalFailureException).
 * - `throttled`: 429 ThrottlingException (V1 LimitExceededException).
 * - `notfound`: 404 ResourceNotFoundException (V1 NotFoundException): the alias is gone.
 * - `hang`: accept the request and never answer until the fault is cleared (then answer) or the server closes.
 * - `slow`: wait `latencyMs` (default 3000), then answer normally.
 * - `wrongintent`: the NLU answers FallbackIntent to everything; session APIs still work.
 * - `nospeech`: speech recognition fails as `down` does — RecognizeUtterance, V1 PostContent, StartConversation in
 *   AUDIO mode — while the text APIs (RecognizeText, PostText, the session APIs, StartConversation in TEXT mode)
 *   answer normally: text probes pass while callers fail.
 */
export const LEX_FAULT_MODES = [
  'none',
  'down',
  'throttled',
  'notfound',
  'hang',
  'slow',
  'wrongintent',
  'nospeech',
] as const;
export type FaultMode = (typeof LEX_FAULT_MODES)[number];

/** One line per fault mode (`lexdr fault --help`). */
export const LEX_FAULT_HELP: Record<FaultMode, string> = {
  none: 'answer normally (clears the fault)',
  down: '500 InternalServerException',
  throttled: '429 ThrottlingException',
  notfound: '404 ResourceNotFoundException (alias gone)',
  hang: 'never answer until cleared (probes time out)',
  slow: 'answer after --latency ms (default 3000)',
  wrongintent: 'NLU answers FallbackIntent; session APIs work',
  nospeech: 'speech recognition fails (500); text APIs work',
};

export interface Fault {
  mode: FaultMode;
  /** Only for `slow`. @default 3000 */
  latencyMs?: number;
}

export interface LocalBot {
  definition: BotDefinition;
  /** Lex V2 bot ID (10 characters [0-9A-Z]); see `localBotIds`. */
  botId: string;
  botAliasId: string;
  /** The Lex V1 bot name. */
  botName: string;
  /** The Lex V1 alias name. */
  botAlias: string;
}

export interface LocalLexRegionOptions {
  region: string;
  /** Host/Origin checks of every request (no token: SDK clients sign with their own keys). @default loopback Host only */
  guard?: GuardPolicy;
  bots: LocalBot[];
  /** 0 = any free port. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The fulfillment code hook (normally the real fulfillment core, in-process). @default none: intents end ReadyForFulfillment */
  fulfill?: (event: LexV2CodeHookEvent) => Promise<LexV2CodeHookResponse>;
  /**
   * Picks, as Lex does at random, each message group's message or variation (a response plays one per group) and a
   * progress response's one message. @default Math.random
   */
  random?: () => number;
  /** Clock and timers for fulfillment progress and timeout, session expiry and dates. @default the real ones */
  timer?: LexTimer;
  /**
   * Bot time runs this many times faster than the wall clock (ignored when `timer` is given): fulfillment
   * delays, progress updates and timeouts, heartbeats. @default 1 (real seconds)
   */
  timeScale?: number;
  /** StartConversation heartbeat period, bot time. @default 5000 */
  heartbeatMs?: number;
  /** Receives one object per notable event (fulfillment progress, timeouts, faults). @default discard */
  log?: (event: Record<string, unknown>) => void;
  /**
   * RecognizeUtterance speech: the test-only recordings it recognises (share one registry across regions)
   * and the reply synthesiser (`auto`: espeak-ng when installed, else a tone sequence).
   * @default a registry of its own, `auto`
   */
  speech?: { templates?: SpeechTemplates; synthesize?: SynthMode };
  /**
   * Creates the voice activity detector that endpoints StartConversation audio (one per conversation and sample
   * rate), e.g. `(rate) => new WebRtcVad(rate, 2)` from the Twilio bridge.
   * @default none: an AudioInputEvent ends its conversation with an InternalServerException naming this option
   */
  vad?: VadFactory;
}

export interface LocalLexRegion {
  region: string;
  /** `http://host:port`: the endpoint for both Lex runtime clients, HTTP/1.1 and HTTP/2 (StartConversation). */
  url: string;
  setFault(f: Fault): void;
  fault(): Fault;
  /** Requests per operation (`V2.RecognizeText`, `V2.PutSession`, `V1.PostText`, ...), counted on arrival. */
  stats(): Record<string, number>;
  /** The Lex runtime requests received (newest last, at most 1000), as `GET /_lexdr/requests` shows them. */
  requests(): LexRequestRecord[];
  /** The recordings RecognizeUtterance recognises (test-only; also `PUT /_lexdr/speech`). */
  speechTemplates: SpeechTemplates;
  /** Fulfillment progress messages Lex spoke (StartConversation) or would have spoken, optionally for one session. */
  progress(sessionId?: string): ProgressEvent[];
  /** Delays the fulfillment code hook of one intent by `delayMs` of bot time (`undefined` clears it); also `PUT /_lexdr/fulfillment`. */
  setFulfillmentDelay(intent: string, delayMs: number | undefined): void;
  close(): Promise<void>;
}
