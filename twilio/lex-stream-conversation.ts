/**
 * One caller's StartConversation (one HTTP/2 stream per call, audio both ways as it comes), disaster-recovery aware:
 * the streaming counterpart of `LexConversation` (lex-conversation.ts). Only a stream hears the fulfillment start
 * and update responses.
 */
import type {
  LexRuntimeV2Client,
  SessionState,
  StartConversationRequestEventStream,
  StartConversationResponseEventStream,
} from '@aws-sdk/client-lex-runtime-v2';
import { StartConversationCommand } from '@aws-sdk/client-lex-runtime-v2';
import { EventQueue } from '../core/event-queue';
import type { Settings } from '../core/settings';
import { littleEndianToPcm, pcmToLittleEndian } from './audio';
import type { LexConversationDeps, TurnUnavailable } from './lex-conversation';
import { botIds, isClosed, lexWithTimeout, LexTurnTimeoutError } from './lex-conversation';
import { candidateRegions } from './region-cooldown';

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
  /** The settings the stream was started with (the bot's IDs in each region). */
  private settings: Settings | undefined;
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
    const { settings, lookup } = await this.d.routing();
    this.settings = settings;
    const answer = await lookup({ Details: { Parameters: { bot: this.d.botName } } });
    if (answer.lexRegion === 'err')
      return this.on.unavailable({
        kind: 'unavailable',
        reason: 'err',
        failovers: 0,
        detail: 'lexDR says no Lex region is healthy',
      });
    this.candidates = candidateRegions(answer, settings.regions, this.d.cooldown);
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
    const ids = botIds(this.settings!, this.d.botName, region, this.sessionId);
    const out = await lexWithTimeout(
      this.d
        .lexV2Stream(region)
        .send(new StartConversationCommand({ ...ids, conversationMode: 'AUDIO', requestEventStream: input }), {
          abortSignal: abort.signal,
        }),
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
