/**
 * The `speech` probe's request and the reading of its reply. RecognizeUtterance takes the shipped recording of the
 * probe phrase (core/probe-recording.ts) as 8 kHz 16-bit PCM and asks for a text reply (no speech synthesised); Lex
 * answers with the recognised intent, the session state and the transcript in gzip+base64 JSON headers
 * (`x-amz-lex-interpretations`, `x-amz-lex-session-state`, `x-amz-lex-input-transcript`), which the SDK hands over
 * undecoded as strings.
 */
import { gunzipSync } from 'node:zlib';
import type { RecognizeUtteranceCommandInput, RecognizeUtteranceCommandOutput } from '@aws-sdk/client-lex-runtime-v2';
import { z } from 'zod';
import { WrongIntentError } from './probe-errors';
import { probeRecordingPcm } from './probe-recording';

/** The request audio: the recording decoded to 8 kHz 16-bit little-endian mono PCM, which RecognizeUtterance takes. */
export const SPEECH_REQUEST_CONTENT_TYPE =
  'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false';
/** A text reply: Lex synthesises no audio for the probe. */
export const SPEECH_RESPONSE_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** Largest decoded header read (the headers of one turn are a few KiB; a bigger one is not a reply to read). */
const MAX_HEADER_JSON_BYTES = 256 * 1024;

let lpcm: Uint8Array | undefined;
/** The recording as the request body: little-endian 16-bit samples (built once; every probe sends the same). */
export function probeRecordingLpcm(): Uint8Array {
  if (!lpcm) {
    const pcm = probeRecordingPcm();
    const body = Buffer.alloc(pcm.length * 2);
    for (let i = 0; i < pcm.length; i += 1) body.writeInt16LE(pcm[i]!, i * 2);
    lpcm = body;
  }
  return lpcm;
}

/** The RecognizeUtterance input of a speech probe of one session. */
export function speechRequest(ids: {
  botId: string;
  botAliasId: string;
  localeId: string;
  sessionId: string;
}): RecognizeUtteranceCommandInput & { inputStream: Uint8Array } {
  return {
    ...ids,
    requestContentType: SPEECH_REQUEST_CONTENT_TYPE,
    responseContentType: SPEECH_RESPONSE_CONTENT_TYPE,
    inputStream: probeRecordingLpcm(),
  };
}

const intentSchema = z.object({ name: z.string().optional() });
const interpretationsSchema = z.array(z.object({ intent: intentSchema.optional() }));
const sessionStateSchema = z.object({
  intent: intentSchema.optional(),
  dialogAction: z.object({ type: z.string().optional(), slotToElicit: z.string().optional() }).optional(),
});

/**
 * One gzip+base64 JSON header as Lex sends it, validated; undefined when absent. A header that is not one is a reply
 * no healthy Lex gives: a WrongIntentError naming the header.
 */
export function decodeLexHeader<T>(header: string, value: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (value === undefined || value === '') return undefined;
  let json: unknown;
  try {
    const raw = gunzipSync(Buffer.from(value, 'base64'), { maxOutputLength: MAX_HEADER_JSON_BYTES });
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new WrongIntentError(`${header} is not gzip+base64 JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new WrongIntentError(`${header}: ${parsed.error.issues.map((i) => i.path.join('.') || 'value').join(', ')}`);
  return parsed.data;
}

/** What Lex understood of the recording. */
export interface SpeechReply {
  /** The top interpretation's intent (else the session state's). */
  intent?: string;
  slotToElicit?: string;
  /** What Lex heard. */
  transcript?: string;
}

/** Reads the recognised intent, the slot Lex elicits next and the transcript from a RecognizeUtterance reply. */
export function readSpeechReply(
  out: Pick<RecognizeUtteranceCommandOutput, 'interpretations' | 'sessionState' | 'inputTranscript'>,
): SpeechReply {
  const interpretations = decodeLexHeader('x-amz-lex-interpretations', out.interpretations, interpretationsSchema);
  const state = decodeLexHeader('x-amz-lex-session-state', out.sessionState, sessionStateSchema);
  const transcript = decodeLexHeader('x-amz-lex-input-transcript', out.inputTranscript, z.string());
  const intent = interpretations?.[0]?.intent?.name ?? state?.intent?.name;
  const slotToElicit = state?.dialogAction?.slotToElicit;
  return {
    ...(intent !== undefined && { intent }),
    ...(slotToElicit !== undefined && { slotToElicit }),
    ...(transcript !== undefined && { transcript }),
  };
}
