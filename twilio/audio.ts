/** Telephone audio: μ-law 8 kHz (Twilio Media Streams) ↔ 16-bit PCM, Lex's 16 kHz reply → 8 kHz, 20 ms framing. */
import { mulaw } from 'alawmulaw';

/** Twilio streams 20 ms frames: 160 μ-law bytes at 8 kHz. */
export const FRAME_BYTES = 160;
export const SAMPLE_RATE = 8000;
/** μ-law of 0 (digital silence). */
export const MULAW_SILENCE = 0xff;

/** What RecognizeUtterance is told the request audio is (8 kHz 16-bit little-endian mono PCM). */
export const LEX_REQUEST_CONTENT_TYPE =
  'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false';
/**
 * The reply format asked of Lex. Lex V2 accepts audio/mpeg, audio/ogg, audio/pcm and text/plain for
 * `responseContentType`; audio/pcm is 16 kHz 16-bit little-endian mono, so it is resampled to 8 kHz here.
 */
export const LEX_RESPONSE_CONTENT_TYPE = 'audio/pcm';
export const LEX_REPLY_SAMPLE_RATE = 16000;

export const decodeMulaw = (bytes: Uint8Array): Int16Array => mulaw.decode(bytes);
export const encodeMulaw = (pcm: Int16Array): Uint8Array => mulaw.encode(pcm);

/** Int16 samples → little-endian bytes (what the LPCM content type declares). */
export function pcmToLittleEndian(pcm: Int16Array): Buffer {
  const out = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i += 1) out.writeInt16LE(pcm[i]!, i * 2);
  return out;
}

/** Little-endian 16-bit bytes → Int16 samples (an odd trailing byte is dropped). */
export function littleEndianToPcm(bytes: Uint8Array): Int16Array {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(Math.floor(b.length / 2));
  for (let i = 0; i < out.length; i += 1) out[i] = b.readInt16LE(i * 2);
  return out;
}

/** 31-tap windowed-sinc low-pass at 3.6 kHz for 16 kHz input (anti-aliasing before keeping every other sample). */
const HALF_BAND: Float64Array = (() => {
  const taps = 31;
  const fc = 3600 / 16000;
  const h = new Float64Array(taps);
  let sum = 0;
  for (let n = 0; n < taps; n += 1) {
    const m = n - (taps - 1) / 2;
    const sinc = m === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * m) / (Math.PI * m);
    const hamming = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (taps - 1));
    h[n] = sinc * hamming;
    sum += h[n]!;
  }
  for (let n = 0; n < taps; n += 1) h[n] = h[n]! / sum;
  return h;
})();

/** 16 kHz → 8 kHz: low-pass, then decimate by two. */
export function downsample16kTo8k(pcm: Int16Array): Int16Array {
  const out = new Int16Array(Math.floor(pcm.length / 2));
  const half = (HALF_BAND.length - 1) / 2;
  for (let o = 0; o < out.length; o += 1) {
    const c = o * 2;
    let acc = 0;
    for (let k = 0; k < HALF_BAND.length; k += 1) {
      const i = c + k - half;
      if (i >= 0 && i < pcm.length) acc += HALF_BAND[k]! * pcm[i]!;
    }
    out[o] = Math.max(-32768, Math.min(32767, Math.round(acc)));
  }
  return out;
}

/** μ-law bytes → 160-byte frames; the last one is padded with μ-law silence. */
export function toFrames(ulaw: Uint8Array): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < ulaw.length; i += FRAME_BYTES) {
    const f = Buffer.alloc(FRAME_BYTES, MULAW_SILENCE);
    Buffer.from(ulaw.subarray(i, Math.min(ulaw.length, i + FRAME_BYTES))).copy(f);
    frames.push(f);
  }
  return frames;
}

/** Streamed μ-law cut into whole frames as it comes; what is left of a frame waits for the next chunk or `end`. */
export class MulawFramer {
  private carry = new Uint8Array(0);
  /** The whole frames `ulaw` completes. */
  push(ulaw: Uint8Array): Buffer[] {
    const all = new Uint8Array(this.carry.length + ulaw.length);
    all.set(this.carry);
    all.set(ulaw, this.carry.length);
    const whole = all.length - (all.length % FRAME_BYTES);
    this.carry = all.slice(whole);
    return toFrames(all.subarray(0, whole));
  }
  /** The rest, as a last frame padded with silence (none when nothing is left). */
  end(): Buffer[] {
    const frames = toFrames(this.carry);
    this.carry = new Uint8Array(0);
    return frames;
  }
}

/** Root-mean-square level of PCM samples (0 for none). */
export function rms(pcm: Int16Array): number {
  if (pcm.length === 0) return 0;
  let s = 0;
  for (const v of pcm) s += v * v;
  return Math.sqrt(s / pcm.length);
}
