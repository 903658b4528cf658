/**
 * One caller's conversation with Lex V2, disaster-recovery aware, over either API:
 *
 * `LexConversation` (RecognizeUtterance per turn): each turn goes to the region the lexDR
 * table names (through the cached lookup core); if the call fails or times out, the SAME turn (same audio
 * or text) is sent at once to the next region, with the session state of the last good answer so the
 * dialog continues where it was. `err` in the table, or every region failing, ends in `unavailable`.
 *
 * `LexStreamConversation` (StartConversation, one stream per call): see below. Only a stream hears the
 * fulfillment start and update responses.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type {
  LexRuntimeV2Client,
  SessionState,
  StartConversationRequestEventStream,
  StartConversationResponseEventStream,
} from '@aws-sdk/client-lex-runtime-v2';
import {
  PutSessionCommand,
  RecognizeTextCommand,
  RecognizeUtteranceCommand,
  StartConversationCommand,
} from '@aws-sdk/client-lex-runtime-v2';
import { EventQueue } from '../core/event-queue';
import type { LookupAnswer } from '../core/lookup-core';
import type { Settings } from '../core/settings';
import { LEX_REQUEST_CONTENT_TYPE, LEX_RESPONSE_CONTENT_TYPE, littleEndianToPcm, pcmToLittleEndian } from './audio';

export type TurnInput = { kind: 'speech'; pcm8k: Int16Array } | { kind: 'dtmf'; digits: string };

export interface TurnReply {
  kind: 'reply';
  region: string;
  transcript: string;
  messages: string[];
  /** Lex's spoken reply, 16 kHz PCM (empty when it said nothing). */
  audio16k: Int16Array;
  sessionState: SessionState;
  /** The dialog is over (Close / Fulfilled / Failed): hang up after the reply is played. */
  closed: boolean;
  /** Regions tried and failed before this answer. */
  failovers: number;
  latencyMs: number;
}

export interface TurnUnavailable {
  kind: 'unavailable';
  reason: 'err' | 'all-regions-failed';
  failovers: number;
  detail: string;
}

/** What every conversation of a bridge task shares. */
export interface LexConversationDeps {
  settings: Settings;
  botName: string;
  lookup: (event: unknown) => Promise<LookupAnswer>;
  lexV2(region: string): LexRuntimeV2Client;
  /** Regions that failed recently (shared by the task's calls). */
  cooldown: RegionCooldown;
  now(): number;
  /** Per-call hard timeout for one Lex request (the client's own timeout should match). */
  timeoutMs: number;
  onFailure?(region: string, err: unknown, context: Record<string, unknown>): void;
}

export class LexTurnTimeoutError extends Error {
  override name = 'LexTurnTimeoutError';
}

/** Remembers failed regions for a while so later turns skip them until the health check catches up. */
export class RegionCooldown {
  private readonly until = new Map<string, number>();
  constructor(
    private readonly ms: number,
    private readonly now: () => number,
  ) {}
  fail(region: string): void {
    this.until.set(region, this.now() + this.ms);
  }
  ok(region: string): void {
    this.until.delete(region);
  }
  cooling(region: string): boolean {
    return (this.until.get(region) ?? 0) > this.now();
  }
}

const gzip64 = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v))).toString('base64');
const ungzip64 = <T>(v: string | undefined): T | undefined =>
  v ? (JSON.parse(gunzipSync(Buffer.from(v, 'base64')).toString('utf8')) as T) : undefined;

