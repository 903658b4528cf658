/**
 * What a caller hears, over the real APIs with the official SDK clients against a local Lex region: Lex says one
 * message from EVERY message group of a response, in the bot's order (RecognizeText, RecognizeUtterance,
 * StartConversation, V1 PostText), each the group's message or one of its variations; a fulfillment progress update
 * is one message. The shipped OrderFlowers bot says one thing per response; the same alternatives written as
 * separate groups (the mistake) are all heard, back to back.
 * Bot time runs 50× faster than the wall clock.
 */
import type { LexRuntimeServiceClient } from '@aws-sdk/client-lex-runtime-service';
import { PostTextCommand } from '@aws-sdk/client-lex-runtime-service';
import type {
  StartConversationRequestEventStream,
  StartConversationResponseEventStream,
} from '@aws-sdk/client-lex-runtime-v2';
import {
  LexRuntimeV2Client,
  RecognizeTextCommand,
  RecognizeUtteranceCommand,
  StartConversationCommand,
} from '@aws-sdk/client-lex-runtime-v2';
import type { BotDefinition, MessageGroup } from '../../bot/definition';
import { oneOf, parseBotDefinition } from '../../bot/definition';
import { orderFlowers, orderFlowersInput } from '../../bot/order-flowers';
import { EventQueue } from '../../core/event-queue';
import { OrderBackendError, fulfillOrder } from '../../bot/fulfillment-core';
import type { LocalLexRegion } from '../../local/lex';
import { decodeLexHeader, localBotIds, scaledTimer, startLocalLexRegion } from '../../local/lex';
import { lexV1Client, lexV2Client, quiet, seeded } from './local-lex-fixture';

const REGION = 'us-east-1';
const SCALE = 50;
const timer = scaledTimer(SCALE);
const TEXT = 'text/plain; charset=utf-8';
const UNRELATED = 'what is the weather on mars';
const ALL_SLOTS = 'I would like to order some tulips for tomorrow at 10 am';

const alternatives = (g: MessageGroup) => [g.message, ...g.variations];
const orderOf = (d: BotDefinition) => d.intents.find((i) => i.name === 'OrderFlowers')!;
const fallbackOf = (d: BotDefinition) => d.intents.find((i) => i.name === 'FallbackIntent')!;

/** The shipped bot. */
const shipped = orderFlowers();
const post = orderOf(shipped).fulfillment!.postFulfillment!;
const updates = orderOf(shipped).fulfillment!.updates!;

/** A fallback closing of three things said in order, two of them worded two or three ways. */
const SEQUENCE_GROUPS = [
  oneOf("Sorry, I didn't catch that.", 'Sorry, I missed that.'),
  oneOf('I can take an order for flowers.'),
  oneOf('Say: I would like to order some flowers.', 'Try: order some roses.', 'Or ask for tulips.'),
];
const sequenceInput = orderFlowersInput({ botName: 'Sequence' });
sequenceInput.intents.find((i) => i.name === 'FallbackIntent')!.closingResponse = { messageGroups: SEQUENCE_GROUPS };
const sequence = parseBotDefinition(sequenceInput);
const SEQUENCE = fallbackOf(sequence).closingResponse!.messageGroups;

/** The mistake: the shipped bot's alternatives written as separate groups (as the bot once had them). */
const split = (groups: MessageGroup[]) => groups.flatMap(alternatives).map((message) => ({ message, variations: [] }));
const separate = orderFlowers({ botName: 'Separate' });
orderOf(separate).fulfillment!.postFulfillment!.successResponse!.messageGroups = split(
  post.successResponse!.messageGroups,
);
fallbackOf(separate).closingResponse!.messageGroups = split(fallbackOf(shipped).closingResponse!.messageGroups);

const bots = { OrderFlowers: shipped, Sequence: sequence, Separate: separate };
type Name = keyof typeof bots;
const ids = (bot: Name) => localBotIds(REGION, bot);

let region: LocalLexRegion;
let http1: LexRuntimeV2Client;
let http2: LexRuntimeV2Client;
let v1: LexRuntimeServiceClient;
let placeOrder: () => Promise<{ orderId: string }> = async () => ({ orderId: 'ORD-1' });

