/**
 * What the StartConversation suites share: a local Lex region with three variants of OrderFlowers (the real fulfillment
 * core behind them), the official SDK client unchanged (only `endpoint` and credentials set: its default handler speaks
 * cleartext HTTP/2 with prior knowledge), and a conversation driver that pushes input events and reads output events
 * with their bot times.
 *
 * Bot time runs 8× faster than the wall clock: a 12.5 s fulfillment takes about 1.6 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  StartConversationRequestEventStream,
  StartConversationResponseEventStream,
} from '@aws-sdk/client-lex-runtime-v2';
import { LexRuntimeV2Client, StartConversationCommand } from '@aws-sdk/client-lex-runtime-v2';
import { mulaw } from 'alawmulaw';
import { orderFlowers } from '../../bot/order-flowers';
import { fulfillOrder } from '../../bot/fulfillment-core';
import { EventQueue } from '../../core/event-queue';
import type { LocalLexRegion } from '../../local/lex';
import { localBotIds, scaledTimer, startLocalLexRegion } from '../../local/lex';
import { quiet, texts } from './local-lex-fixture';
import { WebRtcVad } from '../../twilio/vad';

export const SCALE = 8;
export const timer = scaledTimer(SCALE);
const AUDIO = join(__dirname, '..', 'fixtures', 'audio');
export const ORDER_ULAW = readFileSync(join(AUDIO, 'order-flowers.ulaw'));
export const LPCM_8K = 'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false';
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
export const START = texts(updates.startResponse?.messageGroups);
export const UPDATE = texts(updates.updateResponse?.messageGroups);
export const SUCCESS = texts(post.successResponse?.messageGroups);
export const TIMEOUT = texts(post.timeoutResponse?.messageGroups);

export const ids = localBotIds('us-east-1', 'OrderFlowers');
export const quickIds = localBotIds('us-east-1', 'OrderFlowersQuick');
export const strictIds = localBotIds('us-east-1', 'OrderFlowersStrict');

// Set by the hooks `useStreamRegion` registers; the suites read them as live bindings.
export let region: LocalLexRegion;
export let client: LexRuntimeV2Client;

/** Registers the suite's hooks: start the region and the client; before each test, clear faults and delays. */
export function useStreamRegion(): void {
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
}

type OutEvent = StartConversationResponseEventStream;
interface Received {
  event: OutEvent;
  /** Bot time since the conversation opened. */
  atMs: number;
}

let n = 0;
/** One StartConversation: push input events, read output events with their bot times. */
export async function open(o: { mode: 'TEXT' | 'AUDIO'; reply?: string; bot?: { botId: string; botAliasId: string } }) {
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

export const kinds = (r: Received[]) => r.map((x) => Object.keys(x.event).find((k) => k !== '$unknown') ?? '?');
export const intentResults = (r: Received[]) =>
  r.flatMap((x) => (x.event.IntentResultEvent ? [x.event.IntentResultEvent] : []));
export const textResponses = (r: Received[]) =>
  r.flatMap((x) =>
    x.event.TextResponseEvent ? [{ text: x.event.TextResponseEvent.messages?.[0]?.content ?? '', atMs: x.atMs }] : [],
  );

/** Sends one text turn; waits for its intent result and the response that follows it. */
export async function sayText(c: Awaited<ReturnType<typeof open>>, text: string) {
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
export async function toConfirmation(c: Awaited<ReturnType<typeof open>>) {
  const first = await sayText(c, 'I would like to order some flowers');
  expect(first.interpretations?.[0]?.intent?.name).toBe('OrderFlowers');
  expect(first.sessionState?.dialogAction).toEqual({ type: 'ElicitSlot', slotToElicit: 'FlowerType' });
  expect((await sayText(c, 'roses')).sessionState?.dialogAction?.slotToElicit).toBe('PickupDate');
  expect((await sayText(c, 'tomorrow')).sessionState?.dialogAction?.slotToElicit).toBe('PickupTime');
  expect((await sayText(c, '5:30 pm')).sessionState?.dialogAction?.type).toBe('ConfirmIntent');
}
