/**
 * Replays a recorded call against the running local system (`npm start -- --twilio`), as Twilio would:
 *
 *   npx tsx twilio/replay.ts --call test/fixtures/audio/order-roses.json [--speed 10] [--endpoints .lexdr/local.json]
 *
 * Registers the recordings with the local Lex regions' test-only recogniser, signs the webhook and the
 * WebSocket upgrade with the local auth token, streams each utterance's μ-law frames (faster than real
 * time), echoes marks like a phone playing the reply, and prints each turn, the outcome, and (when the bridge
 * talks StartConversation, as `npm start -- --twilio` does) everything the caller heard with its time: prompts,
 * the fulfillment start and update responses while fulfillment runs, and the result. To hear a slow
 * fulfillment: `curl -X PUT <lex url>/_lexdr/fulfillment -d '{"intent":"OrderFlowers","delayMs":12000}'`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LOCAL_TWILIO_TOKEN } from '../local/twilio';
import { randomSid, SimulatedCall } from './simulated-call';

const callFileSchema = z.object({
  description: z.string().optional(),
  utterances: z.array(z.object({ file: z.string().min(1), transcript: z.string().min(1) })).min(1),
  silenceMs: z.number().int().min(0).default(1000),
});

interface Turn {
  n: number;
  input: string;
  transcript: string;
  reply: string;
  region: string;
  failovers: number;
  latencyMs: number;
  /** StartConversation: what the caller heard during the turn, ms since the call started. */
  heard?: { atMs: number; text: string }[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      call: { type: 'string' },
      endpoints: { type: 'string', default: join(process.cwd(), '.lexdr', 'local.json') },
      speed: { type: 'string', default: '10' },
    },
  });
  if (!values.call) throw new Error('--call <file.json> is required (e.g. test/fixtures/audio/order-roses.json)');
  const speed = Number(values.speed);
  if (!(speed > 0)) throw new Error(`--speed "${values.speed}": must be a positive number (10 = ten times real time)`);
  const callPath = resolve(values.call);
  const call = callFileSchema.parse(JSON.parse(readFileSync(callPath, 'utf8')));
  const endpoints = JSON.parse(readFileSync(values.endpoints!, 'utf8')) as {
    twilio?: string;
    lex: Record<string, string>;
  };
  if (!endpoints.twilio)
    throw new Error(`${values.endpoints} has no "twilio" endpoint: start with npm start -- --twilio`);
  const audio = call.utterances.map((u) => readFileSync(join(dirname(callPath), u.file)));

  // Test-only recognition: the local Lex regions learn what each recording says.
  for (const url of Object.values(endpoints.lex))
    for (const [i, u] of call.utterances.entries()) {
      const res = await fetch(`${url}/_lexdr/speech`, {
        method: 'PUT',
        body: JSON.stringify({ transcript: u.transcript, ulaw: audio[i]!.toString('base64') }),
      });
      if (!res.ok) throw new Error(`registering ${u.file} with ${url}: ${res.status} ${await res.text()}`);
    }

  const base = endpoints.twilio;
  const callSid = randomSid('CA');
  const streamUrl = base.replace(/^http/, 'ws') + '/media';
  const sim = new SimulatedCall({ wsUrl: streamUrl, publicWsUrl: streamUrl, authToken: LOCAL_TWILIO_TOKEN, callSid });
  // The webhook first (as Twilio does): its TwiML opens the stream and carries the stream token.
  await sim.connect({ From: '+15555550111', To: '+15555550122' });
  console.log(`call ${callSid}: TwiML opens ${/<Stream url="([^"]+)"/.exec(sim.twiml)?.[1] ?? '?'}`);
  const pace = 1 / speed;
  const turns = async () =>
    (
      (await (await fetch(`${base}/_local/turns?callSid=${callSid}`)).json()) as { outcome: string; turns: Turn[] }[]
    )[0];
  let shown = 0;
  for (const [i, clip] of audio.entries()) {
    if (sim.closed) break;
    const marks = sim.marks().length;
    await sim.sendAudio(clip, pace);
    await sim.sendSilence(call.silenceMs, pace);
    await sim
      .waitFor(`the reply to ${call.utterances[i]!.file}`, () => sim.marks().length > marks || sim.closed, 15_000)
      .catch((e: Error) => console.log(`  ! ${e.message}`));
    for (const t of ((await turns())?.turns ?? []).slice(shown)) {
      console.log(
        `turn ${t.n} [${t.region}${t.failovers ? `, after ${t.failovers} failed region(s)` : ''}, ${t.latencyMs} ms] caller: "${t.transcript}" → Lex: "${t.reply}"`,
      );
      shown = t.n;
    }
  }
  // A slow fulfillment (up to its timeout) keeps the call going after the last utterance.
  await sim.waitFor('the end of the call', () => sim.closed, 60_000).catch(() => undefined);
  const final = await turns();
  for (const t of (final?.turns ?? []).slice(shown))
    console.log(`turn ${t.n} [${t.region}, ${t.latencyMs} ms] caller: "${t.transcript}" → Lex: "${t.reply}"`);
  const heard = (final?.turns ?? []).flatMap((t) => (t.heard ?? []).map((h) => ({ ...h, region: t.region })));
  if (heard.length > 0) {
    console.log('what the caller heard (seconds since the call started):');
    for (const h of heard) console.log(`  ${(h.atMs / 1000).toFixed(1).padStart(6)} s  [${h.region}] ${h.text}`);
  }
  console.log(`outcome: ${final?.outcome ?? 'unknown'} after ${final?.turns.length ?? 0} turn(s)`);
  if (!sim.closed) sim.stop();
  process.exit(0);
}

main().catch((err: Error) => {
  console.error(`replay: ${err.message}`);
  process.exit(1);
});
