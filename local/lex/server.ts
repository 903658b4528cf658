/**
 * One local Lex region: an HTTP/1.1 (and HTTP/2) server that speaks the Lex V2 and Lex V1 runtime REST protocols
 * well enough for the real AWS SDK clients, with per-region fault injection and request counters.
 *
 * Admin endpoints (same server): `GET|PUT /_lexdr/fault`, `GET /_lexdr/health`, `GET /_lexdr/stats`,
 * `GET /_lexdr/sessions` (sessions held: expired ones are swept),
 * `GET /_lexdr/progress[?sessionId=]`, `GET /_lexdr/requests`, and the test-only speech registry
 * `PUT /_lexdr/speech` (`{"transcript": "...", "ulaw": "<base64 8 kHz μ-law>"}`), and the per-intent
 * fulfillment delay `GET|PUT /_lexdr/fulfillment` (`{"intent": "OrderFlowers", "delayMs": 12000}`; `null` clears).
 * StartConversation (HTTP/2, prior knowledge) is served on the same port: see `conversation-server.ts`.
 *
 * The parts: the fault state (`faults.ts`), the control API (`admin.ts`), the request handling and the
 * runtime routes (`routing.ts`), the request counters and log (`request-log.ts`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBE_RECORDING, probeRecordingPcm } from '../../core/probe-recording';
import { guardServer } from '../http';
import { adminApi } from './admin';
import { fulfillmentDelays, realTimer, scaledTimer } from './clock';
import { ConversationServer } from './conversation-server';
import { DialogEngine } from './dialog';
import { listenBoth } from './dual-listener';
import { RegionFaults } from './faults';
import type { RegionBot, RegionState } from './protocol';
import { RequestLog } from './request-log';
import { requestHandler, send } from './routing';
import type { ProgressEvent, Session } from './session';
import { SpeechTemplates, synthesizerFor } from './speech';
import type { Fault, LocalLexRegion, LocalLexRegionOptions } from './types';

/** Expired sessions are swept at most this often (region clock), besides being dropped when looked up. */
const SESSION_SWEEP_MS = 10_000;

/** Starts one local Lex region; resolves once it listens. */
export async function startLocalLexRegion(o: LocalLexRegionOptions): Promise<LocalLexRegion> {
  const timer = o.timer ?? (o.timeScale ? scaledTimer(o.timeScale) : realTimer);
  const delayed = o.fulfill && fulfillmentDelays(o.fulfill, timer);
  const log = o.log ?? (() => undefined);
  const random = o.random ?? Math.random;
  const faults = new RegionFaults(o.region);
  const requests = new RequestLog();

  const bots: RegionBot[] = o.bots.map((bot) => ({
    bot,
    engine: new DialogEngine({
      definition: bot.definition,
      bot: { botId: bot.botId, botAliasId: bot.botAliasId, botName: bot.botName, botAlias: bot.botAlias },
      ...(delayed && { fulfill: delayed.fulfill }),
      random,
      timer,
      log: (e) => log({ region: o.region, ...e }),
    }),
  }));
  const sessions = new Map<string, Session>();
  const templates = o.speech?.templates ?? new SpeechTemplates();
  // The speech probe's recording: every region understands it, as Lex understands the probe phrase spoken.
  templates.registerShipped(probeRecordingPcm(), PROBE_RECORDING.sampleRate, PROBE_RECORDING.transcript);
  const synthMode = o.speech?.synthesize ?? 'auto';
  log({ region: o.region, event: 'speech', synthesizer: synthesizerFor(synthMode) });
  const state: RegionState = {
    region: o.region,
    bots,
    sessions,
    now: () => timer.now(),
    nluBroken: () => faults.current.mode === 'wrongintent',
    speech: { templates, synthesize: synthMode },
  };

  const setFault = (f: Fault): Fault => {
    const fault = faults.set(f);
    log({ region: o.region, event: 'fault', ...fault });
    conversations.faultChanged(fault);
    return fault;
  };

  const progressOf = (sessionId?: string): ProgressEvent[] =>
    [...sessions.values()]
      .flatMap((s) => s.progress)
      .filter((p) => sessionId === undefined || p.sessionId === sessionId);

  /** Drops every session idle for longer than its bot's idle TTL (Lex forgets them too). */
  const maxTtlMs = Math.max(...bots.map((b) => b.bot.definition.bot.idleSessionTTLInSeconds * 1000));
  let lastSweep = state.now();
  const sweepSessions = (): void => {
    const now = state.now();
    if (now - lastSweep < SESSION_SWEEP_MS) return;
    lastSweep = now;
    for (const [key, s] of sessions) if (now - s.lastActiveAt > maxTtlMs) sessions.delete(key);
  };

  const handle = requestHandler({
    state,
    faults,
    requests,
    admin: adminApi({
      region: o.region,
      liveSessions: () => sessions.size,
      requests,
      progress: progressOf,
      templates,
      delayed,
      fault: () => faults.current,
      setFault,
    }),
    beforeRequest: sweepSessions,
    log,
  });
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log({ region: o.region, event: 'request-failed', error: String(err) });
      if (!res.headersSent)
        send(res, {
          status: 500,
          headers: { 'x-amzn-errortype': 'InternalServerException' },
          body: { message: 'internal error' },
        });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;
  // Host and Origin checks (a web page, or DNS rebinding, cannot reach the admin routes or the runtime).
  guardServer(server, { ...o.guard, needsToken: () => false });
  const conversations = new ConversationServer(
    {
      state,
      timer,
      fault: () => faults.current,
      record: (r) => requests.add(r),
      log: (e) => log(e),
      ...(o.heartbeatMs !== undefined && { heartbeatMs: o.heartbeatMs }),
      ...(o.vad && { vad: o.vad }),
    },
    server,
  );
  // One port for both: HTTP/1.1, and HTTP/2 with prior knowledge (StartConversation, the SDK's default handler).
  const listener = await listenBoth(server, conversations.h2, o.port ?? 0, o.host ?? '127.0.0.1');
  const address = listener.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    region: o.region,
    url: `http://${host}:${address.port}`,
    setFault: (f) => void setFault(f),
    fault: () => ({ ...faults.current }),
    stats: () => requests.stats(),
    requests: () => requests.entries().map((r) => ({ ...r })),
    speechTemplates: templates,
    progress: progressOf,
    setFulfillmentDelay: (intent, delayMs) => delayed?.set(intent, delayMs),
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (faults.closing) return resolve();
        faults.close();
        delayed?.close();
        conversations.close();
        listener.server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
        listener.destroyConnections();
      }),
  };
}
