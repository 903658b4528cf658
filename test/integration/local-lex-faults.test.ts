/**
 * Fault injection on the local Lex regions, seen through the real SDK v3 clients (V2 and V1): each mode
 * gives the error the real service gives, hang gives the client's TimeoutError, nospeech fails only speech
 * recognition, and the HTTP fault endpoint drives the same switch. Two regions show per-region bot IDs and
 * per-region faults.
 */
import type { LexRuntimeV2Client } from '@aws-sdk/client-lex-runtime-v2';
import {
  DeleteSessionCommand,
  GetSessionCommand,
  PutSessionCommand,
  RecognizeTextCommand,
  RecognizeUtteranceCommand,
} from '@aws-sdk/client-lex-runtime-v2';
import type { LexRuntimeServiceClient } from '@aws-sdk/client-lex-runtime-service';
import { PostContentCommand, PostTextCommand } from '@aws-sdk/client-lex-runtime-service';
import { orderFlowers } from '../../bot/order-flowers';
import { PROBE_RECORDING } from '../../core/probe-recording';
import { SPEECH_REQUEST_CONTENT_TYPE, probeRecordingLpcm, speechRequest } from '../../core/speech-probe';
import type { FaultMode, LocalBot, LocalLexRegion } from '../../local/lex';
import { decodeLexHeader, localBotIds, startLocalLexRegion } from '../../local/lex';
import { lexV1Client, lexV2Client } from './local-lex-fixture';

const definition = orderFlowers();
const bot = (region: string): LocalBot => ({
  definition,
  ...localBotIds(region, 'OrderFlowers'),
  botName: 'OrderFlowers',
  botAlias: 'live',
});

const v2 = (r: LocalLexRegion, requestTimeout = 2000) => lexV2Client(r, requestTimeout);
const v1 = (r: LocalLexRegion, requestTimeout = 2000) => lexV1Client(r, requestTimeout);

let east: LocalLexRegion;
let west: LocalLexRegion;
let eastV2: LexRuntimeV2Client;
let eastV1: LexRuntimeServiceClient;

beforeAll(async () => {
  [east, west] = await Promise.all([
    startLocalLexRegion({ region: 'us-east-1', bots: [bot('us-east-1')], random: () => 0 }),
    startLocalLexRegion({ region: 'us-west-2', bots: [bot('us-west-2')], random: () => 0 }),
  ]);
  eastV2 = v2(east);
  eastV1 = v1(east);
});

afterEach(() => east.setFault({ mode: 'none' }));

afterAll(async () => {
  eastV2.destroy();
  eastV1.destroy();
  await Promise.all([east.close(), west.close()]);
});

let n = 0;
const session = (region = 'us-east-1') => ({
  ...localBotIds(region, 'OrderFlowers'),
  localeId: 'en_US',
  sessionId: `s-${++n}`,
});
const recognize = (c: LexRuntimeV2Client, text = 'I would like to order some flowers', region = 'us-east-1') =>
  c.send(new RecognizeTextCommand({ ...session(region), text }));
const postText = (c: LexRuntimeServiceClient, inputText = 'I would like to order some flowers') =>
  c.send(new PostTextCommand({ botName: 'OrderFlowers', botAlias: 'live', userId: `user-${++n}`, inputText }));

/** RecognizeUtterance with the speech probe's shipped recording (8 kHz PCM), a text reply. */
const utterance = (c: LexRuntimeV2Client, region = 'us-east-1') =>
  c.send(new RecognizeUtteranceCommand(speechRequest(session(region))));
/** V1 PostContent with the same audio (the local regions serve no PostContent: only faults answer it). */
const postContent = (c: LexRuntimeServiceClient) =>
  c.send(
    new PostContentCommand({
      botName: 'OrderFlowers',
      botAlias: 'live',
      userId: `user-${++n}`,
      contentType: SPEECH_REQUEST_CONTENT_TYPE,
      inputStream: probeRecordingLpcm(),
    }),
  );