beforeAll(async () => {
  region = await startLocalLexRegion({
    region: REGION,
    bots: (Object.keys(bots) as Name[]).map((name) => ({
      definition: bots[name],
      ...ids(name),
      botName: name,
      botAlias: 'live',
    })),
    fulfill: (e) => fulfillOrder(e, { placeOrder: () => placeOrder(), logger: quiet }),
    random: seeded(11),
    timer,
    speech: { synthesize: 'tone' },
  });
  http1 = lexV2Client(region);
  // StartConversation: the client's own HTTP/2 handler, as in production.
  http2 = new LexRuntimeV2Client({
    region: REGION,
    endpoint: region.url,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
  });
  v1 = lexV1Client(region);
});

afterAll(async () => {
  http1.destroy();
  http2.destroy();
  v1.destroy();
  await region.close();
});

beforeEach(() => {
  placeOrder = async () => ({ orderId: 'ORD-1' });
  region.setFulfillmentDelay('OrderFlowers', undefined);
});

let n = 0;
const session = (bot: Name) => ({ ...ids(bot), localeId: 'en_US', sessionId: `groups-${++n}` });
const say = (s: ReturnType<typeof session>, text: string) => http1.send(new RecognizeTextCommand({ ...s, text }));
const heard = (r: { messages?: { content?: string }[] }) => (r.messages ?? []).map((m) => m.content);

/** Orders flowers over RecognizeText and returns the reply to "yes". */
async function order(bot: Name) {
  const s = session(bot);
  const confirm = await say(s, ALL_SLOTS);
  expect(confirm.sessionState?.dialogAction?.type).toBe('ConfirmIntent');
  return say(s, 'yes');
}

/** Whether `messages` is one message of each group of `groups`, in order. */
const onePerGroup = (messages: unknown[], groups: MessageGroup[]) =>
  messages.length === groups.length && groups.every((g, i) => alternatives(g).includes(messages[i] as string));

describe('RecognizeText', () => {
  it("plays one message from every group, in the bot's order, each the main message or one of its variations", async () => {
    const replies: unknown[][] = [];
    for (let i = 0; i < 12; i += 1) replies.push(heard(await say(session('Sequence'), UNRELATED)));
    for (const r of replies) expect(onePerGroup(r, SEQUENCE)).toBe(true);
    // The variations are played too, not only the main message of each group.
    expect(new Set(replies.map((r) => r[0])).size).toBe(2);
    expect(new Set(replies.map((r) => r[2])).size).toBeGreaterThan(1);
  });

  it('the shipped bot says exactly one message on success, failure, timeout and in the fallback closing', async () => {
    const one = (r: { messages?: { content?: string }[] }, groups: MessageGroup[] | undefined) => {
      expect(heard(r)).toHaveLength(1);
      expect(groups?.flatMap(alternatives)).toContain(heard(r)[0]);
    };
    const success = await order('OrderFlowers');
    expect(success.sessionState?.intent?.state).toBe('Fulfilled');
    one(success, post.successResponse?.messageGroups);

    placeOrder = async () => {
      throw new OrderBackendError('the florist is closed');
    };
    const failure = await order('OrderFlowers');
    expect(failure.sessionState?.intent?.state).toBe('Failed');
    one(failure, post.failureResponse?.messageGroups);

    region.setFulfillmentDelay('OrderFlowers', 40_000);
    const timeout = await order('OrderFlowers');
    expect(timeout.sessionState?.intent?.state).toBe('Failed');
    one(timeout, post.timeoutResponse?.messageGroups);

    const fallback = await say(session('OrderFlowers'), UNRELATED);
    expect(fallback.sessionState?.intent?.name).toBe('FallbackIntent');
    one(fallback, fallbackOf(shipped).closingResponse?.messageGroups);
  });

  it('alternatives written as separate groups are all heard, back to back (the mistake the shipped bot avoids)', async () => {
    const success = await order('Separate');
    expect(heard(success)).toEqual(alternatives(post.successResponse!.messageGroups[0]!));
    const fallback = await say(session('Separate'), UNRELATED);
    expect(heard(fallback)).toEqual(alternatives(fallbackOf(shipped).closingResponse!.messageGroups[0]!));
  });
});

