/**
 * Lex V2 StartConversation for the local regions: cleartext HTTP/2 (prior knowledge, as the SDK's
 * `NodeHttp2Handler` speaks to an `http://` endpoint) on the region's own port, framed with the AWS
 * event-stream encoding through the SDK's own codec (`EventStreamCodec` of `@smithy/core/event-streams`).
 *
 * Input events: ConfigurationEvent (first), TextInputEvent, AudioInputEvent (PCM, endpointed by the region's
 * VAD), DTMFInputEvent (`#` or a pause ends the digits), PlaybackCompletionEvent, DisconnectionEvent.
 * Output events: HeartbeatEvent, TranscriptEvent, IntentResultEvent, TextResponseEvent, AudioResponseEvent
 * (audio chunks, then an empty chunk ending the response), PlaybackInterruptionEvent, and the modeled
 * exceptions, which end the stream. Fulfillment start/update responses are sent as they happen.
 *
 * Faults as for the other APIs: at the start of a conversation `down`/`throttled`/`notfound` answer with the
 * HTTP error, `hang` never answers; `slow` delays each answer by `latencyMs`; set while a conversation runs, `down`/`throttled`/`notfound`
 * end it with the exception event and `hang` stalls it (no event, not even a heartbeat) until cleared.
 */
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { Http2Server, Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { createServer as createH2Server } from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { z } from 'zod';
import type { LexTimer, Session, WireMessage } from './dialog';
import { DependencyFailedError, newSession } from './dialog';
import type { EndpointEvent } from './endpointer';
import { Endpointer } from './endpointer';
import { DEFAULT_SLOW_MS, FAULT_ERRORS, faultMessage } from './faults';
import type { RegionBot, RegionState } from './protocol';
import type { LexRequestRecord } from './types';
import { ERROR_TYPES, LexApiError, liveSession } from './protocol';
import { synthesize } from './speech';
import type { Fault } from './types';
import type { Resolved } from './v2';
import { REPLY_PCM_RATE, messageSchema, parse, requestFormat, resolveBot, sessionStateSchema, toState } from './v2';

/** The HTTP/2 connection preface every prior-knowledge client sends first (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const CONVERSATION_PATH =
  /^\/bots\/([^/]+)\/botAliases\/([^/]+)\/botLocales\/([^/]+)\/sessions\/([^/]+)\/conversation\/?$/;

export const OPERATION = 'V2.StartConversation';

const utf8 = new TextEncoder();
const fromUtf8 = (s: string) => utf8.encode(s);
const toUtf8 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
const codec = new EventStreamCodec(toUtf8, fromUtf8);

type Headers = Parameters<EventStreamCodec['encode']>[0]['headers'];
const str = (value: string) => ({ type: 'string' as const, value });

/** An exception event's type, as StartConversationResponseEventStream models them. */
type StreamException =
  | 'AccessDeniedException'
  | 'ResourceNotFoundException'
  | 'ValidationException'
  | 'ThrottlingException'
  | 'InternalServerException'
  | 'ConflictException'
  | 'DependencyFailedException'
  | 'BadGatewayException';

const KIND_TO_EXCEPTION: Record<LexApiError['kind'], StreamException> = {
  validation: 'ValidationException',
  notfound: 'ResourceNotFoundException',
  throttled: 'ThrottlingException',
  internal: 'InternalServerException',
  dependency: 'DependencyFailedException',
};

const configurationEventSchema = z.object({
  responseContentType: z.string().min(1, { error: 'responseContentType must not be empty' }),
  requestAttributes: z.record(z.string(), z.string()).optional(),
  sessionState: sessionStateSchema.optional(),
  welcomeMessages: z.array(messageSchema).max(10).optional(),
  disablePlayback: z.boolean().optional(),
  eventId: z.string().optional(),
  clientTimestampMillis: z.number().optional(),
});
const textInputEventSchema = z.object({
  text: z
    .string()
    .min(1, { error: 'text must be 1–1024 characters' })
    .max(1024, { error: 'text must be 1–1024 characters' }),
  eventId: z.string().optional(),
});
const audioInputEventSchema = z.object({
  contentType: z.string().min(1, { error: 'contentType must not be empty' }),
  audioChunk: z.base64({ error: 'audioChunk must be base64 audio' }).optional(),
  eventId: z.string().optional(),
});
const dtmfInputEventSchema = z.object({
  inputCharacter: z.string().regex(/^[A-D0-9#*]{1}$/, { error: 'inputCharacter must be one of 0-9, A-D, * or #' }),
  eventId: z.string().optional(),
});

/** Reply audio: `audio/pcm` (16 kHz) or `audio/lpcm` at 8 or 16 kHz; anything else answers without audio. */
function replyAudioRate(contentType: string): number | undefined {
  const ct = contentType.toLowerCase().replace(/\s+/g, '');
  if (ct === 'audio/pcm') return REPLY_PCM_RATE;
  const m = /^audio\/lpcm;sample-rate=(8000|16000);sample-size-bits=16;channel-count=1;is-big-endian=false$/.exec(ct);
  return m ? Number(m[1]) : undefined;
}

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
}

/** The StartConversation side of one region: an HTTP/2 server whose other requests go to the HTTP/1.1 handler. */
export class ConversationServer {
  readonly h2: Http2Server;
  private readonly conversations = new Set<Conversation>();
  private readonly sessions = new Set<Http2Session>();
  private readonly parked = new Set<() => void>();

  constructor(
    private readonly host: ConversationHost,
    http1: HttpServer,
  ) {
    this.h2 = createH2Server();
    this.h2.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
      s.on('error', (err) => host.log({ region: host.state.region, event: 'h2-session-error', error: String(err) }));
    });
    this.h2.on('request', (req, res) => {
      if (CONVERSATION_PATH.test(new URL(req.url, 'http://local').pathname) && req.method === 'POST')
        this.open(req.stream, req.headers).catch((err: unknown) => {
          host.log({ region: host.state.region, event: 'conversation-failed', error: String(err) });
          if (!req.stream.destroyed) req.stream.close();
        });
      // Every other operation over HTTP/2 (the SDK's default handler) is the HTTP/1.1 handler's.
      else http1.emit('request', req, res);
    });
  }

  /** The fault changed: running conversations fail, stall or go on. */
  faultChanged(f: Fault): void {
    if (f.mode !== 'hang') for (const wake of [...this.parked]) wake();
    for (const c of [...this.conversations]) c.faultChanged(f);
  }

  close(): void {
    for (const wake of [...this.parked]) wake();
    for (const c of [...this.conversations]) c.close();
    for (const s of [...this.sessions]) s.destroy();
  }

  private async open(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const h = this.host;
    stream.on('error', () => undefined);
    const path = new URL(String(headers[':path'] ?? '/'), 'http://local').pathname;
    const m = CONVERSATION_PATH.exec(path);
    const rawParams = {
      botId: decode(m?.[1]),
      botAliasId: decode(m?.[2]),
      localeId: decode(m?.[3]),
      sessionId: decode(m?.[4]),
    };
    const modeHeader = String(headers['x-amz-lex-conversation-mode'] ?? 'AUDIO').toUpperCase();
    const record: LexRequestRecord = {
      operation: OPERATION,
      sessionId: rawParams.sessionId,
      ...(headers['content-type'] && { contentType: String(headers['content-type']) }),
      ...((modeHeader === 'AUDIO' || modeHeader === 'TEXT') && { conversationMode: modeHeader }),
    };
    h.record(record);
    const requestId = randomUUID();
    const fail = (kind: LexApiError['kind'], message: string) => {
      const { status, type } = ERROR_TYPES.V2[kind];
      if (stream.destroyed || stream.headersSent) return;
      stream.respond({
        ':status': status,
        'content-type': 'application/json',
        'x-amzn-errortype': type,
        'x-amzn-requestid': requestId,
      });
      stream.end(JSON.stringify({ message }));
    };

    // Faults at the start, as for every other operation.
    for (;;) {
      const f = h.fault();
      const kind = FAULT_ERRORS[f.mode];
      if (kind) return fail(kind, faultMessage(f, h.state.region));
      if (f.mode === 'hang') {
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.parked.delete(wake);
            resolve();
          };
          this.parked.add(wake);
          stream.once('close', wake);
        });
        if (stream.destroyed) return;
        continue;
      }
      // `slow` delays each answer of the conversation (see `turn`), as it delays each answer of the other APIs.
      break;
    }
    if (stream.destroyed) return;

    if (modeHeader !== 'AUDIO' && modeHeader !== 'TEXT')
      return fail('validation', `x-amz-lex-conversation-mode ${modeHeader}: must be AUDIO or TEXT`);
    let resolved: Resolved;
    try {
      resolved = resolveBot(h.state, rawParams);
    } catch (err) {
      if (err instanceof LexApiError) return fail(err.kind, err.message);
      throw err;
    }
    stream.respond({
      ':status': 200,
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': requestId,
    });
    const c = new Conversation(h, stream, resolved, modeHeader, record, () => this.conversations.delete(c));
    this.conversations.add(c);
  }
}

