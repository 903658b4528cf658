/**
 * One phone call on one Media Streams WebSocket, over one of two Lex APIs:
 * - per turn (RecognizeUtterance): caller audio → VAD segmentation → a Lex turn per utterance (DTMF digits
 *   as text) → Lex's spoken reply played back as μ-law media + a mark; caller speech during playback clears
 *   it (barge-in);
 * - streaming (StartConversation): caller audio streamed to Lex as it arrives, DTMF as DTMF events, Lex's
 *   audio streamed back as it comes (prompts, and the fulfillment start/update responses while fulfillment
 *   runs), barge-in when Lex says so (PlaybackInterruptionEvent), a mark echoed back as PlaybackCompletion;
 *   the bridge's VAD only notices the caller's last words, so a region that does not answer is left.
 * A closed dialog hangs up once the goodbye has played; no healthy Lex region sends the call to a human.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { decodeMulaw, downsample16kTo8k, encodeMulaw, MulawFramer, SAMPLE_RATE, toFrames } from './audio';
import type { TurnRecord } from './call-turns';
import { StreamTurns } from './call-turns';
import type { LexConversation, TurnInput } from './lex-conversation';
import type { LexStreamConversation, StreamListener } from './lex-stream-conversation';
import type { BridgeMetrics } from './metrics';
import type { SegmenterOptions } from './segmenter';
import { UtteranceSegmenter } from './segmenter';
import type { OutboundMessage, TwilioMessage } from './twilio-messages';
import { twilioMessageSchema } from './twilio-messages';

/** Call control over Twilio's REST API (closing the WebSocket does not end a call). */
export interface CallControl {
  hangUp(callSid: string): Promise<void>;
  /** Replaces the call's TwiML (e.g. an apology and a `<Dial>`). */
  redirect(callSid: string, twiml: string): Promise<void>;
}

export type CallOutcome = 'hung-up' | 'transferred' | 'caller-ended' | 'ongoing';

export interface CallSessionDeps {
  conversation(callSid: string): LexConversation;
  /** When set, the call runs over StartConversation instead of a RecognizeUtterance per turn. */
  streamConversation?(callSid: string, listener: StreamListener): LexStreamConversation;
  /** Clock for streaming turn times. @default Date.now */
  now?(): number;
  callControl: CallControl;
  logger: Logger;
  metrics: BridgeMetrics;
  segmenter: SegmenterOptions;
  apologyTwiml(): string;
  send(msg: OutboundMessage): void;
  /** Closes the socket (after the call ended). */
  close(): void;
  /** Digits are sent after `#` or this long after the last one. @default 1500 */
  dtmfFlushMs?: number;
  /** Hang up anyway if the goodbye mark is not echoed within the reply's length plus this. @default 10000 */
  markGraceMs?: number;
}