/** Waits (with a deadline) until the region has counted `count` requests of `operation`. */
async function untilCounted(r: LocalLexRegion, operation: string, count: number): Promise<void> {
  const deadline = Date.now() + 2000;
  while ((r.stats()[operation] ?? 0) < count) {
    if (Date.now() > deadline) throw new Error(`${operation} never reached ${count} requests`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('fault modes through the SDK clients', () => {
  it.each<[FaultMode, string, number, string]>([
    ['down', 'InternalServerException', 500, 'InternalFailureException'],
    ['throttled', 'ThrottlingException', 429, 'LimitExceededException'],
    ['notfound', 'ResourceNotFoundException', 404, 'NotFoundException'],
  ])('%s: V2 %s (%i), V1 %s', async (mode, v2Name, status, v1Name) => {
    east.setFault({ mode });
    await expect(recognize(eastV2)).rejects.toMatchObject({ name: v2Name, $metadata: { httpStatusCode: status } });
    await expect(eastV2.send(new GetSessionCommand(session()))).rejects.toMatchObject({ name: v2Name });
    await expect(postText(eastV1)).rejects.toMatchObject({ name: v1Name, $metadata: { httpStatusCode: status } });
  });

  it('hang: the client gives up with TimeoutError', async () => {
    east.setFault({ mode: 'hang' });
    const impatient = v2(east, 150);
    const impatientV1 = v1(east, 150);
    await expect(recognize(impatient)).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(postText(impatientV1)).rejects.toMatchObject({ name: 'TimeoutError' });
    impatient.destroy();
    impatientV1.destroy();
  });

  it('hang: a parked request is answered once the fault is cleared', async () => {
    east.setFault({ mode: 'hang' });
    const before = east.stats()['V2.RecognizeText'] ?? 0;
    const pending = recognize(eastV2);
    await untilCounted(east, 'V2.RecognizeText', before + 1);
    east.setFault({ mode: 'none' });
    const r = await pending;
    expect(r.interpretations?.[0]?.intent?.name).toBe('OrderFlowers');
  });

  it('hang: close() ends parked requests and does not wait for them', async () => {
    const r = await startLocalLexRegion({ region: 'eu-west-2', bots: [bot('eu-west-2')] });
    r.setFault({ mode: 'hang' });
    const c = v2(r, 5000);
    const pending = recognize(c, 'I would like to order some flowers', 'eu-west-2');
    const outcome = pending.then(
      () => 'answered',
      (e: Error) => e.name,
    );
    await untilCounted(r, 'V2.RecognizeText', 1);
    const started = Date.now();
    await r.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await outcome).not.toBe('answered');
    c.destroy();
  });

  it('slow: answers normally after latencyMs', async () => {
    east.setFault({ mode: 'slow', latencyMs: 150 });
    const started = Date.now();
    const r = await recognize(eastV2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(r.sessionState?.dialogAction?.slotToElicit).toBe('FlowerType');
  });

  it('wrongintent: the NLU answers FallbackIntent while the session APIs still work', async () => {
    east.setFault({ mode: 'wrongintent' });
    const r = await recognize(eastV2);
    expect(r.interpretations?.[0]?.intent?.name).toBe('FallbackIntent');
    expect(r.sessionState?.intent?.name).toBe('FallbackIntent');
    const v1r = await postText(eastV1);
    expect(v1r.intentName).toBe('FallbackIntent');
    const s = session();
    const put = await eastV2.send(
      new PutSessionCommand({ ...s, sessionState: { dialogAction: { type: 'ElicitIntent' } } }),
    );
    expect(put.sessionId).toBe(s.sessionId);
    await expect(eastV2.send(new GetSessionCommand(s))).resolves.toMatchObject({ sessionId: s.sessionId });
  });

  it('nospeech: RecognizeUtterance (500 InternalServerException) and V1 PostContent (500 InternalFailureException) fail', async () => {
    east.setFault({ mode: 'nospeech' });
    await expect(utterance(eastV2)).rejects.toMatchObject({
      name: 'InternalServerException',
      $metadata: { httpStatusCode: 500 },
    });
    await expect(postContent(eastV1)).rejects.toMatchObject({
      name: 'InternalFailureException',
      $metadata: { httpStatusCode: 500 },
    });
    // Cleared, the same recording is recognised again.
    east.setFault({ mode: 'none' });
    const heard = await utterance(eastV2);
    expect(decodeLexHeader(heard.inputTranscript!)).toBe(PROBE_RECORDING.transcript);
    expect((decodeLexHeader(heard.sessionState!) as { intent: { name: string } }).intent.name).toBe('OrderFlowers');
  });

  it('nospeech: the text and session APIs, V2 and V1, answer as normal', async () => {
    east.setFault({ mode: 'nospeech' });
    const r = await recognize(eastV2);
    expect(r.interpretations?.[0]?.intent?.name).toBe('OrderFlowers');
    expect(r.sessionState?.dialogAction?.slotToElicit).toBe('FlowerType');
    expect((await postText(eastV1)).intentName).toBe('OrderFlowers');
    const s = session();
    await eastV2.send(new PutSessionCommand({ ...s, sessionState: { dialogAction: { type: 'ElicitIntent' } } }));
    await expect(eastV2.send(new GetSessionCommand(s))).resolves.toMatchObject({ sessionId: s.sessionId });
    await expect(eastV2.send(new DeleteSessionCommand(s))).resolves.toMatchObject({ sessionId: s.sessionId });
    // The other region's speech is unaffected.
    const westV2 = v2(west);
    const heard = await utterance(westV2, 'us-west-2');
    expect(decodeLexHeader(heard.inputTranscript!)).toBe(PROBE_RECORDING.transcript);
    westV2.destroy();
  });

  it('none: back to normal answers', async () => {
    east.setFault({ mode: 'throttled' });
    east.setFault({ mode: 'none' });
    await expect(recognize(eastV2)).resolves.toMatchObject({ sessionState: { intent: { name: 'OrderFlowers' } } });
  });
});

describe('the HTTP fault endpoint', () => {
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${east.url}${path}`, {
      method,
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  it('sets and reads the fault, and the SDK sees it', async () => {
    const put = await call('PUT', '/_lexdr/fault', { mode: 'throttled' });
    expect(put.status).toBe(200);
    expect(east.fault()).toEqual({ mode: 'throttled' });
    expect(await (await call('GET', '/_lexdr/fault')).json()).toEqual({ mode: 'throttled' });
    await expect(recognize(eastV2)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect((await call('PUT', '/_lexdr/fault', { mode: 'slow', latencyMs: 20 })).status).toBe(200);
    expect(east.fault()).toEqual({ mode: 'slow', latencyMs: 20 });
  });

  it('sets nospeech: text answers, speech fails', async () => {
    expect((await call('PUT', '/_lexdr/fault', { mode: 'nospeech' })).status).toBe(200);
    expect(east.fault()).toEqual({ mode: 'nospeech' });
    await expect(recognize(eastV2)).resolves.toMatchObject({ sessionState: { intent: { name: 'OrderFlowers' } } });
    await expect(utterance(eastV2)).rejects.toMatchObject({ name: 'InternalServerException' });
  });

  it.each([
    [{ mode: 'broken' }, /mode: got "broken"; mode must be one of none, down, throttled.*wrongintent, nospeech/],
    [{ mode: 'slow', latencyMs: -5 }, /latencyMs: got -5; latencyMs must be 0–600000/],
    ['not json', /body must be JSON/],
  ])('rejects %j with 400 and a clear message', async (body, message) => {
    const res = await call('PUT', '/_lexdr/fault', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
    expect(east.fault()).toEqual({ mode: 'none' });
  });

  it('answers health and per-operation stats', async () => {
    const health = await call('GET', '/_lexdr/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', region: 'us-east-1' });
    const before = ((await (await call('GET', '/_lexdr/stats')).json()) as Record<string, number>)['V1.PostText'] ?? 0;
    await postText(eastV1);
    const after = (await (await call('GET', '/_lexdr/stats')).json()) as Record<string, number>;
    expect(after['V1.PostText']).toBe(before + 1);
  });
});

describe('two regions', () => {
  it('have different bot IDs, each unknown to the other region', async () => {
    const eastIds = localBotIds('us-east-1', 'OrderFlowers');
    const westIds = localBotIds('us-west-2', 'OrderFlowers');
    expect(eastIds.botId).toMatch(/^[0-9A-Z]{10}$/);
    expect(westIds.botId).not.toBe(eastIds.botId);
    expect(localBotIds('us-east-1', 'OrderFlowers')).toEqual(eastIds);
    const westClient = v2(west);
    await expect(recognize(westClient, 'order flowers', 'us-west-2')).resolves.toBeDefined();
    await expect(recognize(westClient, 'order flowers', 'us-east-1')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    westClient.destroy();
  });

  it('fail independently', async () => {
    east.setFault({ mode: 'down' });
    const westClient = v2(west);
    await expect(recognize(eastV2)).rejects.toMatchObject({ name: 'InternalServerException' });
    await expect(recognize(westClient, 'order flowers', 'us-west-2')).resolves.toMatchObject({
      interpretations: expect.arrayContaining([
        expect.objectContaining({ intent: expect.objectContaining({ name: 'OrderFlowers' }) }),
      ]),
    });
    westClient.destroy();
  });
});
