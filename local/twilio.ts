/**
 * The bridge against the local system (`npm start -- --twilio`): local Lex regions and DynamoDB (the bridge
 * reads its settings from the local DR table's settings item, as on AWS), the documented local auth token, and a
 * call control that logs instead of calling Twilio's REST API.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Bridge } from '../twilio/bridge';
import { startBridge } from '../twilio/bridge';
import type { CallControl } from '../twilio/call-session';
import type { BridgeConfig } from '../twilio/config';
import type { LocalSystem } from './system';

/** The auth token of local runs (never a real one): the replay tool signs with it. */
export const LOCAL_TWILIO_TOKEN = 'local-twilio-token';
export const LOCAL_ACCOUNT_SID = 'AC' + '0'.repeat(32);
export const LOCAL_HUMAN_NUMBER = '+15555550100';

/** The bridge's configuration against a local system (local token, Lex endpoints and DR table), with overrides. */
export function localBridgeConfig(sys: LocalSystem, overrides: Partial<BridgeConfig> = {}): BridgeConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    publicBaseUrl: 'http://127.0.0.1',
    accountSid: LOCAL_ACCOUNT_SID,
    authToken: LOCAL_TWILIO_TOKEN,
    local: true,
    // The local DR table: the bridge reads the settings item the local system wrote, as on AWS.
    tableName: sys.config.tableName,
    connectRegion: sys.config.connectRegion,
    botName: sys.settings.bots[0]!.name,
    humanNumber: LOCAL_HUMAN_NUMBER,
    apologyText: 'Sorry, our automated assistant is unavailable. Connecting you to an agent.',
    greetingText: '',
    lexTimeoutMs: 3000,
    regionCooldownMs: 30_000,
    vad: { mode: 2, frameMs: 20, minSpeechMs: 200, endSilenceMs: 700, maxUtteranceMs: 15000 },
    drainDeadlineMs: 5000,
    streamTokenTtlMs: 60_000,
    lexEndpoints: Object.fromEntries(Object.entries(sys.lex).map(([r, l]) => [r, l.url])),
    dynamodbEndpoint: sys.dynamo.url,
    emf: false,
    ...overrides,
  };
}

export interface LocalBridge extends Bridge {
  /** What the call control was asked to do (hang-ups and transfers). */
  events: { callSid: string; action: 'hang-up' | 'transfer'; twiml?: string }[];
}

export async function startLocalBridge(sys: LocalSystem, o: { host: string; port: number }): Promise<LocalBridge> {
  const events: LocalBridge['events'] = [];
  const callControl: CallControl = {
    hangUp: async (callSid) => void events.push({ callSid, action: 'hang-up' }),
    redirect: async (callSid, twiml) => void events.push({ callSid, action: 'transfer', twiml }),
  };
  const base = `http://${o.host}:${o.port}`;
  const bridge = await startBridge(
    localBridgeConfig(sys, {
      port: o.port,
      host: o.host,
      publicBaseUrl: base,
      apologyText: 'Sorry, our automated assistant is unavailable. Connecting you to an agent.',
      lexTimeoutMs: 3000,
      drainDeadlineMs: 5000,
    }),
    {
      credentials: sys.credentials,
      callControl,
      // Locally the bridge talks StartConversation: callers hear the fulfillment progress responses.
      lexApi: 'stream',
      logger: new Logger({
        serviceName: 'lexdr-twilio',
        logLevel: process.env.POWERTOOLS_LOG_LEVEL ? undefined : 'WARN',
      }),
    },
  );
  return { ...bridge, events };
}