export class CallSession {
  callSid = '';
  streamSid = '';
  outcome: CallOutcome = 'ongoing';
  readonly turns: TurnRecord[] = [];
  private conversation: LexConversation | undefined;
  private segmenter: UtteranceSegmenter | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** Marks sent and not yet echoed: reply audio still playing. */
  private readonly playing = new Set<string>();
  private hangupMark: string | undefined;
  private hangupTimer: NodeJS.Timeout | undefined;
  private digits = '';
  private dtmfTimer: NodeJS.Timeout | undefined;
  private marks = 0;
  private ending = false;
  private finished = false;
  private stream: LexStreamConversation | undefined;
  /** Streaming: Lex's events gathered into turns; its reply audio cut into whole 20 ms frames. */
  private streamTurns: StreamTurns | undefined;
  private readonly framer = new MulawFramer();
  private startedAt = 0;
  /** Streaming: when the bridge's VAD last heard the caller start speaking. */
  private speechStartedAt: number | undefined;
  private hangUpAfterAudio = false;
  private resolveDone!: () => void;
  /** Resolves when the call's work is over (stopped, hung up or transferred, and the turn queue drained). */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly d: CallSessionDeps) {}

  /** One WebSocket text frame from Twilio. */
  onMessage(raw: string): void {
    let msg: TwilioMessage;
    try {
      const r = twilioMessageSchema.safeParse(JSON.parse(raw));
      if (!r.success) {
        this.d.logger.warn('ignored an unexpected stream message', { callSid: this.callSid, issues: r.error.issues });
        return;
      }
      msg = r.data;
    } catch {
      this.d.logger.warn('ignored a non-JSON stream message', { callSid: this.callSid });
      return;
    }
    switch (msg.event) {
      case 'connected':
        return;
      case 'start':
        return this.start(msg);
      case 'media':
        return this.media(msg);
      case 'mark':
        return this.mark(msg.mark.name);
      case 'dtmf':
        return this.dtmf(msg.dtmf.digit);
      case 'stop':
        return this.stop('caller-ended');
    }
  }

  /** The socket closed (Twilio hung up, or the network). */
  onClose(): void {
    this.stop(this.outcome === 'ongoing' ? 'caller-ended' : this.outcome);
  }

  get isPlaying(): boolean {
    return this.playing.size > 0;
  }

  private start(msg: Extract<TwilioMessage, { event: 'start' }>): void {
    this.streamSid = msg.start.streamSid;
    this.callSid = msg.start.customParameters?.CallSid ?? msg.start.callSid;
    this.segmenter = new UtteranceSegmenter(this.d.segmenter);
    this.startedAt = this.now();
    if (this.d.streamConversation) {
      this.streamTurns = new StreamTurns(this.turns, () => this.now(), this.startedAt);
      this.stream = this.d.streamConversation(this.callSid, this.listener(this.streamTurns));
      this.stream.start().catch((err: unknown) => {
        this.d.logger.error('could not start the conversation', { callSid: this.callSid, error: err as Error });
        void this.transfer({ reason: 'start-failed' });
      });
    } else this.conversation = this.d.conversation(this.callSid);
    this.d.metrics.inc('callsStarted');
    this.d.logger.info('call started', {
      callSid: this.callSid,
      streamSid: this.streamSid,
      from: msg.start.customParameters?.From,
      to: msg.start.customParameters?.To,
      mediaFormat: msg.start.mediaFormat,
    });
  }

  private media(msg: Extract<TwilioMessage, { event: 'media' }>): void {
    if (!this.segmenter || this.ending) return;
    if (msg.media.track && msg.media.track !== 'inbound') return;
    const ts = msg.media.timestamp === undefined ? undefined : Number(msg.media.timestamp);
    const ulaw = Buffer.from(msg.media.payload, 'base64');
    const events = this.segmenter.push(ulaw, Number.isFinite(ts) ? ts : undefined);
    if (this.stream) {
      // Lex endpoints and barges in itself; the bridge's VAD only notices when the caller has finished.
      this.stream.audio(decodeMulaw(ulaw));
      for (const e of events)
        if (e.type === 'speech-start') this.speechStartedAt = this.now();
        else this.stream.expectAnswer(this.speechStartedAt ?? this.now());
      return;
    }
    for (const e of events) {
      if (e.type === 'speech-start') {
        if (this.isPlaying && !this.hangupMark) this.bargeIn(e.atMs);
      } else {
        this.enqueue({ kind: 'speech', pcm8k: e.pcm }, e.endMs - e.startMs);
      }
    }
  }

  private bargeIn(atMs: number): void {
    this.d.send({ event: 'clear', streamSid: this.streamSid });
    this.playing.clear();
    this.d.metrics.inc('bargeIns');
    this.d.logger.info('barge-in: cleared the reply audio', { callSid: this.callSid, atMs });
  }

  private mark(name: string): void {
    if (this.stream && this.playing.has(name)) this.stream.played();
    this.playing.delete(name);
    if (name === this.hangupMark) void this.hangUp();
  }

  private dtmf(digit: string): void {
    if (this.stream) {
      if (this.ending) return;
      this.stream.dtmf(digit);
      if (digit === '#') this.streamTurns?.keyed();
      return;
    }
    if (this.ending || !this.conversation) return;
    if (this.dtmfTimer) clearTimeout(this.dtmfTimer);
    if (digit !== '#') this.digits += digit;
    const flush = () => {
      this.dtmfTimer = undefined;
      const digits = this.digits;
      this.digits = '';
      if (digits) this.enqueue({ kind: 'dtmf', digits });
    };
    // 64 digits are sent at once: a key held down cannot grow the buffer.
    if (digit === '#' || this.digits.length >= 64) flush();
    else this.dtmfTimer = setTimeout(flush, this.d.dtmfFlushMs ?? 1500);
  }

  private enqueue(input: TurnInput, utteranceMs?: number): void {
    this.queue = this.queue
      .then(() => this.turn(input, utteranceMs))
      .catch((err: unknown) => {
        this.d.logger.error('turn failed', { callSid: this.callSid, error: err as Error });
      });
  }

  private async turn(input: TurnInput, utteranceMs?: number): Promise<void> {
    if (this.ending || !this.conversation) return;
    const r = await this.conversation.turn(input);
    if (this.finished) return;
    if (r.kind === 'unavailable') return this.transfer(r);
    const record: TurnRecord = {
      n: this.turns.length + 1,
      input: input.kind,
      transcript: r.transcript,
      reply: r.messages.join(' '),
      region: r.region,
      failovers: r.failovers,
      latencyMs: r.latencyMs,
      closed: r.closed,
      ...(utteranceMs !== undefined && { utteranceMs }),
    };
    this.turns.push(record);
    this.d.metrics.turn({ latencyMs: r.latencyMs, region: r.region, failovers: r.failovers, input: input.kind });
    this.d.logger.info('turn', { callSid: this.callSid, ...record });
    const mark = r.audio16k.length > 0 ? this.play(r.audio16k) : undefined;
    if (r.closed) {
      this.ending = true;
      if (!mark) return void (await this.hangUp());
      this.hangupMark = mark.name;
      this.hangupTimer = setTimeout(() => void this.hangUp(), mark.ms + (this.d.markGraceMs ?? 10_000));
      this.hangupTimer.unref();
    }
  }

  private async transfer(why: object): Promise<void> {
    if (this.ending && this.outcome !== 'ongoing') return;
    this.d.metrics.inc('unavailable');
    this.d.logger.error('no Lex region answered: transferring to a human', { callSid: this.callSid, ...why });
    this.ending = true;
    try {
      await this.d.callControl.redirect(this.callSid, this.d.apologyTwiml());
      this.outcome = 'transferred';
    } catch (err) {
      this.d.logger.error('could not transfer the call', { callSid: this.callSid, error: err as Error });
    }
    this.stop(this.outcome);
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  /** Streaming: what Lex's events do to the call. */
  private listener(turns: StreamTurns): StreamListener {
    return {
      audio: (pcm8k) => {
        if (!this.finished) this.sendFrames(this.framer.push(encodeMulaw(pcm8k)));
      },
      audioEnd: () => {
        if (this.finished) return;
        this.sendFrames(this.framer.end());
        const name = this.sendMark();
        if (this.hangUpAfterAudio && !this.hangupMark) {
          this.hangupMark = name;
          if (this.hangupTimer) clearTimeout(this.hangupTimer);
          this.hangupTimer = setTimeout(() => void this.hangUp(), this.d.markGraceMs ?? 10_000);
          this.hangupTimer.unref();
        }
      },
      text: (messages) => turns.said(messages),
      transcript: (t) => turns.heardCaller(t),
      interrupted: () => this.bargeIn(this.now() - this.startedAt),
      failover: (from, to, reason) =>
        this.d.logger.warn('the conversation moved to another region', { callSid: this.callSid, from, to, reason }),
      unavailable: (u) => void this.transfer({ ...u }),
      result: (r) => {
        if (this.finished) return;
        const record = turns.result(r);
        const { latencyMs, region, failovers, input } = record;
        this.d.metrics.turn({ latencyMs, region, failovers, input });
        this.d.logger.info('turn', { callSid: this.callSid, ...record });
        if (r.closed) {
          // The goodbye follows the result: hang up once it has played (or soon, if Lex says nothing).
          this.ending = true;
          this.hangUpAfterAudio = true;
          this.hangupTimer = setTimeout(() => void this.hangUp(), this.d.markGraceMs ?? 10_000);
          this.hangupTimer.unref();
        }
      },
    };
  }

  /** Sends the reply as 20 ms μ-law frames and a mark; returns the mark and the audio length. */
  private play(audio16k: Int16Array): { name: string; ms: number } {
    const ulaw = encodeMulaw(downsample16kTo8k(audio16k));
    this.sendFrames(toFrames(ulaw));
    return { name: this.sendMark(), ms: (ulaw.length * 1000) / SAMPLE_RATE };
  }

  private sendFrames(frames: Buffer[]): void {
    for (const f of frames)
      this.d.send({ event: 'media', streamSid: this.streamSid, media: { payload: f.toString('base64') } });
  }

  /** Sends a mark after the audio sent so far: Twilio echoes it once that audio has played. */
  private sendMark(): string {
    this.marks += 1;
    const name = `reply-${this.marks}`;
    this.d.send({ event: 'mark', streamSid: this.streamSid, mark: { name } });
    this.playing.add(name);
    return name;
  }

  private async hangUp(): Promise<void> {
    if (this.outcome !== 'ongoing') return;
    this.outcome = 'hung-up';
    if (this.hangupTimer) clearTimeout(this.hangupTimer);
    try {
      await this.d.callControl.hangUp(this.callSid);
      this.d.metrics.inc('hangups');
      this.d.logger.info('dialog closed: hung up', { callSid: this.callSid });
    } catch (err) {
      this.d.logger.error('could not hang up the call', { callSid: this.callSid, error: err as Error });
    }
    this.stop('hung-up');
  }

  private stop(outcome: CallOutcome): void {
    if (this.finished) return;
    this.finished = true;
    if (this.outcome === 'ongoing') this.outcome = outcome;
    if (this.dtmfTimer) clearTimeout(this.dtmfTimer);
    if (this.hangupTimer) clearTimeout(this.hangupTimer);
    this.segmenter?.close();
    this.stream?.close();
    this.d.logger.info('call ended', { callSid: this.callSid, outcome: this.outcome, turns: this.turns.length });
    void this.queue.finally(() => {
      this.d.close();
      this.resolveDone();
    });
  }
}
