/**
 * The `speech` probe with an injected Lex client: the request it sends (the shipped recording as 8 kHz PCM, a text
 * reply), the reading of the gzip+base64 reply headers, how replies and errors are classified; and the cycle plan of a
 * `speech` config (every probe speaks, every cycle).
 */
import { gzipSync } from 'node:zlib';
import type { LexRuntimeV2Client, RecognizeUtteranceCommandInput } from '@aws-sdk/client-lex-runtime-v2';
import { RecognizeUtteranceCommand } from '@aws-sdk/client-lex-runtime-v2';
import { mulaw } from 'alawmulaw';
import { z } from 'zod';
import { cycleFor, targetsFor } from '../../core/cycle-plan';
import { probe } from '../../core/probe-core';
import type { ProbeRequest } from '../../core/probe-core';
import { PROBE_RECORDING, probeRecordingPcm } from '../../core/probe-recording';
import {
  SPEECH_REQUEST_CONTENT_TYPE,
  SPEECH_RESPONSE_CONTENT_TYPE,
  decodeLexHeader,
  probeRecordingLpcm,
  readSpeechReply,
} from '../../core/speech-probe';
import { settingsFor } from './settings-fixture';

const header = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v))).toString('base64');

/** A reply as Lex gives it for the probe phrase: OrderFlowers, eliciting FlowerType. */
const healthyReply = {
  interpretations: header([{ intent: { name: 'OrderFlowers' }, nluConfidence: { score: 1 } }]),
  sessionState: header({
    intent: { name: 'OrderFlowers', state: 'InProgress' },
    dialogAction: { type: 'ElicitSlot', slotToElicit: 'FlowerType' },
  }),
  inputTranscript: header('i would like to order some flowers'),
};

const req: ProbeRequest = {
  bot: 'OrderFlowers',
  region: 'us-east-1',
  botId: 'BOT0000000',
  botAliasId: 'ALIAS00000',
  localeId: 'en_US',
  method: 'speech',
  utterance: PROBE_RECORDING.transcript,
  expectedIntent: 'OrderFlowers',
  expectedSlot: 'FlowerType',
  timeoutMs: 1000,
  latencyBudgetMs: 800,
};

/** Probes with a Lex V2 client that answers RecognizeUtterance with `reply` (or throws it) and records what it got. */
async function probeWith(reply: object | Error) {
  const sent: { name: string; input: unknown }[] = [];
  const client = {
    send: async (cmd: { constructor: { name: string }; input: unknown }) => {
      sent.push({ name: cmd.constructor.name, input: cmd.input });
      if (cmd instanceof RecognizeUtteranceCommand) {
        if (reply instanceof Error) throw reply;
        return { ...reply, $metadata: { httpStatusCode: 200 } };
      }
      return { $metadata: { httpStatusCode: 200 } };
    },
  } as unknown as LexRuntimeV2Client;
  let t = 0;
  const result = await probe(req, {
    lexV2: () => client,
    lexV1: () => {
      throw new Error('no V1 client in this test');
    },
    now: () => (t += 10),
    sessionId: () => 'lexdr-probe-1',
  });
  return { result, sent };
}

