/**
 * Splits a caller's μ-law stream into utterances with the WebRTC VAD. Time is counted in frames (and
 * media timestamps fill gaps), never read from the wall clock: audio replayed faster than real time is
 * segmented exactly as live audio.
 */
import { decodeMulaw, SAMPLE_RATE } from './audio';
import type { VadMode } from './vad';
import { WebRtcVad } from './vad';

export interface SegmenterOptions {
  /** VAD frame length. @default 20 */
  frameMs?: 10 | 20 | 30;
  /** Voiced time needed before audio counts as speech (shorter blips are noise). @default 200 */
  minSpeechMs?: number;
  /** Non-speech after speech that ends an utterance. @default 700 */
  endSilenceMs?: number;
  /** Audio kept before the first voiced frame (word onsets the VAD misses). @default 200 */
  preRollMs?: number;
  /** Non-speech that drops a candidate that never reached `minSpeechMs`. @default 300 */
  candidateResetMs?: number;
  /** An utterance is cut at this length even without a pause. @default 15000 */
  maxUtteranceMs?: number;
  /** libfvad aggressiveness. @default 2 */
  vadMode?: VadMode;
}

export type SegmentEvent =
  | { type: 'speech-start'; atMs: number }
  | { type: 'utterance'; pcm: Int16Array; startMs: number; endMs: number; speechMs: number; truncated: boolean };

type State = 'idle' | 'candidate' | 'speech';

/**
 * A media timestamp further ahead than this is not believed: the gap counts as this much silence. Twilio
 * timestamps grow by 20 ms per frame; a minute of dropped packets is already a dead stream.
 */
export const MAX_TIMESTAMP_GAP_MS = 60_000;

export class UtteranceSegmenter {
  private readonly frameSamples: number;
  private readonly o: Required<Omit<SegmenterOptions, 'frameMs' | 'vadMode'>> & { frameMs: number };
  private readonly vad: WebRtcVad;
  private pending: Int16Array = new Int16Array(0);
  /** Frames processed so far (the segmenter's clock). */
  private frames = 0;
  private state: State = 'idle';
  private preRoll: Int16Array[] = [];
  private current: Int16Array[] = [];
  private startFrame = 0;
  private voicedFrames = 0;
  private silentRun = 0;

  constructor(options: SegmenterOptions = {}) {
    this.o = {
      frameMs: options.frameMs ?? 20,
      minSpeechMs: options.minSpeechMs ?? 200,
      endSilenceMs: options.endSilenceMs ?? 700,
      preRollMs: options.preRollMs ?? 200,
      candidateResetMs: options.candidateResetMs ?? 300,
      maxUtteranceMs: options.maxUtteranceMs ?? 15000,
    };
    this.frameSamples = (SAMPLE_RATE / 1000) * this.o.frameMs;
    this.vad = new WebRtcVad(SAMPLE_RATE, options.vadMode ?? 2);
  }

  /** The stream position in ms (frames processed + partial frame). */
  get positionMs(): number {
    return ((this.frames * this.frameSamples + this.pending.length) * 1000) / SAMPLE_RATE;
  }

  /**
   * Feeds μ-law bytes. With `timestampMs` (Twilio's media timestamp), a gap since the last byte is filled
   * with silence first, so dropped packets still count as time.
   */
  push(ulaw: Uint8Array, timestampMs?: number): SegmentEvent[] {
    const events: SegmentEvent[] = [];
    if (timestampMs !== undefined && Number.isFinite(timestampMs)) {
      const gapMs = Math.min(timestampMs - this.positionMs, MAX_TIMESTAMP_GAP_MS);
      if (gapMs >= this.o.frameMs) this.fillGap(gapMs, events);
    }
    this.feed(decodeMulaw(ulaw), events);
    return events;
  }

