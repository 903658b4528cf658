/**
 * The Twilio bridge on StartConversation, end to end: a simulated Twilio call (real `ws`, Twilio's frames,
 * recorded μ-law utterances) → the bridge (one HTTP/2 StartConversation per call with the official SDK
 * client, audio streamed both ways) → the local Lex regions. Callers hear the fulfillment start and update
 * responses while fulfillment runs; a stream that fails or stalls is reopened in the other region with the
 * dialog's state, and the dialog goes on. Bot time runs 8× faster than the wall clock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mulaw } from 'alawmulaw';
import { orderFlowers } from '../../bot/order-flowers';
import { LOCAL_CREDENTIALS } from '../../local/http';
import { scaledTimer } from '../../local/lex';
import type { LocalSystem } from '../../local/system';
import type { Bridge } from '../../twilio/bridge';
import { startBridge } from '../../twilio/bridge';
import type { TurnRecord } from '../../twilio/call-turns';
import { localBridgeConfig } from '../../local/twilio';
import { publicWsUrl } from '../../twilio/server';
import { SimulatedCall } from '../../twilio/simulated-call';
import { FAST, startFast } from './system-fixture';

const SCALE = 8;
/** The bridge's answer timeout and stream stall deadline. */
const ANSWER_MS = 3000;
const AUDIO = join(__dirname, '..', 'fixtures', 'audio');
const manifest = JSON.parse(readFileSync(join(AUDIO, 'order-roses.json'), 'utf8')) as {
  utterances: { file: string; transcript: string }[];
};
const [ORDER, ROSES, TOMORROW, TEN, YES] = manifest.utterances.map((u) => readFileSync(join(AUDIO, u.file)));
const TOKEN = 'local-twilio-token';
const PUBLIC = 'https://voice.example.com';
const E = 'us-east-1';
const W = 'us-west-2';

const updates = orderFlowers().intents.find((i) => i.name === 'OrderFlowers')!.fulfillment!.updates!;
const texts = (g: { message: string; variations: string[] }[] | undefined) =>
  (g ?? []).flatMap((m) => [m.message, ...m.variations]);
const START = texts(updates.startResponse?.messageGroups);
const UPDATE = texts(updates.updateResponse?.messageGroups);

const actions: { callSid: string; action: string }[] = [];
let sys: LocalSystem;
let bridge: Bridge;

beforeAll(async () => {
  sys = await startFast({ ...FAST, lookupCacheSeconds: 0 }, { lexOptions: { timer: scaledTimer(SCALE) } });
  for (const l of Object.values(sys.lex))
    for (const [i, u] of manifest.utterances.entries())
      l.speechTemplates.register(mulaw.decode([ORDER, ROSES, TOMORROW, TEN, YES][i]!), 8000, u.transcript);
  bridge = await startBridge(
    // No region cooldown: each test's call starts where lexDR says. Answer and stall deadlines of 3 s: a loaded
    // 2-core machine (the whole suite in parallel) must not pass for a stalled region.
    localBridgeConfig(sys, {
      publicBaseUrl: PUBLIC,
      authToken: TOKEN,
      lexTimeoutMs: ANSWER_MS,
      drainDeadlineMs: 1000,
      regionCooldownMs: 0,
    }),
    {
      dynamodb: sys.dynamo.client,
      credentials: LOCAL_CREDENTIALS,
      callControl: {
        hangUp: async (callSid) => void actions.push({ callSid, action: 'hang-up' }),
        redirect: async (callSid) => void actions.push({ callSid, action: 'transfer' }),
      },
      lexApi: 'stream',
      streamStallMs: ANSWER_MS,
    },
  );
});

afterAll(async () => {
  await bridge?.close();
  await sys?.close();
});

beforeEach(async () => {
  for (const l of Object.values(sys.lex)) {
    l.setFault({ mode: 'none' });
    l.setFulfillmentDelay('OrderFlowers', undefined);
  }
  await sys.dynamo.client.send(
    new PutItemCommand({
      TableName: sys.config.tableName,
      Item: { connectRegion: { S: sys.config.connectRegion }, lexRegion: { S: E } },
    }),
  );
});

const newCall = () =>
  new SimulatedCall({
    wsUrl: bridge.url.replace('http', 'ws') + '/media',
    publicWsUrl: publicWsUrl(PUBLIC),
    authToken: TOKEN,
  });

/** The bridge's record of a call's turns (what `twilio/replay.ts` prints). */
async function turnsOf(callSid: string): Promise<TurnRecord[]> {
  const res = await fetch(`${bridge.url}/_local/turns?callSid=${callSid}`);
  const [c] = (await res.json()) as { turns: TurnRecord[] }[];
  return c?.turns ?? [];
}

