/**
 * The voice activity detector the local regions endpoint StartConversation audio with. The region does not
 * choose one: whoever starts it passes a factory in `LocalLexRegionOptions.vad` (the local system and the tests
 * pass the Twilio bridge's WebRTC VAD).
 */

/** The sample rates of StartConversation audio input (16-bit mono PCM). */
export type VadSampleRate = 8000 | 16000;

/** One detector per audio stream (it may keep state between frames). */
export interface VoiceActivityDetector {
  /** True if the frame (20 ms of 16-bit PCM at the detector's sample rate) holds speech. */
  isSpeech(frame: Int16Array): boolean;
  /** Frees the detector; it is not used afterwards. */
  close(): void;
}

/** Creates a detector for one audio stream at `sampleRate`. */
export type VadFactory = (sampleRate: VadSampleRate) => VoiceActivityDetector;