describe('the speech probe', () => {
  it('sends the shipped recording as 8 kHz little-endian PCM, asks for a text reply, and deletes its session', async () => {
    const { result, sent } = await probeWith(healthyReply);
    expect(result).toMatchObject({ ok: true, reason: 'ok', method: 'speech' });
    expect(sent.map((s) => s.name)).toEqual(['RecognizeUtteranceCommand', 'DeleteSessionCommand']);
    const input = sent[0]!.input as RecognizeUtteranceCommandInput;
    expect(input).toMatchObject({
      botId: 'BOT0000000',
      botAliasId: 'ALIAS00000',
      localeId: 'en_US',
      sessionId: 'lexdr-probe-1',
      requestContentType: 'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false',
      responseContentType: 'text/plain; charset=utf-8',
    });
    const body = Buffer.from(input.inputStream as Uint8Array);
    const ulaw = Buffer.from(PROBE_RECORDING.base64, 'base64');
    expect(body.length).toBe(ulaw.length * 2);
    const pcm = mulaw.decode(ulaw);
    for (const i of [0, 1000, 5000, pcm.length - 1]) expect(body.readInt16LE(i * 2)).toBe(pcm[i]);
  });

  it.each([
    [
      'another intent',
      { ...healthyReply, interpretations: header([{ intent: { name: 'FallbackIntent' } }]) },
      /^WrongIntentError: recognised FallbackIntent \(heard "i would like/,
    ],
    [
      'another slot',
      {
        ...healthyReply,
        sessionState: header({
          intent: { name: 'OrderFlowers' },
          dialogAction: { type: 'ElicitSlot', slotToElicit: 'PickupDate' },
        }),
      },
      /^WrongIntentError: eliciting PickupDate, expected FlowerType$/,
    ],
    ['no interpretation at all', {}, /^WrongIntentError: recognised no intent \(heard ""\)$/],
    [
      'a header that is not gzip+base64 JSON',
      { ...healthyReply, interpretations: 'not gzip' },
      /^WrongIntentError: x-amz-lex-interpretations is not gzip\+base64 JSON/,
    ],
    [
      'a header of the wrong shape',
      { ...healthyReply, sessionState: header({ intent: { name: 42 } }) },
      /^WrongIntentError: x-amz-lex-session-state: intent\.name$/,
    ],
  ])('fails as wrong-intent on %s', async (_what, reply, detail) => {
    const { result, sent } = await probeWith(reply);
    expect(result).toMatchObject({ ok: false, reason: 'wrong-intent' });
    expect(result.detail).toMatch(detail);
    // Lex answered, so there is a session to clean up.
    expect(sent.at(-1)?.name).toBe('DeleteSessionCommand');
  });

  it('takes the intent from the session state when no interpretation is given', async () => {
    const { result } = await probeWith({ ...healthyReply, interpretations: undefined });
    expect(result).toMatchObject({ ok: true, reason: 'ok' });
  });

  it.each([
    ['InternalServerException', 500, 'server-error'],
    ['ThrottlingException', 429, 'throttled'],
    ['ResourceNotFoundException', 404, 'not-found'],
    ['AccessDeniedException', 403, 'access-denied'],
  ] as const)('classifies %s (%i) as %s, with no session to clean up', async (name, status, reason) => {
    const err = Object.assign(new Error('injected'), { name, $metadata: { httpStatusCode: status } });
    const { result, sent } = await probeWith(err);
    expect(result).toMatchObject({ ok: false, reason, method: 'speech' });
    expect(sent.map((s) => s.name)).toEqual(['RecognizeUtteranceCommand']);
  });
});

describe('reading the reply headers', () => {
  it('decodes the recognised intent, the slot to elicit and the transcript', () => {
    expect(readSpeechReply(healthyReply)).toEqual({
      intent: 'OrderFlowers',
      slotToElicit: 'FlowerType',
      transcript: 'i would like to order some flowers',
    });
    expect(readSpeechReply({})).toEqual({});
  });

  it('refuses a header that inflates past 256 KiB', () => {
    const big = header('x'.repeat(300 * 1024));
    expect(() => decodeLexHeader('x-amz-lex-input-transcript', big, z.string())).toThrow(
      expect.objectContaining({ name: 'WrongIntentError', message: expect.stringMatching(/input-transcript is not/) }),
    );
  });

  it('builds the PCM body once from the recording', () => {
    expect(SPEECH_REQUEST_CONTENT_TYPE).toContain('sample-rate=8000');
    expect(SPEECH_RESPONSE_CONTENT_TYPE).toBe('text/plain; charset=utf-8');
    expect(probeRecordingLpcm()).toBe(probeRecordingLpcm());
    expect(probeRecordingLpcm().length).toBe(probeRecordingPcm().length * 2);
  });
});

describe('the cycle plan of a speech config', () => {
  const regions = ['us-east-1', 'us-west-2'];
  const settings = settingsFor(regions, {
    nluEveryCycles: 6,
    probe: { ...settingsFor(regions).probe, method: 'speech' },
  });

  it('probes every bot in every region by speech, every cycle', () => {
    const start = '2026-11-20T12:00:00.000Z';
    for (let i = 0; i < 7; i += 1) expect(cycleFor(settings, start, i, 7).nlu).toBe(true);
    expect(targetsFor(settings, true, []).map((t) => t.method)).toEqual(['speech', 'speech']);
    // A confirmation round of a passing region (no NLU turn) still speaks: speech has no cheaper form.
    expect(targetsFor(settings, false, []).map((t) => t.method)).toEqual(['speech', 'speech']);
  });
});
