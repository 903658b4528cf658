/**
 * The Twilio bridge end to end on this machine: a simulated Twilio call (real `ws` client, Twilio's frame
 * format, faster than real time, recorded μ-law utterances) → the bridge (real VAD, real Lex V2 client,
 * the real lookup over the local DynamoDB) → the local Lex regions' RecognizeUtterance; Twilio's REST API is
 * a recording fake behind the real twilio client.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import twilio from 'twilio';
import Response from 'twilio/lib/http/response';
import { mulaw } from 'alawmulaw';
import { LOCAL_CREDENTIALS } from '../../local/http';
import type { LocalSystem } from '../../local/system';
import type { Bridge } from '../../twilio/bridge';
import { startBridge, twilioCallControl } from '../../twilio/bridge';
import type { BridgeReport } from '../../twilio/caller-report';
import { localBridgeConfig } from '../../local/twilio';
import { publicWsUrl } from '../../twilio/server';
import { postTwiml, SimulatedCall } from '../../twilio/simulated-call';
import { FAST, startFast } from './system-fixture';

const AUDIO = join(__dirname, '..', 'fixtures', 'audio');
const manifest = JSON.parse(readFileSync(join(AUDIO, 'order-roses.json'), 'utf8')) as {
  utterances: { file: string; transcript: string }[];
};
const clip = (file: string) => readFileSync(join(AUDIO, file));
const [ORDER, ROSES, TOMORROW, TEN, YES] = manifest.utterances.map((u) => clip(u.file));

const TOKEN = 'local-twilio-token';
const ACCOUNT = 'AC' + '1'.repeat(32);
const PUBLIC = 'https://voice.example.com';
const HUMAN = '+15555550100';

/** Twilio's REST API as the twilio client sees it: every request recorded, 200 with a call resource. */
const restCalls: { method: string; uri: string; data: Record<string, string> }[] = [];
const fakeHttp = {
  request: async (opts: { method: string; uri: string; data?: Record<string, string> }) => {
    restCalls.push({ method: opts.method, uri: opts.uri, data: opts.data ?? {} });
    return new Response(200, { sid: opts.uri.split('/').pop()?.replace('.json', ''), status: 'completed' }, {});
  },
};

let sys: LocalSystem;
let bridge: Bridge;
/** What the bridge reported to lexdr's report function (callers' failed Lex calls). */
const reports: BridgeReport[] = [];
let dynamo: DynamoDBClient;

async function setLexRegion(lexRegion: string) {
  await sys.dynamo.client.send(
    new PutItemCommand({
      TableName: sys.config.tableName,
      Item: { connectRegion: { S: sys.config.connectRegion }, lexRegion: { S: lexRegion } },
    }),
  );
}

const utterances = () =>
  Object.values(sys.lex).flatMap((l) =>
    l
      .requests()
      .filter((r) => r.operation === 'V2.RecognizeUtterance')
      .map((r) => ({ ...r, region: l.region })),
  );

function newCall(o: Partial<ConstructorParameters<typeof SimulatedCall>[0]> = {}) {
  return new SimulatedCall({
    wsUrl: bridge.url.replace('http', 'ws') + '/media',
    publicWsUrl: publicWsUrl(PUBLIC),
    authToken: TOKEN,
    ...o,
  });
}

/** Sends one utterance followed by enough silence to end it, then waits for the n-th mark. */
async function say(call: SimulatedCall, audio: Buffer, expectMarks: number) {
  await call.sendAudio(audio);
  await call.sendSilence(1000);
  await call.waitFor(`reply mark #${expectMarks}`, () => call.marks().length >= expectMarks);
}

/** The μ-law media frames received between two marks (or from the start). */
function replyFrames(call: SimulatedCall, markIndex: number): Buffer[] {
  const out: Buffer[][] = [[]];
  for (const m of call.received) {
    if (m.event === 'media') out.at(-1)!.push(Buffer.from(m.media.payload, 'base64'));
    if (m.event === 'mark') out.push([]);
  }
  return out[markIndex] ?? [];
}