  /**
   * Counts a gap as silence. Only as much silence as can change the state goes through the VAD (enough to end
   * any utterance and refill the pre-roll); the rest only advances the frame clock, so the cost of a message
   * is bounded whatever its timestamp says.
   */
  private fillGap(gapMs: number, events: SegmentEvent[]): void {
    const o = this.o;
    const settleMs = Math.max(o.endSilenceMs, o.candidateResetMs) + o.preRollMs + 2 * o.frameMs;
    const fedMs = Math.min(gapMs, settleMs);
    this.feed(new Int16Array(Math.floor((fedMs * SAMPLE_RATE) / 1000)), events);
    const skipFrames = Math.floor((gapMs - fedMs) / o.frameMs);
    if (skipFrames > 0 && this.state === 'idle') this.frames += skipFrames;
  }

  /** Ends the stream: an utterance in progress is emitted. */
  flush(): SegmentEvent[] {
    const events: SegmentEvent[] = [];
    if (this.state === 'speech') events.push(this.emit(false));
    this.reset();
    return events;
  }

  close(): void {
    this.vad.close();
  }

  private feed(pcm: Int16Array, events: SegmentEvent[]): void {
    let buf: Int16Array = pcm;
    if (this.pending.length > 0) {
      buf = new Int16Array(this.pending.length + pcm.length);
      buf.set(this.pending);
      buf.set(pcm, this.pending.length);
    }
    let i = 0;
    for (; i + this.frameSamples <= buf.length; i += this.frameSamples) {
      this.frame(buf.slice(i, i + this.frameSamples), events);
    }
    this.pending = buf.slice(i);
  }

  private frame(f: Int16Array, events: SegmentEvent[]): void {
    const voiced = this.vad.isSpeech(f);
    const fm = this.o.frameMs;
    this.frames += 1;
    switch (this.state) {
      case 'idle':
        if (voiced) {
          this.state = 'candidate';
          this.current = [...this.preRoll, f];
          this.startFrame = this.frames - 1 - this.preRoll.length;
          this.preRoll = [];
          this.voicedFrames = 1;
          this.silentRun = 0;
        } else {
          this.preRoll.push(f);
          if (this.preRoll.length * fm > this.o.preRollMs) this.preRoll.shift();
        }
        break;
      case 'candidate':
      case 'speech':
        this.current.push(f);
        if (voiced) {
          this.voicedFrames += 1;
          this.silentRun = 0;
        } else this.silentRun += 1;
        if (this.state === 'candidate') {
          if (this.voicedFrames * fm >= this.o.minSpeechMs) {
            this.state = 'speech';
            events.push({ type: 'speech-start', atMs: this.startFrame * fm });
          } else if (this.silentRun * fm >= this.o.candidateResetMs) {
            this.preRoll = this.current.slice(-Math.floor(this.o.preRollMs / fm));
            this.current = [];
            this.state = 'idle';
          }
        } else if (this.silentRun * fm >= this.o.endSilenceMs) {
          events.push(this.emit(false));
          this.reset();
        } else if (this.current.length * fm >= this.o.maxUtteranceMs) {
          events.push(this.emit(true));
          this.reset();
        }
        break;
    }
  }

  private emit(truncated: boolean): SegmentEvent {
    const fm = this.o.frameMs;
    // Keep at most 200 ms of the trailing silence.
    const drop = Math.max(0, this.silentRun - Math.floor(200 / fm));
    const kept = this.current.slice(0, this.current.length - drop);
    const pcm = new Int16Array(kept.length * this.frameSamples);
    kept.forEach((f, k) => pcm.set(f, k * this.frameSamples));
    return {
      type: 'utterance',
      pcm,
      startMs: this.startFrame * fm,
      endMs: (this.startFrame + kept.length) * fm,
      speechMs: this.voicedFrames * fm,
      truncated,
    };
  }

  private reset(): void {
    this.state = 'idle';
    this.current = [];
    this.preRoll = [];
    this.voicedFrames = 0;
    this.silentRun = 0;
  }
}
