/**
 * One StartConversation stream, after the server accepted it: the input events (configuration, text, audio,
 * DTMF, playback completion, disconnection) become turns of the session's dialog, one after another; responses
 * go out as text and (for an audio reply type) audio; a playing response may be interrupted (barge-in);
 * heartbeats keep the stream alive; fulfillment progress is spoken as it happens; and the region's faults fail
 * or stall the stream while it runs.
 */
import type { ServerHttp2Stream } from 'node:http2';
import type { LexTimer } from './clock';
import { AudioInput, replyAudio, replyAudioRate } from './conversation-audio';
import type { AudioInputEvent, ConfigurationEvent } from './conversation-events';
import {
  KIND_TO_EXCEPTION,
  OPERATION,
  audioInputEventSchema,
  configurationEventSchema,
  dtmfInputEventSchema,
  textInputEventSchema,
} from './conversation-events';
import type { EndpointEvent } from './endpointer';
import { EventStreamReader, encodeEvent, encodeException } from './event-stream';
import { DEFAULT_SLOW_MS, faultError } from './faults';
import { DependencyFailedError } from './fulfillment';
import type { ErrorKind, RegionBot, RegionState } from './protocol';
import { LexApiError, openSession } from './protocol';
import type { Session, WireMessage } from './session';
import type { Fault, LexRequestRecord } from './types';
import type { Resolved } from './v2';
import { parse, toState } from './v2';
import type { VadFactory } from './vad';

/** What a conversation needs from its region. */
export interface ConversationHost {
  state: RegionState;
  timer: LexTimer;
  fault(): Fault;
  /** Counts the request and adds it to the request log. */
  record(r: LexRequestRecord): void;
  log(e: Record<string, unknown>): void;
  /** Heartbeat period (bot time). @default 5000 */
  heartbeatMs?: number;
  /** A pause after the last DTMF digit that ends the digits (bot time). @default 3000 */
  dtmfEndMs?: number;
  /** Creates the detector that endpoints audio input. @default none: audio input ends the stream with an exception */
  vad?: VadFactory;
}

/** What a playing response allows. */
interface Playing {
  eventId: string;
  interruptible: boolean;
  /** Bot time at which the audio has surely finished playing (clients need not send PlaybackCompletionEvent). */
  untilMs: number;
}

/** One StartConversation stream. */
export class Conversation {
  private readonly rb: RegionBot;
  private readonly session: Session;
  private readonly sessionId: string;
  private readonly reader = new EventStreamReader();
  private readonly audioInput: AudioInput;
  private configured = false;
  private responseContentType = 'text/plain; charset=utf-8';
  private requestAttributes: Record<string, string> = {};
  private disablePlayback = false;
  /** Turns run one after another. */
  private work: Promise<void> = Promise.resolve();
  private busy = 0;
  private playing: Playing | undefined;
  private dtmf = '';
  private dtmfTimer: unknown;
  private heartbeat: unknown;
  /** While the region hangs: events are held here. */
  private held: Buffer[] | undefined;
  private nextId = 1;
  private done = false;

  constructor(
    private readonly h: ConversationHost,
    private readonly stream: ServerHttp2Stream,
    resolved: Resolved,
    private readonly mode: 'AUDIO' | 'TEXT',
    private readonly record: LexRequestRecord,
    private readonly onClose: () => void,
  ) {
    this.rb = resolved.rb;
    this.sessionId = resolved.params.sessionId;
    const region = h.state;
    this.audioInput = new AudioInput(region.region, h.vad);
    this.session = openSession(region, resolved.key, this.rb, this.sessionId);
    this.session.onProgress = (n) => {
      if (this.done) return;
      this.respond(n.messages, n.allowInterrupt);
    };
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('end', () => {
      // The client ended its input: answer what is under way, then end the response stream.
      void this.work.then(() => this.finish());
    });
    stream.on('close', () => this.close());
    if (h.fault().mode === 'hang') this.held = [];
    this.beat();
  }

  faultChanged(f: Fault): void {
    const faulted = faultError(f, this.h.state.region, this.mode === 'AUDIO');
    if (faulted) {
      this.held = undefined;
      return this.raise(faulted.kind, faulted.message);
    }
    if (f.mode === 'hang') {
      this.held ??= [];
      return;
    }
    const held = this.held;
    this.held = undefined;
    for (const b of held ?? []) this.write(b);
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.h.timer.clearTimeout(this.heartbeat);
    this.h.timer.clearTimeout(this.dtmfTimer);
    if (this.session.onProgress) this.session.onProgress = undefined;
    this.audioInput.close();
    // After end() the stream closes by itself; close() (RST_STREAM) right after end() can drop the END_STREAM.
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.close();
    this.onClose();
  }

