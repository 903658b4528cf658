/**
 * Assembles the bridge: its settings from the DR table, the lexDR lookup, the Lex clients, Twilio's REST API and the
 * HTTP/WebSocket server.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import twilio from 'twilio';
import { drTable, drTableClient, drTableSettings } from '../core/dr-table';
import { lexClientFactory } from '../core/lex-clients';
import { createLookup } from '../core/lookup-core';
import type { Settings } from '../core/settings';
import { parseSettings, settingsItemKey } from '../core/settings';
import type { BridgeRouting } from './bridge-settings';
import { bridgeRouting } from './bridge-settings';
import type { CallControl } from './call-session';
import { CallSession } from './call-session';
import type { BridgeConfig } from './config';
import { LexConversation } from './lex-conversation';
import { LexStreamConversation } from './lex-stream-conversation';
import { BridgeMetrics } from './metrics';
import type { CallerReporter } from './caller-report';
import { lambdaReporter, reportInBackground } from './caller-report';
import { RegionCooldown } from './region-cooldown';
import type { BridgeServer } from './server';
import { startBridgeServer } from './server';

export interface BridgeDeps {
  /** Twilio call control. @default Twilio's REST API with the account SID and auth token */
  callControl?: CallControl;
  /**
   * The DR table's client, for the settings item and the lexDR item.
   * @default a client bounded for the bridge (`drTableClient('bridge')`; DYNAMODB_ENDPOINT when set)
   */
  dynamodb?: DynamoDBClient;
  /** Fixed AWS credentials (local regions). @default the SDK's provider chain (the ECS task role) */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  logger?: Logger;
  metrics?: BridgeMetrics;
  /** Digits are sent after `#` or this long after the last one. @default 1500 */
  dtmfFlushMs?: number;
  /** A signed stream that sent no valid `start` by then is closed. @default 10000 */
  streamStartDeadlineMs?: number;
  /** Signed streams waiting for their `start` beyond this are refused (503). @default 100 */
  maxPendingStreams?: number;
  /**
   * The Lex API calls use: `utterance` (RecognizeUtterance per turn) or `stream` (one StartConversation per
   * call: audio both ways as it comes, and the fulfillment progress responses). @default 'utterance'
   */
  lexApi?: 'utterance' | 'stream';
  /** `stream`: a stream with no event (not even a heartbeat) for this long is left for the next region. @default 15000 */
  streamStallMs?: number;
  /**
   * Where a caller's failed Lex turn is reported (core/caller-reports.ts).
   * @default the report function `LEXDR_REPORT_FUNCTION` through Lambda's async invocation; none when unset
   */
  reporter?: CallerReporter;
}

export interface Bridge extends BridgeServer {
  metrics: BridgeMetrics;
  close(): Promise<void>;
}

/**
 * A failed Twilio REST call, with only its message, HTTP status and Twilio error code. The client's own errors
 * must not be logged as they are: on a network failure it rethrows the HTTP library's error, whose `config`
 * holds the request's `Authorization: Basic base64(AccountSid:AuthToken)` header.
 */
export class TwilioApiError extends Error {
  override name = 'TwilioApiError';
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string | number,
  ) {
    super(message);
  }
}

function apiError(err: unknown, secrets: readonly string[]): TwilioApiError {
  const e = (err ?? {}) as { message?: unknown; status?: unknown; code?: unknown };
  let message = typeof e.message === 'string' ? e.message : 'Twilio REST call failed';
  for (const s of secrets) if (s.length >= 4) message = message.split(s).join('(secret)');
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? e.code : undefined;
  return new TwilioApiError(message, typeof e.status === 'number' ? e.status : undefined, code);
}

/** Twilio's REST API: `calls(sid).update(...)`; failures are TwilioApiError (no request, no credentials). */
export function twilioCallControl(client: twilio.Twilio): CallControl {
  const secrets = client.password ? [client.password] : [];
  const update = async (callSid: string, opts: { status: 'completed' } | { twiml: string }) => {
    try {
      await client.calls(callSid).update(opts);
    } catch (err) {
      throw apiError(err, secrets);
    }
  };
  return {
    hangUp: (callSid) => update(callSid, { status: 'completed' }),
    redirect: (callSid, twiml) => update(callSid, { twiml }),
  };
}

export function apologyTwiml(apologyText: string, humanNumber: string): string {
  const vr = new twilio.twiml.VoiceResponse();
  vr.say(apologyText);
  vr.dial(humanNumber);
  return vr.toString();
}