function decode(s: string | undefined): string {
  try {
    return decodeURIComponent(s ?? '');
  } catch {
    return s ?? '';
  }
}

/** What a playing response allows. */
interface Playing {
  eventId: string;
  interruptible: boolean;
  /** Bot time at which the audio has surely finished playing (clients need not send PlaybackCompletionEvent). */
  untilMs: number;
}

/** One StartConversation stream. */
class Conversation {
  private readonly rb: RegionBot;
  private readonly session: Session;
  private readonly sessionId: string;
  private configured = false;
  private responseContentType = 'text/plain; charset=utf-8';
  private requestAttributes: Record<string, string> = {};
  private disablePlayback = false;
  private inbox = Buffer.alloc(0);
  /** Turns run one after another. */
  private work: Promise<void> = Promise.resolve();
  private busy = 0;
  private playing: Playing | undefined;
  private endpointer: Endpointer | undefined;
  private endpointerRate = 0;
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
    this.session = liveSession(region, resolved.key, this.rb) ?? newSession(this.sessionId, region.now());
    region.sessions.set(resolved.key, this.session);
    this.session.lastActiveAt = region.now();
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
    const kind = FAULT_ERRORS[f.mode];
    if (kind) {
      this.held = undefined;
      return this.raise(kind, faultMessage(f, this.h.state.region));
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
    this.endpointer?.close();
    this.endpointer = undefined;
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
    const headers: Headers = {
      ':message-type': str('event'),
      ':event-type': str(eventType),
      ':content-type': str('application/json'),
    };
    this.write(codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) }));
  }

  /** Sends the exception event and ends the stream (an exception ends a StartConversation stream). */
  private raise(kind: LexApiError['kind'], message: string): void {
    if (this.done) return;
    const type = KIND_TO_EXCEPTION[kind];
    this.h.log({
      region: this.h.state.region,
      event: 'conversation-exception',
      sessionId: this.sessionId,
      type,
      message,
    });
    const headers: Headers = {
      ':message-type': str('exception'),
      ':exception-type': str(type),
      ':content-type': str('application/json'),
    };
    this.write(codec.encode({ headers, body: fromUtf8(JSON.stringify({ message })) }));
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    if (!this.stream.destroyed && !this.stream.writableEnded && !this.held) this.stream.end();
    this.close();
  }

  /** Splits the request body into event-stream messages (each signed message wraps one event). */
  private receive(chunk: Buffer): void {
    this.inbox = Buffer.concat([this.inbox, chunk]);
    while (this.inbox.length >= 4 && !this.done) {
      const total = this.inbox.readUInt32BE(0);
      if (total < 16 || total > 16 * 1024 * 1024)
        return this.raise('validation', `bad event-stream message length ${total}`);
      if (this.inbox.length < total) return;
      const bytes = this.inbox.subarray(0, total);
      this.inbox = this.inbox.subarray(total);
      try {
        let msg = codec.decode(bytes);
        // A signed envelope (`:chunk-signature`) carries the event as its body; an empty body ends the input.
        if (msg.headers[':chunk-signature'] && !msg.headers[':message-type']) {
          if (msg.body.length === 0) continue;
          msg = codec.decode(msg.body);
        }
        const type = msg.headers[':event-type']?.value;
        if (msg.headers[':message-type']?.value !== 'event' || typeof type !== 'string')
          return this.raise('validation', 'every input message must be an event with an :event-type header');
        let json: unknown;
        try {
          json = JSON.parse(toUtf8(msg.body) || '{}');
        } catch {
          return this.raise('validation', `${type}: the payload is not JSON`);
        }
        this.onEvent(type, json);
      } catch (err) {
        if (err instanceof LexApiError) return this.raise(err.kind, err.message);
        return this.raise('validation', `malformed event-stream message: ${String(err)}`);
      }
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

  private configure(e: z.infer<typeof configurationEventSchema>): void {
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

  private audio(e: z.infer<typeof audioInputEventSchema>): void {
    const format = requestFormat(e.contentType);
    if (!format || format.kind !== 'pcm' || (format.rate !== 8000 && format.rate !== 16000))
      throw new LexApiError(
        'validation',
        `AudioInputEvent contentType ${e.contentType}: must be audio/lpcm; sample-rate=8000|16000; sample-size-bits=16; channel-count=1; is-big-endian=false or audio/l16; rate=16000; channels=1`,
      );
    if (!this.endpointer || this.endpointerRate !== format.rate) {
      this.endpointer?.close();
      this.endpointer = new Endpointer({ sampleRate: format.rate });
      this.endpointerRate = format.rate;
    }
    const b = Buffer.from(e.audioChunk ?? '', 'base64');
    const pcm = new Int16Array(Math.floor(b.length / 2));
    for (let i = 0; i < pcm.length; i += 1) pcm[i] = b.readInt16LE(i * 2);
    this.note({ bytes: (this.record.bytes ?? 0) + b.length });
    for (const ev of this.endpointer.push(pcm)) this.endpoint(ev, format.rate);
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
    const pcm = synthesize(messages.map((m) => m.content).join(' '), rate, this.h.state.speech.synthesize);
    const bytes = Buffer.alloc(pcm.length * 2);
    for (let i = 0; i < pcm.length; i += 1) bytes.writeInt16LE(pcm[i]!, i * 2);
    const chunk = (rate / 10) * 2; // 100 ms
    for (let off = 0; off < bytes.length; off += chunk)
      this.send('AudioResponseEvent', {
        audioChunk: bytes.subarray(off, off + chunk).toString('base64'),
        contentType: this.responseContentType,
        eventId: this.id(),
      });
    this.send('AudioResponseEvent', { audioChunk: '', contentType: this.responseContentType, eventId: this.id() });
    if (!this.disablePlayback)
      this.playing = { eventId, interruptible, untilMs: this.h.state.now() + (pcm.length * 1000) / rate };
  }
}

/** The one listener of a region: both protocols on one port. */
export interface DualListener {
  server: NetServer;
  /** Destroys every connection (HTTP/1.1 keep-alive, HTTP/2 sessions, ones still being sniffed). */
  destroyConnections(): void;
}

/**
 * Listens on one port for both protocols: a connection that opens with the HTTP/2 preface goes to the HTTP/2
 * server, any other to the HTTP/1.1 server. The bytes read to decide are put back before the hand-over.
 */
export function listenBoth(http1: HttpServer, h2: Http2Server, port: number, host: string): Promise<DualListener> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const isH2 = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && seen.length < H2_PREFACE.length) return;
      socket.off('data', onData);
      socket.pause();
      socket.unshift(seen);
      if (isH2) {
        // No resume(): the HTTP/2 session reads the unshifted preface itself; resuming would emit it again.
        h2.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        server,
        destroyConnections: () => {
          for (const s of [...sockets]) s.destroy();
        },
      });
    });
  });
}
