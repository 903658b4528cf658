/**
 * Audio in a StartConversation: the caller's PCM endpointed by the region's voice activity detector (barge-in
 * and utterances, see `endpointer.ts`), and a response's audio, synthesised at the rate the reply content type
 * asks for and cut into 100 ms chunks.
 */
import type { EndpointEvent } from './endpointer';
import { Endpointer } from './endpointer';
import type { AudioInputEvent } from './conversation-events';
import { LexApiError } from './protocol';
import type { WireMessage } from './session';
import type { SynthMode } from './speech';
import { synthesize } from './speech';
import { REPLY_PCM_RATE, requestFormat } from './v2';
import type { VadFactory } from './vad';

/** Audio arrived but the region was started without `LocalLexRegionOptions.vad` (an InternalServerException). */
export class MissingVadError extends LexApiError {
  override name = 'MissingVadError';
  constructor(region: string) {
    super(
      'internal',
      `local Lex region ${region} cannot endpoint AudioInputEvent audio: it was started without a voice activity ` +
        'detector; pass the `vad` option of startLocalLexRegion (LocalLexRegionOptions.vad), ' +
        'e.g. `vad: (rate) => new WebRtcVad(rate, 2)`',
    );
  }
}

/** The caller's audio: one endpointer at a time, replaced when the sample rate changes. */
export class AudioInput {
  private endpointer: Endpointer | undefined;
  private rate = 0;

  constructor(
    private readonly region: string,
    private readonly vad: VadFactory | undefined,
  ) {}

  /** Endpoints one AudioInputEvent; returns the audio bytes it carried, its rate and what was found in it. */
  push(e: AudioInputEvent): { bytes: number; rate: number; events: EndpointEvent[] } {
    const format = requestFormat(e.contentType);
    if (!format || format.kind !== 'pcm' || (format.rate !== 8000 && format.rate !== 16000))
      throw new LexApiError(
        'validation',
        `AudioInputEvent contentType ${e.contentType}: must be audio/lpcm; sample-rate=8000|16000; sample-size-bits=16; channel-count=1; is-big-endian=false or audio/l16; rate=16000; channels=1`,
      );
    if (!this.endpointer || this.rate !== format.rate) {
      if (!this.vad) throw new MissingVadError(this.region);
      this.endpointer?.close();
      this.endpointer = new Endpointer({ sampleRate: format.rate, vad: this.vad });
      this.rate = format.rate;
    }
    const b = Buffer.from(e.audioChunk ?? '', 'base64');
    const pcm = new Int16Array(Math.floor(b.length / 2));
    for (let i = 0; i < pcm.length; i += 1) pcm[i] = b.readInt16LE(i * 2);
    return { bytes: b.length, rate: format.rate, events: this.endpointer.push(pcm) };
  }

  close(): void {
    this.endpointer?.close();
    this.endpointer = undefined;
  }
}

/** Reply audio: `audio/pcm` (16 kHz) or `audio/lpcm` at 8 or 16 kHz; anything else answers without audio. */
export function replyAudioRate(contentType: string): number | undefined {
  const ct = contentType.toLowerCase().replace(/\s+/g, '');
  if (ct === 'audio/pcm') return REPLY_PCM_RATE;
  const m = /^audio\/lpcm;sample-rate=(8000|16000);sample-size-bits=16;channel-count=1;is-big-endian=false$/.exec(ct);
  return m ? Number(m[1]) : undefined;
}

/** A response's audio: base64 chunks of 100 ms (16-bit little-endian PCM) and how long it plays. */
export function replyAudio(
  messages: WireMessage[],
  rate: number,
  mode: SynthMode,
): { chunks: string[]; durationMs: number } {
  const pcm = synthesize(messages.map((m) => m.content).join(' '), rate, mode);
  const bytes = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i += 1) bytes.writeInt16LE(pcm[i]!, i * 2);
  const chunk = (rate / 10) * 2; // 100 ms
  const chunks: string[] = [];
  for (let off = 0; off < bytes.length; off += chunk) chunks.push(bytes.subarray(off, off + chunk).toString('base64'));
  return { chunks, durationMs: (pcm.length * 1000) / rate };
}
