/**
 * Endpointing for StartConversation audio: the region's voice activity detector (`vad.ts`; the WebRTC VAD, as
 * the bridge uses, when the local system starts the region) finds where the caller starts speaking (barge-in)
 * and where the utterance ends. Time is counted in audio frames, never read from the wall clock, so audio
 * streamed faster than real time is endpointed the same.
 */
import type { VadFactory, VadSampleRate, VoiceActivityDetector } from './vad';

export interface EndpointerOptions {
  sampleRate: VadSampleRate;
  /** Creates the detector (one per Endpointer, closed with it). */
  vad: VadFactory;
  /** Voiced audio before it counts as speech (shorter blips are noise). @default 120 */
  minSpeechMs?: number;
  /** Silence after speech that ends the utterance. @default 600 */
  endSilenceMs?: number;
  /** Audio kept before the first voiced frame. @default 200 */
  preRollMs?: number;
  /** An utterance is cut here even without a pause. @default 15000 */
  maxUtteranceMs?: number;
}

export type EndpointEvent =
  { type: 'speech-start'; atMs: number } | { type: 'utterance'; pcm: Int16Array; atMs: number };

const FRAME_MS = 20;

export class Endpointer {
  private readonly vad: VoiceActivityDetector;
  private readonly frame: number;
  private readonly minSpeech: number;
  private readonly endSilence: number;
  private readonly preRoll: number;
  private readonly maxFrames: number;
  private pending = new Int16Array(0);
  private frames = 0;
  private recent: Int16Array[] = [];
  private current: Int16Array[] = [];
  private voicedRun = 0;
  private silentRun = 0;
  private speaking = false;

  constructor(readonly o: EndpointerOptions) {
    this.vad = o.vad(o.sampleRate);
    this.frame = (o.sampleRate / 1000) * FRAME_MS;
    this.minSpeech = Math.ceil((o.minSpeechMs ?? 120) / FRAME_MS);
    this.endSilence = Math.ceil((o.endSilenceMs ?? 600) / FRAME_MS);
    this.preRoll = Math.ceil((o.preRollMs ?? 200) / FRAME_MS);
    this.maxFrames = Math.ceil((o.maxUtteranceMs ?? 15000) / FRAME_MS);
  }

  /** Feeds PCM; returns what it found in it. */
  push(pcm: Int16Array): EndpointEvent[] {
    const all = new Int16Array(this.pending.length + pcm.length);
    all.set(this.pending);
    all.set(pcm, this.pending.length);
    const out: EndpointEvent[] = [];
    let off = 0;
    for (; off + this.frame <= all.length; off += this.frame) {
      const f = all.slice(off, off + this.frame);
      this.frames += 1;
      const voiced = this.vad.isSpeech(f);
      if (!this.speaking) {
        this.recent.push(f);
        if (this.recent.length > this.preRoll + this.minSpeech) this.recent.shift();
        this.voicedRun = voiced ? this.voicedRun + 1 : 0;
        if (this.voicedRun >= this.minSpeech) {
          this.speaking = true;
          this.current = [...this.recent];
          this.recent = [];
          this.silentRun = 0;
          out.push({ type: 'speech-start', atMs: this.frames * FRAME_MS });
        }
        continue;
      }
      this.current.push(f);
      this.silentRun = voiced ? 0 : this.silentRun + 1;
      if (this.silentRun >= this.endSilence || this.current.length >= this.maxFrames) out.push(this.cut());
    }
    this.pending = all.slice(off);
    return out;
  }

  /** The stream position in ms. */
  get positionMs(): number {
    return this.frames * FRAME_MS;
  }

  close(): void {
    this.vad.close();
  }

  private cut(): EndpointEvent {
    const n = this.current.reduce((s, f) => s + f.length, 0);
    const pcm = new Int16Array(n);
    let o = 0;
    for (const f of this.current) {
      pcm.set(f, o);
      o += f.length;
    }
    this.current = [];
    this.speaking = false;
    this.voicedRun = 0;
    return { type: 'utterance', pcm, atMs: this.frames * FRAME_MS };
  }
}