function isClosed(state: SessionState | undefined): boolean {
  const s = state?.intent?.state;
  return state?.dialogAction?.type === 'Close' || s === 'Fulfilled' || s === 'Failed';
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, abort: AbortController): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => {
        abort.abort();
        reject(new LexTurnTimeoutError(`${what} exceeded ${ms} ms`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(t));
}

export class LexConversation {
  /** The state after the last good answer, and the region that gave it. */
  private state: SessionState | undefined;
  private region: string | undefined;

  constructor(
    private readonly d: LexConversationDeps,
    readonly sessionId: string,
  ) {}

  get lastRegion(): string | undefined {
    return this.region;
  }

  async turn(input: TurnInput): Promise<TurnReply | TurnUnavailable> {
    const started = this.d.now();
    const answer = await this.d.lookup({ Details: { Parameters: { bot: this.d.botName } } });
    if (answer.lexRegion === 'err')
      return { kind: 'unavailable', reason: 'err', failovers: 0, detail: 'lexDR says no Lex region is healthy' };
    const order = [answer.lexRegion, answer.fallbackRegion, ...this.d.settings.regions].filter(
      (r, i, all) => r !== '' && all.indexOf(r) === i,
    );
    const candidates = [
      ...order.filter((r) => !this.d.cooldown.cooling(r)),
      ...order.filter((r) => this.d.cooldown.cooling(r)),
    ];
    const errors: string[] = [];
    for (const [i, region] of candidates.entries()) {
      try {
        const r = await this.attempt(region, input);
        this.d.cooldown.ok(region);
        this.state = r.sessionState;
        this.region = region;
        return { ...r, kind: 'reply', region, failovers: i, latencyMs: this.d.now() - started };
      } catch (err) {
        this.d.cooldown.fail(region);
        errors.push(`${region}: ${(err as Error).name}`);
        this.d.onFailure?.(region, err, { sessionId: this.sessionId, attempt: i + 1, input: input.kind });
      }
    }
    return {
      kind: 'unavailable',
      reason: 'all-regions-failed',
      failovers: candidates.length,
      detail: errors.join('; '),
    };
  }

  private ids(region: string) {
    const bot = this.d.settings.bots.find((b) => b.name === this.d.botName)!;
    const ids = bot.regions[region];
    if (!ids) throw new Error(`bot ${bot.name} has no IDs in ${region}`);
    return { botId: ids.botId, botAliasId: ids.botAliasId, localeId: bot.localeId, sessionId: this.sessionId };
  }

  private async attempt(region: string, input: TurnInput) {
    const client = this.d.lexV2(region);
    const base = this.ids(region);
    // A region other than the one that answered last has not seen this dialog: carry its state over.
    const carry = this.state && this.region !== region ? this.state : undefined;
    const abort = new AbortController();
    const call = <T>(p: Promise<T>, what: string) => withTimeout(p, this.d.timeoutMs, `${what} in ${region}`, abort);
    if (input.kind === 'speech') {
      const out = await call(
        client.send(
          new RecognizeUtteranceCommand({
            ...base,
            requestContentType: LEX_REQUEST_CONTENT_TYPE,
            responseContentType: LEX_RESPONSE_CONTENT_TYPE,
            inputStream: pcmToLittleEndian(input.pcm8k),
            ...(carry && { sessionState: gzip64(carry) }),
          }),
          { abortSignal: abort.signal },
        ),
        'RecognizeUtterance',
      );
      const audio = out.audioStream
        ? await call(out.audioStream.transformToByteArray(), 'reading the reply audio')
        : undefined;
      const sessionState = ungzip64<SessionState>(out.sessionState) ?? {};
      const messages = (ungzip64<{ content?: string }[]>(out.messages) ?? []).map((m) => m.content ?? '');
      return {
        transcript: ungzip64<string>(out.inputTranscript) ?? '',
        messages,
        audio16k: audio ? littleEndianToPcm(audio) : new Int16Array(0),
        sessionState,
        closed: isClosed(sessionState),
      };
    }
    // DTMF: the digits go to Lex as text (RecognizeText); the reply is voiced by PutSession (no request charge).
    const text = await call(
      client.send(new RecognizeTextCommand({ ...base, text: input.digits, ...(carry && { sessionState: carry }) }), {
        abortSignal: abort.signal,
      }),
      'RecognizeText',
    );
    const sessionState = text.sessionState ?? {};
    const messages = (text.messages ?? []).map((m) => m.content ?? '');
    let audio16k: Int16Array = new Int16Array(0);
    if (messages.some((m) => m !== '')) {
      const voiced = await call(
        client.send(
          new PutSessionCommand({
            ...base,
            sessionState,
            messages: text.messages,
            responseContentType: LEX_RESPONSE_CONTENT_TYPE,
          }),
          { abortSignal: abort.signal },
        ),
        'PutSession',
      );
      if (voiced.audioStream) audio16k = littleEndianToPcm(await voiced.audioStream.transformToByteArray());
    }
    return { transcript: input.digits, messages, audio16k, sessionState, closed: isClosed(sessionState) };
  }
}

// ---------- StartConversation: one stream per call, reopened in the next region on failure ----------

/** The reply format asked of StartConversation: 8 kHz PCM, the telephone rate (no resampling). */
export const LEX_STREAM_AUDIO_TYPE =
  'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false';

/** What a streaming conversation tells its call, as Lex says it. */
export interface StreamListener {
  /** Lex's reply audio, 8 kHz PCM, chunk by chunk. */
  audio(pcm8k: Int16Array): void;
  /** The audio of one response has ended. */
  audioEnd(): void;
  /** A response's text: a prompt, a fulfillment start/update, a post-fulfillment response. */
  text(messages: string[]): void;
  transcript(text: string): void;
  /** Lex's result for a turn (after fulfillment, when there is one). */
  result(r: {
    region: string;
    sessionState: SessionState;
    closed: boolean;
    inputMode: string;
    failovers: number;
  }): void;
  /** Lex stopped the reply for the caller's input (barge-in): clear what is playing. */
  interrupted(): void;
  /** The stream moved to another region. */
  failover(from: string, to: string, reason: string): void;
  unavailable(u: TurnUnavailable): void;
}

export interface LexStreamDeps extends Omit<LexConversationDeps, 'lexV2'> {
  /** HTTP/2 clients (StartConversation is HTTP/2 only). */
  lexV2Stream(region: string): LexRuntimeV2Client;
  /** A stream with no event at all for this long has stalled (Lex heartbeats keep a live one busy). */
  stallMs: number;
}

/** Caller audio kept since Lex's last answer, replayed to the next region after a failover (15 s at 8 kHz). */
const MAX_PENDING_SAMPLES = 15 * 8000;

/**
 * One caller's StartConversation, disaster-recovery aware: opened in the region the lexDR table names; a
 * stream that fails (an exception, an error, its end) or stalls (no event for `stallMs`, or no answer within
 * `timeoutMs` of the caller's last words) is reopened at once in the next region (the lookup's fallback
 * first) with the session state of Lex's last result, and the unanswered input is sent again: the caller's
 * audio since Lex last answered, or the transcript Lex heard but had not answered (a fulfillment under way).
 */
export class LexStreamConversation {
  private gen = 0;
  private input: EventQueue<StartConversationRequestEventStream> | undefined;
  private region: string | undefined;
  private state: SessionState | undefined;
  private candidates: string[] = [];
  private failovers = 0;
  private pending: Int16Array[] = [];
  private pendingSamples = 0;
  private unanswered: string | undefined;
  private lastEventAt = 0;
  /** When Lex last showed it heard the caller (a transcript or a result). */
  private lastAnswerAt = 0;
  private expectSince: number | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;
  private reopening = false;

  constructor(
    private readonly d: LexStreamDeps,
    readonly sessionId: string,
    private readonly on: StreamListener,
  ) {}

  get currentRegion(): string | undefined {
    return this.region;
  }

  /** Looks up the region and opens the stream (the next region if it cannot be opened). */
  async start(): Promise<void> {
    const answer = await this.d.lookup({ Details: { Parameters: { bot: this.d.botName } } });
    if (answer.lexRegion === 'err')
      return this.on.unavailable({
        kind: 'unavailable',
        reason: 'err',
        failovers: 0,
        detail: 'lexDR says no Lex region is healthy',
      });
    const order = [answer.lexRegion, answer.fallbackRegion, ...this.d.settings.regions].filter(
      (r, i, all) => r !== '' && all.indexOf(r) === i,
    );
    this.candidates = [
      ...order.filter((r) => !this.d.cooldown.cooling(r)),
      ...order.filter((r) => this.d.cooldown.cooling(r)),
    ];
    this.watchdog = setInterval(() => this.check(), Math.min(250, Math.max(20, this.d.timeoutMs / 10)));
    this.watchdog.unref();
    await this.openNext();
  }

  /** Caller audio (8 kHz PCM), streamed as it arrives. */
  audio(pcm8k: Int16Array): void {
    if (this.closed) return;
    this.pending.push(pcm8k);
    this.pendingSamples += pcm8k.length;
    while (this.pendingSamples > MAX_PENDING_SAMPLES && this.pending.length > 1)
      this.pendingSamples -= this.pending.shift()!.length;
    this.input?.push({ AudioInputEvent: { contentType: LEX_STREAM_AUDIO_TYPE, audioChunk: pcmToLittleEndian(pcm8k) } });
  }

  dtmf(digit: string): void {
    if (this.closed) return;
    this.input?.push({ DTMFInputEvent: { inputCharacter: digit } });
    if (digit === '#') this.expectAnswer(this.d.now());
  }

  /**
   * The caller finished speaking (the bridge's own VAD), having started at `spokeAt`: unless Lex has already
   * heard it (a transcript or result since then), Lex must answer within `timeoutMs`.
   */
  expectAnswer(spokeAt: number = this.d.now()): void {
    if (this.lastAnswerAt >= spokeAt) return;
    this.expectSince ??= this.d.now();
  }

  /** The caller's phone played a response to the end. */
  played(): void {
    this.input?.push({ PlaybackCompletionEvent: {} });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.input?.push({ DisconnectionEvent: {} });
    this.input?.end();
    this.gen += 1;
  }

  private ids(region: string) {
    const bot = this.d.settings.bots.find((b) => b.name === this.d.botName)!;
    const ids = bot.regions[region];
    if (!ids) throw new Error(`bot ${bot.name} has no IDs in ${region}`);
    return { botId: ids.botId, botAliasId: ids.botAliasId, localeId: bot.localeId, sessionId: this.sessionId };
  }

  private async openNext(): Promise<void> {
    const errors: string[] = [];
    while (!this.closed) {
      const region = this.candidates.shift();
      if (!region) {
        this.close();
        return this.on.unavailable({
          kind: 'unavailable',
          reason: 'all-regions-failed',
          failovers: this.failovers,
          detail: errors.join('; ') || 'every region failed',
        });
      }
      try {
        await this.open(region);
        return;
      } catch (err) {
        this.d.cooldown.fail(region);
        errors.push(`${region}: ${(err as Error).name}`);
        this.failovers += 1;
        this.d.onFailure?.(region, err, { sessionId: this.sessionId, opening: true });
      }
    }
  }

  private async open(region: string): Promise<void> {
    const gen = ++this.gen;
    const input = new EventQueue<StartConversationRequestEventStream>();
    const previous = this.input;
    this.input = input;
    previous?.end();
    input.push({
      ConfigurationEvent: {
        responseContentType: LEX_STREAM_AUDIO_TYPE,
        ...(this.state && { sessionState: this.state }),
      },
    });
    // What the previous region had not answered yet.
    if (this.unanswered) input.push({ TextInputEvent: { text: this.unanswered } });
    else
      for (const pcm of this.pending)
        input.push({ AudioInputEvent: { contentType: LEX_STREAM_AUDIO_TYPE, audioChunk: pcmToLittleEndian(pcm) } });
    const abort = new AbortController();
    const out = await withTimeout(
      this.d
        .lexV2Stream(region)
        .send(
          new StartConversationCommand({ ...this.ids(region), conversationMode: 'AUDIO', requestEventStream: input }),
          { abortSignal: abort.signal },
        ),
      this.d.timeoutMs,
      `StartConversation in ${region}`,
      abort,
    );
    const from = this.region;
    this.region = region;
    this.lastEventAt = this.d.now();
    if (this.expectSince !== undefined) this.expectSince = this.d.now();
    if (from && from !== region) this.on.failover(from, region, 'stream failed');
    const events = out.responseEventStream;
    if (!events) throw new Error('StartConversation returned no event stream');
    void this.read(gen, region, events, abort);
  }

  private async read(
    gen: number,
    region: string,
    events: AsyncIterable<StartConversationResponseEventStream>,
    abort: AbortController,
  ): Promise<void> {
    try {
      for await (const ev of events) {
        if (gen !== this.gen) return;
        this.dispatch(region, ev);
      }
      if (gen === this.gen && !this.closed) throw new Error(`the stream in ${region} ended`);
    } catch (err) {
      if (gen === this.gen && !this.closed) this.fail(region, err);
    } finally {
      if (gen !== this.gen) abort.abort();
    }
  }

  private dispatch(region: string, ev: StartConversationResponseEventStream): void {
    this.lastEventAt = this.d.now();
    if (!ev.HeartbeatEvent) this.expectSince = undefined;
    if (ev.TranscriptEvent || ev.IntentResultEvent) this.lastAnswerAt = this.d.now();
    if (ev.TranscriptEvent) {
      this.pending = [];
      this.pendingSamples = 0;
      const t = ev.TranscriptEvent.transcript ?? '';
      this.unanswered = t === '' ? undefined : t;
      this.on.transcript(t);
    } else if (ev.IntentResultEvent) {
      const r = ev.IntentResultEvent;
      this.unanswered = undefined;
      this.pending = [];
      this.pendingSamples = 0;
      this.state = r.sessionState ?? {};
      this.d.cooldown.ok(region);
      this.on.result({
        region,
        sessionState: this.state,
        closed: isClosed(this.state),
        inputMode: r.inputMode ?? 'Speech',
        failovers: this.failovers,
      });
    } else if (ev.TextResponseEvent) {
      this.on.text((ev.TextResponseEvent.messages ?? []).map((m) => m.content ?? ''));
    } else if (ev.AudioResponseEvent) {
      const chunk = ev.AudioResponseEvent.audioChunk;
      if (!chunk || chunk.length === 0) this.on.audioEnd();
      else this.on.audio(littleEndianToPcm(chunk));
    } else if (ev.PlaybackInterruptionEvent) {
      this.on.interrupted();
    }
  }

  private check(): void {
    if (this.closed || !this.region || this.reopening) return;
    const now = this.d.now();
    if (now - this.lastEventAt > this.d.stallMs)
      this.fail(this.region, new LexTurnTimeoutError(`no event from ${this.region} for ${this.d.stallMs} ms`));
    else if (this.expectSince !== undefined && now - this.expectSince > this.d.timeoutMs)
      this.fail(this.region, new LexTurnTimeoutError(`no answer from ${this.region} within ${this.d.timeoutMs} ms`));
  }

  private fail(region: string, err: unknown): void {
    if (this.closed || this.reopening) return;
    this.reopening = true;
    this.d.cooldown.fail(region);
    this.failovers += 1;
    this.d.onFailure?.(region, err, { sessionId: this.sessionId, streaming: true });
    this.gen += 1; // the failed stream's events are ignored from now on
    void this.openNext().finally(() => {
      this.reopening = false;
    });
  }
}
