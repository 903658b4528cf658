/**
 * Speech for the local Lex regions. There is no speech recogniser on this machine, so "recognition" is a
 * TEST-ONLY template matcher: a test or the replay tool registers utterance recordings with their
 * transcripts, and audio sent to RecognizeUtterance is matched to the nearest registered recording by its
 * energy envelope (robust to the leading/trailing silence a VAD leaves). Every region also knows the speech probe's
 * shipped recording of the probe phrase. Unregistered audio is not understood (empty transcript). Reply audio is
 * synthesised with espeak-ng when it is installed, else a deterministic tone sequence whose length follows the text.
 */
import { spawnSync } from 'node:child_process';

export interface SpeechTemplate {
  transcript: string;
  envelope: number[];
  frames: number;
}

export interface RecognitionResult {
  transcript: string;
  /** 0 = identical envelope; matches are accepted below `MAX_DISTANCE`. */
  distance: number;
}

const ENVELOPE_POINTS = 40;
const MAX_DISTANCE = 0.6;

/** Log-energy per 20 ms, trimmed to the frames within 35 dB of the loudest, resampled to a fixed length. */
export function envelopeOf(pcm: Int16Array, sampleRate: number): { envelope: number[]; frames: number } {
  const n = Math.max(1, Math.round(sampleRate / 50));
  const db: number[] = [];
  for (let i = 0; i + n <= pcm.length; i += n) {
    let s = 0;
    for (let k = i; k < i + n; k += 1) s += pcm[k]! * pcm[k]!;
    db.push(10 * Math.log10(s / n + 1));
  }
  const max = Math.max(0, ...db);
  const first = db.findIndex((v) => v >= max - 35);
  let last = db.length - 1;
  while (last > first && db[last]! < max - 35) last -= 1;
  const core = first < 0 ? [] : db.slice(first, last + 1);
  const envelope: number[] = [];
  for (let p = 0; p < ENVELOPE_POINTS; p += 1) {
    const v = core.length === 0 ? 0 : core[Math.min(core.length - 1, Math.floor((p * core.length) / ENVELOPE_POINTS))]!;
    envelope.push(max > 0 ? v / max : 0);
  }
  return { envelope, frames: core.length };
}

/**
 * The registered recordings and their transcripts (test-only recognition), and the recordings the regions ship with
 * (the speech probe's): registering a recording replaces an earlier one of the same transcript, never a shipped one.
 */
export class SpeechTemplates {
  private readonly templates: (SpeechTemplate & { shipped: boolean })[] = [];

  register(pcm: Int16Array, sampleRate: number, transcript: string): void {
    this.add(pcm, sampleRate, transcript, false);
  }

  /** A recording every region recognises (the speech probe's, core/probe-recording.ts), whatever is registered. */
  registerShipped(pcm: Int16Array, sampleRate: number, transcript: string): void {
    this.add(pcm, sampleRate, transcript, true);
  }

  private add(pcm: Int16Array, sampleRate: number, transcript: string, shipped: boolean): void {
    const e = envelopeOf(pcm, sampleRate);
    const i = this.templates.findIndex((t) => t.transcript === transcript && t.shipped === shipped);
    if (i >= 0) this.templates.splice(i, 1);
    this.templates.push({ transcript, ...e, shipped });
  }

  get size(): number {
    return this.templates.length;
  }

  /** The nearest template, if near enough. */
  recognize(pcm: Int16Array, sampleRate: number): RecognitionResult | undefined {
    const e = envelopeOf(pcm, sampleRate);
    if (e.frames === 0) return undefined;
    let best: RecognitionResult | undefined;
    for (const t of this.templates) {
      let diff = 0;
      for (let p = 0; p < ENVELOPE_POINTS; p += 1) diff += Math.abs(t.envelope[p]! - e.envelope[p]!);
      const distance = diff / ENVELOPE_POINTS + Math.abs(Math.log(e.frames / Math.max(1, t.frames)));
      if (!best || distance < best.distance) best = { transcript: t.transcript, distance };
    }
    return best && best.distance <= MAX_DISTANCE ? best : undefined;
  }
}

export type SynthMode = 'auto' | 'espeak' | 'tone';

let espeakAvailable: boolean | undefined;
function hasEspeak(): boolean {
  espeakAvailable ??= spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;
  return espeakAvailable;
}

/** Which synthesiser `mode` resolves to on this machine. */
export function synthesizerFor(mode: SynthMode): 'espeak' | 'tone' {
  if (mode === 'tone') return 'tone';
  if (mode === 'espeak' || hasEspeak()) return hasEspeak() ? 'espeak' : 'tone';
  return 'tone';
}

/** Speech for `text` as 16-bit mono PCM at `sampleRate`. */
export function synthesize(text: string, sampleRate: number, mode: SynthMode): Int16Array {
  if (text.trim() === '') return new Int16Array(0);
  return synthesizerFor(mode) === 'espeak' ? espeak(text, sampleRate) : tone(text, sampleRate);
}

/** One 220 ms two-partial tone per word, 80 ms gaps: deterministic, length follows the text. */
export function tone(text: string, sampleRate: number): Int16Array {
  const words = text.trim().split(/\s+/);
  const wordSamples = Math.round(sampleRate * 0.22);
  const gap = Math.round(sampleRate * 0.08);
  const out = new Int16Array(words.length * (wordSamples + gap));
  words.forEach((w, k) => {
    const f = 180 + (w.length % 7) * 30;
    const base = k * (wordSamples + gap);
    for (let i = 0; i < wordSamples; i += 1) {
      const env = Math.sin((Math.PI * i) / wordSamples);
      const t = i / sampleRate;
      out[base + i] = Math.round(
        9000 * env * (Math.sin(2 * Math.PI * f * t) + 0.5 * Math.sin(2 * Math.PI * 2 * f * t)),
      );
    }
  });
  return out;
}

function espeak(text: string, sampleRate: number): Int16Array {
  const r = spawnSync('espeak-ng', ['-v', 'en-us', '--stdout', text], { maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0 || !r.stdout) return tone(text, sampleRate);
  const { pcm, rate } = parseWav(r.stdout);
  return resampleLinear(pcm, rate, sampleRate);
}

/** A PCM16 mono WAV file (espeak-ng's output; the data size may be unset when streamed). */
export function parseWav(buf: Buffer): { pcm: Int16Array; rate: number } {
  let rate = 22050;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = buf.readUInt32LE(off + 12);
    if (id === 'data') {
      const end = size === 0 || size === 0xffffffff || off + 8 + size > buf.length ? buf.length : off + 8 + size;
      const n = Math.floor((end - off - 8) / 2);
      const pcm = new Int16Array(n);
      for (let i = 0; i < n; i += 1) pcm[i] = buf.readInt16LE(off + 8 + i * 2);
      return { pcm, rate };
    }
    off += 8 + size + (size % 2);
  }
  return { pcm: new Int16Array(0), rate };
}

export function resampleLinear(pcm: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return pcm;
  const out = new Int16Array(Math.floor((pcm.length * to) / from));
  for (let i = 0; i < out.length; i += 1) {
    const x = (i * from) / to;
    const a = Math.floor(x);
    const b = Math.min(pcm.length - 1, a + 1);
    out[i] = Math.round(pcm[a]! + (pcm[b]! - pcm[a]!) * (x - a));
  }
  return out;
}