export async function startBridge(cfg: BridgeConfig, deps: BridgeDeps = {}): Promise<Bridge> {
  const logger = deps.logger ?? new Logger({ serviceName: 'lexdr-twilio' });
  const metrics = deps.metrics ?? new BridgeMetrics({ namespace: 'lexdr-twilio', emf: cfg.emf });
  const ownDynamo = !deps.dynamodb;
  const dynamodb =
    deps.dynamodb ??
    drTableClient('bridge', {
      region: cfg.connectRegion,
      ...(cfg.dynamodbEndpoint && { endpoint: cfg.dynamodbEndpoint }),
      ...(deps.credentials && { credentials: deps.credentials }),
    });
  const table = drTable(dynamodb, cfg.tableName);
  let routing: BridgeRouting;
  try {
    routing = await bridgeRouting({
      loadSettings: drTableSettings(table, {
        connectRegion: cfg.connectRegion,
        parse: parseSettings,
        onStale: (err) => logger.warn('settings re-read failed; using the last settings', { error: err as Error }),
      }),
      source: `item "${settingsItemKey(cfg.connectRegion)}" of ${cfg.tableName}`,
      ...(cfg.botName !== undefined && { botName: cfg.botName }),
      lookup: (settings: Settings) =>
        createLookup({
          settings,
          now: Date.now,
          getItem: (key) => table.getItem(key, { consistent: false }),
          onError: (err, context) => logger.error('lexDR read failed', { ...context, error: err as Error }),
        }),
      onRejected: (err) => logger.error('re-read settings not used; the last settings stay', { error: err as Error }),
    });
  } catch (err) {
    if (ownDynamo) dynamodb.destroy();
    throw err;
  }
  const { botName } = routing;
  const started = await routing.current();
  const lex = lexClientFactory({
    endpoints: cfg.lexEndpoints,
    timeoutMs: cfg.lexTimeoutMs,
    ...(deps.credentials && { credentials: deps.credentials }),
  });
  const cooldown = new RegionCooldown(cfg.regionCooldownMs, Date.now);
  const callControl = deps.callControl ?? twilioCallControl(twilio(cfg.accountSid, cfg.authToken));
  const reporter = deps.reporter ?? (cfg.reportFunctionArn ? lambdaReporter(cfg.reportFunctionArn) : undefined);
  /** A caller met a failed Lex call in `region`: reported in the background (the call goes on to the next region). */
  const report = (callSid: string, region: string) =>
    reportInBackground(
      reporter,
      { source: 'twilio-bridge', callSid, bot: botName, lexRegion: region, kind: 'error' },
      (err) => logger.warn('caller report not sent', { callSid, region, error: err as Error }),
    );
  const apology = apologyTwiml(cfg.apologyText, cfg.humanNumber);

  const server = await startBridgeServer({
    host: cfg.host,
    port: cfg.port,
    publicBaseUrl: cfg.publicBaseUrl,
    authToken: cfg.authToken,
    greetingText: cfg.greetingText,
    logger,
    metrics,
    exposeTurns: cfg.local,
    streamTokenTtlMs: cfg.streamTokenTtlMs,
    ...(deps.streamStartDeadlineMs !== undefined && { startDeadlineMs: deps.streamStartDeadlineMs }),
    ...(deps.maxPendingStreams !== undefined && { maxPendingStreams: deps.maxPendingStreams }),
    newCall: (ws) =>
      new CallSession({
        conversation: (callSid) =>
          new LexConversation(
            {
              routing: () => routing.current(),
              botName,
              lexV2: (r) => lex.lexV2(r),
              cooldown,
              now: Date.now,
              timeoutMs: cfg.lexTimeoutMs,
              onFailure: (r, err, context) => {
                logger.warn('Lex call failed: trying the next region', { region: r, ...context, error: err as Error });
                report(callSid, r);
              },
            },
            callSid,
          ),
        ...((deps.lexApi ?? cfg.lexApi ?? 'utterance') === 'stream' && {
          streamConversation: (callSid, listener) =>
            new LexStreamConversation(
              {
                routing: () => routing.current(),
                botName,
                lexV2Stream: (r) => lex.lexV2Stream(r),
                cooldown,
                now: Date.now,
                timeoutMs: cfg.lexTimeoutMs,
                stallMs: deps.streamStallMs ?? 15_000,
                onFailure: (r, err, context) => {
                  logger.warn('Lex stream failed: reopening in the next region', {
                    region: r,
                    ...context,
                    error: err as Error,
                  });
                  report(callSid, r);
                },
              },
              callSid,
              listener,
            ),
        }),
        callControl,
        logger,
        metrics,
        segmenter: { ...cfg.vad, vadMode: cfg.vad.mode },
        apologyTwiml: () => apology,
        send: (msg) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
        },
        close: () => ws.close(),
        ...(deps.dtmfFlushMs !== undefined && { dtmfFlushMs: deps.dtmfFlushMs }),
      }),
  });
  logger.info('bridge listening', {
    url: server.url,
    publicBaseUrl: cfg.publicBaseUrl,
    botName,
    regions: started.settings.regions,
  });
  return {
    ...server,
    metrics,
    async close() {
      await server.shutdown(0);
      if (ownDynamo) dynamodb.destroy();
    },
  };
}
