/**
 * StartConversation against a local Lex region with the official SDK client (local-lex-stream-fixture.ts): cleartext
 * HTTP/2 with prior knowledge on the region's one port, the AWS event-stream framing, TEXT and AUDIO conversations,
 * heartbeats, the other operations on the same port; faults at the start and mid-stream.
 */
import { RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import { mulaw } from 'alawmulaw';
import { lexV2Client } from './local-lex-fixture';
import {
  client,
  ids,
  intentResults,
  kinds,
  LPCM_8K,
  open,
  ORDER_ULAW,
  region,
  sayText,
  SCALE,
  SUCCESS,
  textResponses,
  toConfirmation,
  useStreamRegion,
} from './local-lex-stream-fixture';

useStreamRegion();

describe('StartConversation over HTTP/2 with the official SDK client', () => {
  it('runs a TEXT conversation to a fulfilled OrderFlowers, text responses after each intent result', async () => {
    const c = await open({ mode: 'TEXT' });
    await toConfirmation(c);
    const done = await sayText(c, 'yes');
    await c.until('the success response', (r) => SUCCESS.includes(textResponses(r).at(-1)?.text ?? ''));
    expect(done.inputMode).toBe('Text');
    expect(done.sessionId).toBe(c.sessionId);
    expect(done.sessionState?.intent).toMatchObject({ name: 'OrderFlowers', state: 'Fulfilled' });
    expect(done.sessionState?.sessionAttributes?.orderId).toBe('ORD-1');
    expect(textResponses(c.received)[0]?.text).toBe('What type of flowers would you like to order?');
    // TEXT mode: no audio, no transcript.
    expect(kinds(c.received)).not.toContain('AudioResponseEvent');
    expect(kinds(c.received)).not.toContain('TranscriptEvent');
    await c.close();
    expect(c.failure()).toBeUndefined();
    const rec = region.requests().find((r) => r.sessionId === c.sessionId);
    expect(rec).toMatchObject({ operation: 'V2.StartConversation', conversationMode: 'TEXT' });
  });

  it('endpoints a recorded utterance streamed in 20 ms chunks (AUDIO), transcribes it and answers in audio', async () => {
    const c = await open({ mode: 'AUDIO', reply: LPCM_8K });
    const pcm = mulaw.decode(ORDER_ULAW);
    const withSilence = new Int16Array(pcm.length + 8000);
    withSilence.set(pcm);
    const bytes = Buffer.from(withSilence.buffer);
    for (let off = 0; off < bytes.length; off += 320)
      c.input.push({ AudioInputEvent: { contentType: LPCM_8K, audioChunk: bytes.subarray(off, off + 320) } });
    await c.until('the end of the audio response', (r) =>
      r.some((x) => x.event.AudioResponseEvent && x.event.AudioResponseEvent.audioChunk?.length === 0),
    );
    const transcript = c.received.find((x) => x.event.TranscriptEvent)?.event.TranscriptEvent?.transcript;
    expect(transcript).toBe('I would like to order some flowers');
    const result = intentResults(c.received)[0];
    expect(result?.inputMode).toBe('Speech');
    expect(result?.interpretations?.[0]?.intent?.name).toBe('OrderFlowers');
    expect(result?.sessionState?.dialogAction).toEqual({ type: 'ElicitSlot', slotToElicit: 'FlowerType' });
    const audio = c.received.flatMap((x) => (x.event.AudioResponseEvent ? [x.event.AudioResponseEvent] : []));
    const audioBytes = audio.reduce((s, a) => s + (a.audioChunk?.length ?? 0), 0);
    expect(audio[0]?.contentType).toBe(LPCM_8K);
    expect(audioBytes).toBeGreaterThan(8000); // more than half a second of 8 kHz 16-bit speech
    // The order: transcript, intent result, text, audio.
    const order = kinds(c.received).filter((k) => k !== 'HeartbeatEvent');
    expect(order.slice(0, 3)).toEqual(['TranscriptEvent', 'IntentResultEvent', 'TextResponseEvent']);
    expect(order[3]).toBe('AudioResponseEvent');
    await c.close();
  });

  it('interrupts an interruptible prompt when the caller types over it (PlaybackInterruptionEvent)', async () => {
    const c = await open({ mode: 'AUDIO', reply: LPCM_8K });
    c.input.push({ TextInputEvent: { text: 'I would like to order some flowers' } });
    await c.until('the flower prompt audio', (r) => kinds(r).includes('AudioResponseEvent'));
    c.input.push({ TextInputEvent: { text: 'roses' } });
    await c.until('the interruption', (r) => kinds(r).includes('PlaybackInterruptionEvent'));
    const prompt = c.received.find((x) => x.event.TextResponseEvent)!.event.TextResponseEvent!;
    const interruption = c.received.find((x) => x.event.PlaybackInterruptionEvent)!.event.PlaybackInterruptionEvent!;
    expect(interruption).toMatchObject({ eventReason: 'TEXT_DETECTED', causedByEventId: prompt.eventId });
    await c.until('the next prompt', (r) => intentResults(r).length === 2);
    expect(intentResults(c.received)[1]?.sessionState?.dialogAction?.slotToElicit).toBe('PickupDate');
    await c.close();
  });

  it('sends heartbeats while the conversation is idle', async () => {
    const c = await open({ mode: 'TEXT' });
    await c.until('two heartbeats', (r) => kinds(r).filter((k) => k === 'HeartbeatEvent').length >= 2);
    await c.close();
  });

  it('serves the other operations over HTTP/2 on the same port (the default client handler)', async () => {
    const r = await client.send(
      new RecognizeTextCommand({
        ...ids,
        localeId: 'en_US',
        sessionId: 'h2-text',
        text: 'I would like to order some flowers',
      }),
    );
    expect(r.interpretations?.[0]?.intent?.name).toBe('OrderFlowers');
  });

  it('still serves HTTP/1.1 on the same port', async () => {
    const h1 = lexV2Client(region);
    try {
      const r = await h1.send(
        new RecognizeTextCommand({ ...ids, localeId: 'en_US', sessionId: 'h1-text', text: 'roses' }),
      );
      expect(r.sessionState?.intent?.name).toBeDefined();
    } finally {
      h1.destroy();
    }
  });
});

describe('StartConversation: faults', () => {
  it('a fault at the start answers with the modeled error', async () => {
    region.setFault({ mode: 'throttled' });
    await expect(open({ mode: 'TEXT' })).rejects.toMatchObject({ name: 'ThrottlingException' });
    region.setFault({ mode: 'notfound' });
    await expect(open({ mode: 'TEXT' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('a region going down mid-stream ends the stream with InternalServerException', async () => {
    const c = await open({ mode: 'TEXT' });
    await sayText(c, 'I would like to order some flowers');
    region.setFault({ mode: 'down' });
    await c.reading;
    expect(c.failure()).toMatchObject({ name: 'InternalServerException' });
    c.input.end();
  });

  it('a hanging region stalls the stream (not even heartbeats) until the fault clears', async () => {
    const c = await open({ mode: 'TEXT' });
    await sayText(c, 'I would like to order some flowers');
    region.setFault({ mode: 'hang' });
    const count = c.received.length;
    c.input.push({ TextInputEvent: { text: 'roses' } });
    // Three heartbeat periods of bot time pass with nothing received (a bounded check for an absence).
    await new Promise((r) => setTimeout(r, (3 * 2000) / SCALE));
    expect(c.received.length).toBe(count);
    region.setFault({ mode: 'none' });
    await c.until('a heartbeat after the hang', (r) => r.length > count);
    await c.close();
  });

  it('a wrong-intent fault answers FallbackIntent', async () => {
    region.setFault({ mode: 'wrongintent' });
    const c = await open({ mode: 'TEXT' });
    const r = await sayText(c, 'I would like to order some flowers');
    expect(r.sessionState?.intent?.name).toBe('FallbackIntent');
    await c.close();
  });
});