/** Polls the bridge until `pred` holds over the call's turns, with a deadline. */
async function untilTurns(callSid: string, what: string, pred: (t: TurnRecord[]) => boolean, ms = 8000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const t = await turnsOf(callSid);
    if (pred(t)) return t;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; turns: ${JSON.stringify(t)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One utterance and a second of silence; waits until Lex has answered it (the turn count grows). */
async function say(call: SimulatedCall, audio: Buffer, turn: number) {
  await call.sendAudio(audio);
  await call.sendSilence(1000);
  await untilTurns(call.callSid, `turn ${turn}`, (t) => t.length >= turn);
}

const conversations = (region: string) =>
  sys.lex[region]!.requests().filter((r) => r.operation === 'V2.StartConversation');

describe('the bridge on StartConversation', () => {
  test('one stream for the whole call: five turns, replies streamed back as μ-law, the goodbye hangs up', async () => {
    const before = { e: conversations(E).length, utterances: sys.lex[E]!.stats()['V2.RecognizeUtterance'] ?? 0 };
    const call = newCall();
    await call.connect();
    // Silence in real time: Lex's VAD ends the utterance (600 ms) before the bridge's (700 ms) does. The caller
    // then thinks for longer than the answer timeout: Lex has answered, so nothing is awaited, no failover.
    await call.sendAudio(ORDER!);
    await call.sendSilence(1000, 1);
    await untilTurns(call.callSid, 'turn 1', (t) => t.length >= 1);
    await new Promise((r) => setTimeout(r, ANSWER_MS + 500));
    await say(call, ROSES!, 2);
    await say(call, TOMORROW!, 3);
    await say(call, TEN!, 4);
    await say(call, YES!, 5);
    await call.waitFor('hang-up', () => actions.some((a) => a.callSid === call.callSid), 8000);
    const turns = await turnsOf(call.callSid);
    expect(turns.map((t) => t.transcript)).toEqual(manifest.utterances.map((u) => u.transcript));
    expect(turns.every((t) => t.region === E && t.failovers === 0)).toBe(true);
    expect(turns[0]!.reply).toBe('What type of flowers would you like to order?');
    expect(turns[4]).toMatchObject({ closed: true });
    expect(conversations(E).length).toBe(before.e + 1);
    expect(conversations(E).at(-1)).toMatchObject({ conversationMode: 'AUDIO', sessionId: call.callSid });
    expect(sys.lex[E]!.stats()['V2.RecognizeUtterance'] ?? 0).toBe(before.utterances);
    // The replies: whole 160-byte μ-law frames of real audio, each response ended by a mark.
    const media = call.received.flatMap((m) => (m.event === 'media' ? [Buffer.from(m.media.payload, 'base64')] : []));
    expect(media.length).toBeGreaterThan(50);
    expect(media.every((f) => f.length === 160)).toBe(true);
    expect(mulaw.decode(Buffer.concat(media)).reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeGreaterThan(1000);
    expect(call.marks().length).toBeGreaterThanOrEqual(5);
  });

  test('a slow fulfillment: the caller hears the start response, then an update every 5 s, then the result', async () => {
    // 12.5 s of injected delay on top of the local order back end's 1.5 s of wall-clock time (12 s of bot time).
    sys.lex[E]!.setFulfillmentDelay('OrderFlowers', 12_500);
    const call = newCall();
    await call.connect();
    for (const [i, clip] of [ORDER, ROSES, TOMORROW, TEN].entries()) await say(call, clip!, i + 1);
    const marksBefore = call.marks().length;
    await call.sendAudio(YES!);
    await call.sendSilence(1000);
    await untilTurns(call.callSid, 'the result of the order', (t) => t.length >= 5);
    await call.waitFor('hang-up', () => actions.some((a) => a.callSid === call.callSid), 8000);
    const last = (await turnsOf(call.callSid)).at(-1)!;
    const heard = last.heard!;
    const kinds = heard.map((h) => (START.includes(h.text) ? 'start' : UPDATE.includes(h.text) ? 'update' : 'other'));
    // start, update × (at least 2), then the post-fulfillment response.
    expect(kinds[0]).toBe('start');
    expect(kinds.slice(1, -1).every((k) => k === 'update')).toBe(true);
    expect(kinds.length).toBeGreaterThanOrEqual(4);
    expect(kinds.at(-1)).toBe('other');
    expect(last.reply).toMatch(/order/i);
    // Bot time between them (the wall clock runs 8× slower): the first update 5 s after the start, then every 5 s.
    // Heard at the caller, through the bridge and the whole suite's load: 2 s of bot time (250 ms of wall clock) either
    // way, still far from a 2.5 s or a 7.5 s cadence (the region's own timing is checked to 600 ms in local-lex-stream).
    const gaps = heard.slice(0, -1).map((h, i, all) => (i === 0 ? 0 : (h.atMs - all[i - 1]!.atMs) * SCALE));
    for (const g of gaps.slice(1)) expect(Math.abs(g - 5000)).toBeLessThan(2000);
    // Each progress response reached the caller as audio too: one mark per response.
    expect(call.marks().length - marksBefore).toBeGreaterThanOrEqual(kinds.length);
  });

  // `down`: the stream ends with an exception event; `hang`: it stalls (no answer, not even a heartbeat).
  test.each(['down', 'hang'] as const)(
    'a fault mid-stream (%s): the stream reopens in the other region and the dialog goes on',
    async (mode) => {
      const before = conversations(W).length;
      const call = newCall();
      await call.connect();
      await say(call, ORDER!, 1);
      await say(call, ROSES!, 2);
      sys.lex[E]!.setFault({ mode });
      await say(call, TOMORROW!, 3);
      await say(call, TEN!, 4);
      const turns = await turnsOf(call.callSid);
      expect(turns.map((t) => t.region)).toEqual([E, E, W, W]);
      expect(turns[2]!.failovers).toBe(1);
      // The other region got the dialog's state and the unanswered audio: it asked for the time next.
      expect(turns[2]!.transcript).toBe('tomorrow');
      expect(turns[2]!.reply).toMatch(/time/i);
      const reopened = conversations(W)
        .slice(before)
        .find((r) => r.sessionId === call.callSid);
      expect(reopened).toMatchObject({ conversationMode: 'AUDIO', withSessionState: true });
      call.stop();
    },
  );
});
