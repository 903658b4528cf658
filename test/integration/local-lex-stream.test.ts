/**
 * StartConversation against a local Lex region with the official SDK client, unchanged (only `endpoint`
 * and credentials set): cleartext HTTP/2 with prior knowledge on the region's one port, the AWS
 * event-stream framing, TEXT and AUDIO conversations, fulfillment progress (start and update responses at
 * their times, timeout, none when fast), faults at the start and mid-stream.
 *
 * Bot time runs 8× faster than the wall clock: a 12.5 s fulfillment takes about 1.6 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  StartConversationRequestEventStream,
  StartConversationResponseEventStream,
} from '@aws-sdk/client-lex-runtime-v2';
import { LexRuntimeV2Client, RecognizeTextCommand, StartConversationCommand } from '@aws-sdk/client-lex-runtime-v2';
import { mulaw } from 'alawmulaw';
import { orderFlowers } from '../../bot/order-flowers';
import { fulfillOrder } from '../../bot/fulfillment-core';
import { EventQueue } from '../../core/event-queue';
import type { LocalLexRegion } from '../../local/lex';
import { localBotIds, scaledTimer, startLocalLexRegion } from '../../local/lex';
import { lexV2Client, quiet, texts } from './local-lex-fixture';
import { WebRtcVad } from '../../twilio/vad';

const SCALE = 8;
const timer = scaledTimer(SCALE);
const AUDIO = join(__dirname, '..', 'fixtures', 'audio');
const ORDER_ULAW = readFileSync(join(AUDIO, 'order-flowers.ulaw'));
const LPCM_8K = 'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false';
const TEXT_REPLY = 'text/plain; charset=utf-8';

const definition = orderFlowers();
/** The same bot with a 6 s fulfillment timeout (start at 2 s; the first update would be at 7 s). */
const quick = orderFlowers({ botName: 'OrderFlowersQuick', updates: { timeoutInSeconds: 6 } });
/** No active timeout response: a fulfillment past its 3 s timeout is an exception, not silence. */
const strict = orderFlowers({
  botName: 'OrderFlowersStrict',
  updates: { timeoutInSeconds: 3 },
  postFulfillment: { timeoutResponse: { active: false } },
});
const intentOf = (d: typeof definition) => d.intents.find((i) => i.name === 'OrderFlowers')!;
const updates = intentOf(definition).fulfillment!.updates!;
const post = intentOf(definition).fulfillment!.postFulfillment!;
const START = texts(updates.startResponse?.messageGroups);
const UPDATE = texts(updates.updateResponse?.messageGroups);
const SUCCESS = texts(post.successResponse?.messageGroups);
const TIMEOUT = texts(post.timeoutResponse?.messageGroups);

const ids = localBotIds('us-east-1', 'OrderFlowers');
const quickIds = localBotIds('us-east-1', 'OrderFlowersQuick');
const strictIds = localBotIds('us-east-1', 'OrderFlowersStrict');
let region: LocalLexRegion;
let client: LexRuntimeV2Client;

beforeAll(async () => {
  region = await startLocalLexRegion({
    region: 'us-east-1',
    bots: [
      { definition, ...ids, botName: 'OrderFlowers', botAlias: 'live' },
      { definition: quick, ...quickIds, botName: 'OrderFlowersQuick', botAlias: 'live' },
      { definition: strict, ...strictIds, botName: 'OrderFlowersStrict', botAlias: 'live' },
    ],
    // The real fulfillment Lambda core; the slow part is the region's injectable per-intent delay.
    fulfill: (e) => fulfillOrder(e, { placeOrder: async () => ({ orderId: 'ORD-1' }), logger: quiet }),
    timer,
    heartbeatMs: 2000,
    speech: { synthesize: 'tone' },
    vad: (rate) => new WebRtcVad(rate, 2),
  });
  region.speechTemplates.register(mulaw.decode(ORDER_ULAW), 8000, 'I would like to order some flowers');
  // The official client as it comes: its default handler is HTTP/2 (h2c prior knowledge to an http:// endpoint).
  client = new LexRuntimeV2Client({
    region: 'us-east-1',
    endpoint: region.url,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
  });
});

afterAll(async () => {
  client.destroy();
  await region.close();
});

beforeEach(() => {
  region.setFault({ mode: 'none' });
  region.setFulfillmentDelay('OrderFlowers', undefined);
});

type OutEvent = StartConversationResponseEventStream;
interface Received {
  event: OutEvent;
  /** Bot time since the conversation opened. */
  atMs: number;
}