beforeAll(async () => {
  sys = await startFast({ ...FAST, lookupCacheSeconds: 0 });
  for (const l of Object.values(sys.lex))
    for (const u of manifest.utterances) l.speechTemplates.register(mulaw.decode(clip(u.file)), 8000, u.transcript);
  dynamo = new DynamoDBClient({ endpoint: sys.dynamo.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const cfg = localBridgeConfig(sys, {
    publicBaseUrl: PUBLIC,
    accountSid: ACCOUNT,
    authToken: TOKEN,
    humanNumber: HUMAN,
    apologyText: 'Sorry, connecting you to an agent.',
    lexTimeoutMs: 2000,
    drainDeadlineMs: 1000,
  });
  bridge = await startBridge(cfg, {
    dynamodb: dynamo,
    credentials: LOCAL_CREDENTIALS,
    callControl: twilioCallControl(twilio(ACCOUNT, TOKEN, { httpClient: fakeHttp as never })),
    dtmfFlushMs: 200,
    reporter: async (r) => void reports.push(r),
  });
});

afterAll(async () => {
  await bridge?.close();
  dynamo?.destroy();
  await sys?.close();
});

beforeEach(async () => {
  restCalls.length = 0;
  reports.length = 0;
  for (const l of Object.values(sys.lex)) l.setFault({ mode: 'none' });
  await setLexRegion('us-east-1');
});

describe('signatures', () => {
  test('the webhook answers a bidirectional stream with the call data as parameters, only when signed', async () => {
    const params = { CallSid: 'CA' + 'a'.repeat(32), From: '+15555550111', To: '+15555550122', AccountSid: ACCOUNT };
    const url = `${bridge.url}/twiml`;
    const bad = await postTwiml({ url, publicUrl: `${PUBLIC}/twiml`, authToken: 'wrong-token', params });
    expect(bad.status).toBe(403);
    // Signed over the Host it was sent to (not the public URL): rejected too.
    const hostSigned = await postTwiml({ url, publicUrl: url, authToken: TOKEN, params });
    expect(hostSigned.status).toBe(403);

    const ok = await postTwiml({ url, publicUrl: `${PUBLIC}/twiml`, authToken: TOKEN, params });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<Connect><Stream url="wss://voice.example.com/media">');
    expect(ok.body).toContain(`<Parameter name="CallSid" value="${params.CallSid}"/>`);
    expect(ok.body).toContain('<Parameter name="From" value="+15555550111"/>');
    expect(ok.body).toContain('<Parameter name="To" value="+15555550122"/>');
  });

  test('a media stream upgrade with a bad signature is refused with 403', async () => {
    await expect(newCall({ signature: 'bm90IGEgc2lnbmF0dXJl' }).connect()).rejects.toMatchObject({ status: 403 });
    await expect(newCall({ authToken: 'wrong-token' }).connect()).rejects.toMatchObject({ status: 403 });
  });
});

describe('a call', () => {
  test('each utterance is one RecognizeUtterance; a region fault mid-call keeps the dialog; the goodbye hangs up', async () => {
    const call = newCall();
    await call.connect({ From: '+15555550111' });
    const before = utterances().length;

    await say(call, ORDER!, 1);
    await say(call, ROSES!, 2);
    // Turn 1 and 2 in us-east-1; now it fails (the health check has not noticed yet: lexDR still says us-east-1).
    sys.lex['us-east-1']!.setFault({ mode: 'down' });
    await say(call, TOMORROW!, 3);
    await say(call, TEN!, 4);
    await say(call, YES!, 5);
    await call.waitFor('hang-up', () => restCalls.length > 0, 15_000);

    const turns = utterances()
      .slice(before)
      .filter((r) => r.sessionId === call.callSid);
    // One request per utterance; the faulted turn is tried in us-east-1, then at once in us-west-2, and the
    // bridge avoids us-east-1 for the rest of the call (cooldown) instead of paying the failure every turn.
    expect(turns.map((t) => `${t.region}:${t.transcript ?? '(failed)'}`)).toEqual([
      'us-east-1:I would like to order some flowers',
      'us-east-1:roses please',
      'us-east-1:(failed)',
      'us-west-2:tomorrow',
      'us-west-2:at 10 am',
      'us-west-2:yes',
    ]);
    for (const t of turns) {
      expect(t.contentType).toBe(
        'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false',
      );
      expect(t.sessionId).toBe(call.callSid);
    }
    // The caller met the failed region once: reported once, as the contact flow would report a Connect caller.
    expect(reports).toEqual([
      { source: 'twilio-bridge', callSid: call.callSid, bot: 'OrderFlowers', lexRegion: 'us-east-1', kind: 'error' },
    ]);
    // The failed-over turn carried the dialog: us-west-2 got the session state, and answered with the next slot.
    expect(turns[3]!.withSessionState).toBe(true);
    const res = await fetch(`${bridge.url}/_local/turns?callSid=${call.callSid}`);
    const [seen] = (await res.json()) as {
      outcome: string;
      turns: { reply: string; region: string; failovers: number }[];
    }[];
    expect(seen!.turns[2]).toMatchObject({ region: 'us-west-2', failovers: 1 });
    expect(seen!.turns[2]!.reply).toMatch(/time/i);
    expect(seen!.turns[1]!.reply).toMatch(/day/i);
    expect(seen!.outcome).toBe('hung-up');

    // Reply audio: 160-byte μ-law frames that decode to non-silent audio, each reply followed by a mark.
    const frames = replyFrames(call, 0);
    expect(frames.length).toBeGreaterThan(10);
    expect(frames.every((f) => f.length === 160)).toBe(true);
    const pcm = mulaw.decode(Buffer.concat(frames));
    const peak = pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(1000);
    expect(call.marks()).toHaveLength(5);

    // The hang-up: after the goodbye's mark came back, Calls(sid).update(Status=completed).
    expect(restCalls).toEqual([
      expect.objectContaining({
        method: 'post',
        uri: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Calls/${call.callSid}.json`,
        data: { Status: 'completed' },
      }),
    ]);
  }, 25_000);

  test('caller speech while a reply is playing clears it (barge-in)', async () => {
    const call = newCall({ autoEchoMarks: false });
    await call.connect();
    await say(call, ORDER!, 1);
    expect(call.received.some((m) => m.event === 'clear')).toBe(false);
    // The reply's mark was not echoed: it is still playing. The caller talks over it.
    await call.sendAudio(ROSES!);
    await call.waitFor('clear', () => call.received.some((m) => m.event === 'clear'));
    const clearAt = call.received.findIndex((m) => m.event === 'clear');
    expect(call.received.slice(0, clearAt).filter((m) => m.event === 'mark')).toHaveLength(1);
    await call.sendSilence(1000);
    await call.waitFor('second reply', () => call.marks().length >= 2);
    call.stop();
  });

  test('DTMF digits go to Lex as text with RecognizeText in the same session', async () => {
    const call = newCall();
    await call.connect();
    await say(call, ORDER!, 1);
    call.sendDtmf('4');
    call.sendDtmf('2');
    call.sendDtmf('#');
    await call.waitFor('DTMF reply', () => call.marks().length >= 2);
    const texts = Object.values(sys.lex)
      .flatMap((l) => l.requests())
      .filter((r) => r.operation === 'V2.RecognizeText' && r.sessionId === call.callSid);
    expect(texts).toEqual([expect.objectContaining({ text: '42', sessionId: call.callSid })]);
    call.stop();
  });

  test('"err" in lexDR: an apology and a <Dial> to the human number, by updating the call', async () => {
    await setLexRegion('err');
    const call = newCall();
    await call.connect();
    const before = utterances().length;
    await call.sendAudio(ORDER!);
    await call.sendSilence(1000);
    await call.waitFor('transfer', () => restCalls.length > 0);
    expect(utterances().length).toBe(before);
    const twiml = restCalls[0]!.data.Twiml ?? '';
    expect(restCalls[0]!.uri).toContain(`/Calls/${call.callSid}.json`);
    expect(twiml).toContain('<Say>Sorry, connecting you to an agent.</Say>');
    expect(twiml).toContain(`<Dial>${HUMAN}</Dial>`);
    await call.waitFor('socket closed', () => call.closed);
  });
});

describe('settings', () => {
  test('the bridge reads its settings from the DR table: without its settings item, or its bot, it does not start', async () => {
    // This file's bridge was given the table and the Connect region only: the calls above ran on the settings item.
    const cfg = localBridgeConfig(sys, { publicBaseUrl: PUBLIC, authToken: TOKEN });
    const deps = { dynamodb: dynamo, credentials: LOCAL_CREDENTIALS };
    await expect(startBridge({ ...cfg, connectRegion: 'eu-west-1' }, deps)).rejects.toThrow(
      `cannot read the bridge's settings (item "eu-west-1#settings" of ${sys.config.tableName}): SettingsError: no settings item "eu-west-1#settings"`,
    );
    await expect(startBridge({ ...cfg, botName: 'Pizza' }, deps)).rejects.toThrow(
      /LEXDR_BOT: got "Pizza"; must be one of OrderFlowers/,
    );
  });
});