  private beat(): void {
    this.heartbeat = this.h.timer.setTimeout(() => {
      if (this.done) return;
      // A hung region sends nothing; its missed heartbeats are not sent later either.
      if (!this.held) this.send('HeartbeatEvent', { eventId: this.id() });
      this.beat();
    }, this.h.heartbeatMs ?? 5000);
  }

  private id(): string {
    return `RESPONSE-${this.nextId++}`;
  }

  private write(b: Buffer | Uint8Array): void {
    if (this.done || this.stream.destroyed || this.stream.writableEnded) return;
    if (this.held) this.held.push(Buffer.from(b));
    else this.stream.write(b);
  }

  private send(eventType: string, payload: object): void {
    this.write(encodeEvent(eventType, payload));
  }

  /** Sends the exception event and ends the stream (an exception ends a StartConversation stream). */
  private raise(kind: ErrorKind, message: string): void {
    if (this.done) return;
    const type = KIND_TO_EXCEPTION[kind];
    this.h.log({
      region: this.h.state.region,
      event: 'conversation-exception',
      sessionId: this.sessionId,
      type,
      message,
    });
    this.write(encodeException(type, message));
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    if (!this.stream.destroyed && !this.stream.writableEnded && !this.held) this.stream.end();
    this.close();
  }

  /** Handles the input events complete in the body so far; a bad one ends the stream with an exception. */
  private receive(chunk: Buffer): void {
    if (this.done) return;
    try {
      for (const e of this.reader.read(chunk)) {
        this.onEvent(e.type, e.json);
        if (this.done) return;
      }
    } catch (err) {
      if (err instanceof LexApiError) return this.raise(err.kind, err.message);
      return this.raise('validation', `malformed event-stream message: ${String(err)}`);
    }
  }

  private onEvent(type: string, json: unknown): void {
    if (this.held) return; // a hung region hears nothing either
    this.session.lastActiveAt = this.h.state.now();
    if (type !== 'ConfigurationEvent' && type !== 'DisconnectionEvent' && !this.configured)
      throw new LexApiError(
        'validation',
        `${type} before ConfigurationEvent: the first event must configure the conversation`,
      );
    switch (type) {
      case 'ConfigurationEvent':
        return this.configure(parse(configurationEventSchema, json, 'ConfigurationEvent'));
      case 'TextInputEvent': {
        const e = parse(textInputEventSchema, json, 'TextInputEvent');
        this.bargeIn('TEXT_DETECTED');
        this.note({ text: e.text });
        return this.input(e.text, 'Text');
      }
      case 'AudioInputEvent':
        return this.audio(parse(audioInputEventSchema, json, 'AudioInputEvent'));
      case 'DTMFInputEvent':
        return this.dtmfInput(parse(dtmfInputEventSchema, json, 'DTMFInputEvent').inputCharacter);
      case 'PlaybackCompletionEvent':
        this.playing = undefined;
        return;
      case 'DisconnectionEvent':
        this.h.log({ region: this.h.state.region, event: 'conversation-disconnected', sessionId: this.sessionId });
        return this.finish();
      default:
        throw new LexApiError('validation', `unknown input event ${type}`);
    }
  }

  private note(r: Partial<LexRequestRecord>): void {
    Object.assign(this.record, r);
  }

  private configure(e: ConfigurationEvent): void {
    if (this.configured) throw new LexApiError('validation', 'ConfigurationEvent may be sent only once, first');
    this.configured = true;
    this.responseContentType = e.responseContentType;
    this.requestAttributes = e.requestAttributes ?? {};
    this.disablePlayback = e.disablePlayback ?? false;
    this.note({ responseContentType: e.responseContentType, withSessionState: e.sessionState !== undefined });
    if (e.sessionState) this.session.state = toState(e.sessionState, this.session.state);
    this.session.requestAttributes = this.requestAttributes;
    const welcome = (e.welcomeMessages ?? []).map((m): WireMessage => ({
      contentType: m.contentType,
      content: m.content ?? '',
    }));
    if (welcome.length > 0) this.respond(welcome, true);
  }