test('RecognizeUtterance (text input) plays one message from every group, in order', async () => {
  const r = await http1.send(
    new RecognizeUtteranceCommand({
      ...session('Sequence'),
      requestContentType: TEXT,
      responseContentType: TEXT,
      inputStream: Buffer.from(UNRELATED),
    }),
  );
  const messages = decodeLexHeader<{ content: string }[]>(r.messages ?? '').map((m) => m.content);
  expect(onePerGroup(messages, SEQUENCE)).toBe(true);
});

test('V1 PostText says one message from every group, in order', async () => {
  const r = await v1.send(
    new PostTextCommand({ botName: 'Sequence', botAlias: 'live', userId: `v1-${++n}`, inputText: UNRELATED }),
  );
  const [a, b, c] = SEQUENCE.map(alternatives);
  const spoken = a!.flatMap((x) => b!.flatMap((y) => c!.map((z) => `${x} ${y} ${z}`)));
  expect(spoken).toContain(r.message);
});

describe('StartConversation', () => {
  type OutEvent = StartConversationResponseEventStream;

  /** One TEXT conversation: push text turns, read the output events. */
  async function converse(bot: Name) {
    const input = new EventQueue<StartConversationRequestEventStream>();
    input.push({ ConfigurationEvent: { responseContentType: TEXT } });
    const res = await http2.send(
      new StartConversationCommand({
        ...session(bot),
        conversationMode: 'TEXT',
        requestEventStream: input,
      }),
    );
    const received: OutEvent[] = [];
    let wake: () => void = () => undefined;
    let ended = false;
    const reading = (async () => {
      for await (const e of res.responseEventStream!) {
        received.push(e);
        wake();
      }
    })().finally(() => {
      ended = true;
      wake();
    });
    /** Waits (wall-clock deadline) until `pred` holds over what was received. */
    const until = async (what: string, pred: (r: OutEvent[]) => boolean, ms = 5000) => {
      const deadline = Date.now() + ms;
      while (!pred(received)) {
        if (ended) throw new Error(`stream ended before ${what}`);
        if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, deadline - Date.now());
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    };
    const texts = () => received.flatMap((e) => (e.TextResponseEvent ? [heard(e.TextResponseEvent)] : []));
    const results = () => received.flatMap((e) => (e.IntentResultEvent ? [e.IntentResultEvent] : []));
    /** Sends a text turn and waits for its intent result and the response after it. */
    const turn = async (text: string) => {
      const before = received.length;
      input.push({ TextInputEvent: { text } });
      await until(`the response to "${text}"`, (r) => {
        const i = r.slice(before).findIndex((e) => e.IntentResultEvent);
        return i >= 0 && r.slice(before + i).some((e) => e.TextResponseEvent);
      });
    };
    const close = async () => {
      input.end();
      await reading;
    };
    return { received, until, texts, results, turn, input, close };
  }

  it('a response is one TextResponseEvent carrying one message from every group, in order', async () => {
    const c = await converse('Sequence');
    await c.turn(UNRELATED);
    expect(c.texts()).toHaveLength(1);
    expect(onePerGroup(c.texts()[0]!, SEQUENCE)).toBe(true);
    await c.close();
  });

  it('each progress update is exactly one message; the success response is one message', async () => {
    region.setFulfillmentDelay('OrderFlowers', 12_500);
    const c = await converse('OrderFlowers');
    await c.turn(ALL_SLOTS);
    expect(c.results()[0]?.sessionState?.dialogAction?.type).toBe('ConfirmIntent');
    const before = c.texts().length;
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.until('the fulfilled intent and its response', (r) => {
      const i = r.findIndex((e) => e.IntentResultEvent?.sessionState?.intent?.state === 'Fulfilled');
      return i >= 0 && r.slice(i).some((e) => e.TextResponseEvent);
    });
    // Start at 2 s, updates at 7 s and 12 s, success at 12.5 s.
    const [start, u1, u2, success, ...rest] = c.texts().slice(before);
    expect(rest).toEqual([]);
    const START = updates.startResponse!.messageGroups.flatMap(alternatives);
    const UPDATE = updates.updateResponse!.messageGroups.flatMap(alternatives);
    expect(start).toHaveLength(1);
    expect(START).toContain(start![0]);
    for (const u of [u1, u2]) {
      expect(u).toHaveLength(1);
      expect(UPDATE).toContain(u![0]);
    }
    expect(success).toHaveLength(1);
    expect(post.successResponse!.messageGroups.flatMap(alternatives)).toContain(success![0]);
    await c.close();
  });
});