let n = 0;
/** One StartConversation: push input events, read output events with their bot times. */
async function open(o: { mode: 'TEXT' | 'AUDIO'; reply?: string; bot?: { botId: string; botAliasId: string } }) {
  const input = new EventQueue<StartConversationRequestEventStream>();
  const sessionId = `stream-${++n}`;
  input.push({ ConfigurationEvent: { responseContentType: o.reply ?? TEXT_REPLY } });
  const t0 = timer.now();
  const res = await client.send(
    new StartConversationCommand({
      ...(o.bot ?? ids),
      localeId: 'en_US',
      sessionId,
      conversationMode: o.mode,
      requestEventStream: input,
    }),
  );
  const received: Received[] = [];
  let failure: unknown;
  const wakers = new Set<() => void>();
  const reading = (async () => {
    try {
      for await (const event of res.responseEventStream!) {
        received.push({ event, atMs: timer.now() - t0 });
        for (const w of [...wakers]) w();
      }
    } catch (err) {
      failure = err;
    } finally {
      for (const w of [...wakers]) w();
    }
  })();
  let ended = false;
  void reading.then(() => (ended = true));
  /** Waits (with a wall-clock deadline) until `pred` holds over what was received. */
  const until = async (what: string, pred: (r: Received[]) => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!pred(received)) {
      if (ended) throw new Error(`stream ended before ${what}: ${failure ? String(failure) : 'no error'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${kinds(received).join(', ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        const w = () => {
          clearTimeout(t);
          wakers.delete(w);
          resolve();
        };
        wakers.add(w);
      });
    }
  };
  return {
    sessionId,
    /** Bot time at which the conversation opened (`atMs` counts from here). */
    openedAt: t0,
    input,
    received,
    until,
    failure: () => failure,
    /** Ends the input and waits for the response stream to end. */
    close: async () => {
      input.end();
      await reading;
    },
    reading,
  };
}

const kinds = (r: Received[]) => r.map((x) => Object.keys(x.event).find((k) => k !== '$unknown') ?? '?');
const intentResults = (r: Received[]) =>
  r.flatMap((x) => (x.event.IntentResultEvent ? [x.event.IntentResultEvent] : []));
const textResponses = (r: Received[]) =>
  r.flatMap((x) =>
    x.event.TextResponseEvent ? [{ text: x.event.TextResponseEvent.messages?.[0]?.content ?? '', atMs: x.atMs }] : [],
  );

/** Sends one text turn; waits for its intent result and the response that follows it. */
async function sayText(c: Awaited<ReturnType<typeof open>>, text: string) {
  const before = c.received.length;
  c.input.push({ TextInputEvent: { text } });
  await c.until(`the intent result and response for "${text}"`, (r) => {
    const k = kinds(r.slice(before));
    const i = k.indexOf('IntentResultEvent');
    return i >= 0 && k.indexOf('TextResponseEvent', i) > i;
  });
  return intentResults(c.received.slice(before))[0]!;
}

/** Drives a TEXT conversation up to the confirmation prompt. */
async function toConfirmation(c: Awaited<ReturnType<typeof open>>) {
  const first = await sayText(c, 'I would like to order some flowers');
  expect(first.interpretations?.[0]?.intent?.name).toBe('OrderFlowers');
  expect(first.sessionState?.dialogAction).toEqual({ type: 'ElicitSlot', slotToElicit: 'FlowerType' });
  expect((await sayText(c, 'roses')).sessionState?.dialogAction?.slotToElicit).toBe('PickupDate');
  expect((await sayText(c, 'tomorrow')).sessionState?.dialogAction?.slotToElicit).toBe('PickupTime');
  expect((await sayText(c, '5:30 pm')).sessionState?.dialogAction?.type).toBe('ConfirmIntent');
}

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

describe('StartConversation: fulfillment progress as the bot defines it', () => {
  it('a 12.5 s fulfillment: the start response near 2 s, updates near 7 s and 12 s, then the success response', async () => {
    region.setFulfillmentDelay('OrderFlowers', 12_500);
    const c = await open({ mode: 'TEXT' });
    await toConfirmation(c);
    const before = textResponses(c.received).length;
    const yesAt = timer.now() - c.openedAt;
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.until('the success response', (r) => SUCCESS.includes(textResponses(r).at(-1)?.text ?? ''), 8000);
    // When the caller got them (bot time after "yes"): 2 s, 7 s, 12 s, 12.5 s.
    const heard = textResponses(c.received)
      .slice(before)
      .map((x) => x.atMs - yesAt);
    // The caller's side adds the stream's delivery to the region's timing (checked to 600 ms below): within 1 s of
    // bot time (125 ms at this scale), still a fifth of the 5 s between updates.
    [2000, 7000, 12_000, 12_500].forEach((want, i) => expect(Math.abs(heard[i]! - want)).toBeLessThan(1000));
    const progress = region.progress(c.sessionId);
    expect(progress.map((p) => p.kind)).toEqual(['start', 'update', 'update']);
    const [start, u1, u2] = progress;
    expect(Math.abs(start!.afterMs - 2000)).toBeLessThan(600);
    expect(Math.abs(u1!.afterMs - 7000)).toBeLessThan(600);
    expect(Math.abs(u2!.afterMs - 12_000)).toBeLessThan(600);
    // What the caller received, in order: start, update, update, success — the same messages the region recorded.
    const after = textResponses(c.received)
      .slice(before)
      .map((x) => x.text);
    expect(after).toHaveLength(4);
    expect(START).toContain(after[0]);
    expect(UPDATE).toContain(after[1]);
    expect(UPDATE).toContain(after[2]);
    expect(SUCCESS).toContain(after[3]);
    expect(after.slice(0, 3)).toEqual(progress.map((p) => p.message));
    const done = intentResults(c.received).at(-1);
    expect(done?.sessionState?.intent?.state).toBe('Fulfilled');
    await c.close();
  });

  it('a fulfillment past its timeout: the timeout response at the timeout, the intent Failed', async () => {
    region.setFulfillmentDelay('OrderFlowers', 20_000);
    const c = await open({ mode: 'TEXT', bot: quickIds });
    await toConfirmation(c);
    const yesAt = timer.now() - c.openedAt;
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.until('the timeout response', (r) => TIMEOUT.includes(textResponses(r).at(-1)?.text ?? ''), 5000);
    expect(Math.abs(textResponses(c.received).at(-1)!.atMs - yesAt - 6000)).toBeLessThan(600);
    const progress = region.progress(c.sessionId);
    expect(progress.map((p) => p.kind)).toEqual(['start']);
    const done = intentResults(c.received).at(-1);
    expect(done?.sessionState?.intent?.state).toBe('Failed');
    await c.close();
  });

  it('a fulfillment faster than the start delay: no start response, only the success response', async () => {
    region.setFulfillmentDelay('OrderFlowers', 500);
    const c = await open({ mode: 'TEXT' });
    await toConfirmation(c);
    const before = textResponses(c.received).length;
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.until('the success response', (r) => SUCCESS.includes(textResponses(r).at(-1)?.text ?? ''));
    const after = textResponses(c.received).slice(before);
    expect(after).toHaveLength(1);
    expect(region.progress(c.sessionId)).toEqual([]);
    await c.close();
  });
});

describe('StartConversation: the rules for inactive responses and input during fulfillment', () => {
  it('a timeout with no active timeout response ends the conversation with DependencyFailedException', async () => {
    region.setFulfillmentDelay('OrderFlowers', 20_000);
    const c = await open({ mode: 'TEXT', bot: strictIds });
    await toConfirmation(c);
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.reading;
    expect(c.failure()).toMatchObject({ name: 'DependencyFailedException' });
    expect(String((c.failure() as Error).message)).toMatch(/timeout response/);
    c.input.end();
  });

  it('input while fulfillment runs is answered with an update response at once', async () => {
    region.setFulfillmentDelay('OrderFlowers', 6000);
    const c = await open({ mode: 'TEXT' });
    await toConfirmation(c);
    const before = textResponses(c.received).length;
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.until('the start response', (r) => START.includes(textResponses(r).at(-1)?.text ?? ''));
    const nudgedAt = timer.now() - c.openedAt;
    c.input.push({ TextInputEvent: { text: 'are you still there?' } });
    await c.until('the update answering the input', (r) => UPDATE.includes(textResponses(r).at(-1)?.text ?? ''));
    const update = textResponses(c.received).at(-1)!;
    // Long before the first scheduled update (7 s after "yes").
    expect(update.atMs - nudgedAt).toBeLessThan(1000);
    await c.until('the success response', (r) => SUCCESS.includes(textResponses(r).at(-1)?.text ?? ''));
    expect(textResponses(c.received).slice(before)).toHaveLength(3);
    // The input did not start another turn: one intent result for "yes", Fulfilled.
    expect(intentResults(c.received).at(-1)?.sessionState?.intent?.state).toBe('Fulfilled');
    await c.close();
  });

  it('DTMF digits end with # and reach the dialog as one DTMF input', async () => {
    const c = await open({ mode: 'AUDIO', reply: LPCM_8K });
    for (const d of ['4', '2', '#']) c.input.push({ DTMFInputEvent: { inputCharacter: d } });
    await c.until('the intent result', (r) => intentResults(r).length === 1);
    expect(intentResults(c.received)[0]?.inputMode).toBe('DTMF');
    expect(intentResults(c.received)[0]?.sessionState?.intent?.name).toBe('FallbackIntent');
    await c.close();
  });
});

describe('the per-intent fulfillment delay over the admin endpoint', () => {
  it('is set, shown and cleared with PUT/GET /_lexdr/fulfillment; a bad value is a 400 saying what is valid', async () => {
    const put = (body: unknown) =>
      fetch(`${region.url}/_lexdr/fulfillment`, { method: 'PUT', body: JSON.stringify(body) });
    expect(await (await put({ intent: 'OrderFlowers', delayMs: 12_000 })).json()).toEqual({ OrderFlowers: 12_000 });
    expect(await (await fetch(`${region.url}/_lexdr/fulfillment`)).json()).toEqual({ OrderFlowers: 12_000 });
    const bad = await put({ intent: 'OrderFlowers', delayMs: -5 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('0–900000');
    expect(await (await put({ intent: 'OrderFlowers', delayMs: null })).json()).toEqual({});
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