  /** The caller started speaking, typing or pressing keys while a response plays. */
  private bargeIn(reason: 'VOICE_START_DETECTED' | 'DTMF_START_DETECTED' | 'TEXT_DETECTED'): boolean {
    const p = this.playing;
    if (!p || this.h.state.now() >= p.untilMs) {
      this.playing = undefined;
      return true;
    }
    if (!p.interruptible) return false;
    this.playing = undefined;
    this.send('PlaybackInterruptionEvent', { eventReason: reason, causedByEventId: p.eventId, eventId: this.id() });
    return true;
  }

  private audio(e: AudioInputEvent): void {
    const { bytes, rate, events } = this.audioInput.push(e);
    this.note({ bytes: (this.record.bytes ?? 0) + bytes });
    for (const ev of events) this.endpoint(ev, rate);
  }

  private endpoint(ev: EndpointEvent, rate: number): void {
    if (ev.type === 'speech-start') {
      this.bargeIn('VOICE_START_DETECTED');
      return;
    }
    const transcript = this.h.state.speech.templates.recognize(ev.pcm, rate)?.transcript ?? '';
    this.note({ transcript });
    this.send('TranscriptEvent', { transcript, eventId: this.id() });
    this.input(transcript, 'Speech');
  }

  private dtmfInput(ch: string): void {
    if (this.dtmf === '') this.bargeIn('DTMF_START_DETECTED');
    this.h.timer.clearTimeout(this.dtmfTimer);
    const flush = () => {
      const digits = this.dtmf;
      this.dtmf = '';
      if (digits !== '') this.input(digits, 'DTMF');
    };
    if (ch === '#') return flush();
    this.dtmf += ch;
    this.dtmfTimer = this.h.timer.setTimeout(flush, this.h.dtmfEndMs ?? 3000);
  }

  /** One user input: a turn, or (while fulfillment runs) an update response, as Lex answers input then. */
  private input(text: string, inputMode: 'Text' | 'Speech' | 'DTMF'): void {
    if (this.busy > 0 && this.session.nudgeFulfillment) {
      this.session.nudgeFulfillment();
      return;
    }
    this.busy += 1;
    this.work = this.work
      .then(() => this.turn(text, inputMode))
      .finally(() => {
        this.busy -= 1;
      });
  }

  private async turn(text: string, inputMode: 'Text' | 'Speech' | 'DTMF'): Promise<void> {
    if (this.done) return;
    const f = this.h.fault();
    if (f.mode === 'slow') await new Promise((r) => setTimeout(r, f.latencyMs ?? DEFAULT_SLOW_MS));
    const s = this.session;
    s.lastInputMode = inputMode;
    try {
      const turn = await this.rb.engine.recognizeText(s, text, this.requestAttributes, this.h.state.nluBroken());
      s.lastActiveAt = this.h.state.now();
      this.send('IntentResultEvent', {
        inputMode,
        interpretations: turn.interpretations,
        sessionState: turn.sessionState,
        ...(Object.keys(this.requestAttributes).length > 0 && { requestAttributes: this.requestAttributes }),
        sessionId: this.sessionId,
        eventId: this.id(),
      });
      this.respond(turn.messages, true);
    } catch (err) {
      if (err instanceof LexApiError) return this.raise(err.kind, err.message);
      if (err instanceof DependencyFailedError) return this.raise('dependency', err.message);
      this.h.log({ region: this.h.state.region, event: 'internal-error', operation: OPERATION, error: String(err) });
      return this.raise('internal', 'Internal error in the local Lex runtime');
    }
  }

  /** A response: its text, then (for an audio reply type) its audio in chunks and an empty chunk ending it. */
  private respond(messages: WireMessage[], interruptible: boolean): void {
    if (messages.length === 0 || this.done) return;
    const eventId = this.id();
    this.send('TextResponseEvent', { messages, eventId });
    const rate = this.mode === 'AUDIO' ? replyAudioRate(this.responseContentType) : undefined;
    if (rate === undefined) return;
    const audio = replyAudio(messages, rate, this.h.state.speech.synthesize);
    for (const audioChunk of audio.chunks)
      this.send('AudioResponseEvent', { audioChunk, contentType: this.responseContentType, eventId: this.id() });
    this.send('AudioResponseEvent', { audioChunk: '', contentType: this.responseContentType, eventId: this.id() });
    if (!this.disablePlayback)
      this.playing = { eventId, interruptible, untilMs: this.h.state.now() + audio.durationMs };
  }
}
