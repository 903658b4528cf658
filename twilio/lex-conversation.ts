/**
 * One caller's conversation with Lex V2, disaster-recovery aware, over either API:
 *
 * `LexConversation` (RecognizeUtterance per turn): each turn goes to the region the lexDR
 * table names (through the cached lookup core); if the call fails or times out, the SAME turn (same audio
 * or text) is sent at once to the next region, with the session state of the last good answer so the
 * dialog continues where it was. `err` in the table, or every region failing, ends in `unavailable`.
 *
 * `LexStreamConversation` (StartConversation, one stream per call): lex-stream-conversation.ts. Only a stream
 * hears the fulfillment start and update responses.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { LexRuntimeV2Client, SessionState } from '@aws-sdk/client-lex-runtime-v2';
import { PutSessionCommand, RecognizeTextCommand, RecognizeUtteranceCommand } from '@aws-sdk/client-lex-runtime-v2';
import type { Settings } from '../core/settings';
import { withTimeout } from '../core/timeout';
import { LEX_REQUEST_CONTENT_TYPE, LEX_RESPONSE_CONTENT_TYPE, littleEndianToPcm, pcmToLittleEndian } from './audio';
import type { Routing } from './bridge-settings';
import type { RegionCooldown } from './region-cooldown';
import { candidateRegions } from './region-cooldown';

export type TurnInput = { kind: 'speech'; pcm8k: Int16Array } | { kind: 'dtmf'; digits: string };

export interface TurnReply {
  kind: 'reply';
  region: string;
  transcript: string;
  messages: string[];
  /** Lex's spoken reply, 16 kHz PCM (empty when it said nothing). */
  audio16k: Int16Array;
  sessionState: SessionState;
  /** The dialog is over (Close / Fulfilled / Failed): hang up after the reply is played. */
  closed: boolean;
  /** Regions tried and failed before this answer. */
  failovers: number;
  latencyMs: number;
}

export interface TurnUnavailable {
  kind: 'unavailable';
  reason: 'err' | 'all-regions-failed';
  failovers: number;
  detail: string;
}

/** What every conversation of a bridge task shares. */
export interface LexConversationDeps {
  /** The settings now and the lookup built from them (re-read at most once a minute; see bridge-settings.ts). */
  routing(): Promise<Routing>;
  botName: string;
  lexV2(region: string): LexRuntimeV2Client;
  /** Regions that failed recently (shared by the task's calls). */
  cooldown: RegionCooldown;
  now(): number;
  /** Per-call hard timeout for one Lex request (the client's own timeout should match). */
  timeoutMs: number;
  onFailure?(region: string, err: unknown, context: Record<string, unknown>): void;
}

export class LexTurnTimeoutError extends Error {
  override name = 'LexTurnTimeoutError';
}

const gzip64 = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v))).toString('base64');
const ungzip64 = <T>(v: string | undefined): T | undefined =>
  v ? (JSON.parse(gunzipSync(Buffer.from(v, 'base64')).toString('utf8')) as T) : undefined;

/** The dialog is over: Lex closed it, or its intent was fulfilled or failed. */
export function isClosed(state: SessionState | undefined): boolean {
  const s = state?.intent?.state;
  return state?.dialogAction?.type === 'Close' || s === 'Fulfilled' || s === 'Failed';
}

/** A Lex request bounded by `ms`: on time-out the request is aborted and a LexTurnTimeoutError names `what`. */
export function lexWithTimeout<T>(p: Promise<T>, ms: number, what: string, abort: AbortController): Promise<T> {
  return withTimeout(p, ms, () => {
    abort.abort();
    return new LexTurnTimeoutError(`${what} exceeded ${ms} ms`);
  });
}

/** The IDs of the bot in `region` for one session; throws when the settings give it none there. */
export function botIds(settings: Settings, botName: string, region: string, sessionId: string) {
  const bot = settings.bots.find((b) => b.name === botName);
  if (!bot) throw new Error(`no bot ${botName} in the settings`);
  const ids = bot.regions[region];
  if (!ids) throw new Error(`bot ${bot.name} has no IDs in ${region}`);
  return { botId: ids.botId, botAliasId: ids.botAliasId, localeId: bot.localeId, sessionId };
}

export class LexConversation {
  /** The state after the last good answer, and the region that gave it. */
  private state: SessionState | undefined;
  private region: string | undefined;

  constructor(
    private readonly d: LexConversationDeps,
    readonly sessionId: string,
  ) {}

  get lastRegion(): string | undefined {
    return this.region;
  }

  async turn(input: TurnInput): Promise<TurnReply | TurnUnavailable> {
    const started = this.d.now();
    const { settings, lookup } = await this.d.routing();
    const answer = await lookup({ Details: { Parameters: { bot: this.d.botName } } });
    if (answer.lexRegion === 'err')
      return { kind: 'unavailable', reason: 'err', failovers: 0, detail: 'lexDR says no Lex region is healthy' };
    const candidates = candidateRegions(answer, settings.regions, this.d.cooldown);
    const errors: string[] = [];
    for (const [i, region] of candidates.entries()) {
      try {
        const r = await this.attempt(settings, region, input);
        this.d.cooldown.ok(region);
        this.state = r.sessionState;
        this.region = region;
        return { ...r, kind: 'reply', region, failovers: i, latencyMs: this.d.now() - started };
      } catch (err) {
        this.d.cooldown.fail(region);
        errors.push(`${region}: ${(err as Error).name}`);
        this.d.onFailure?.(region, err, { sessionId: this.sessionId, attempt: i + 1, input: input.kind });
      }
    }
    return {
      kind: 'unavailable',
      reason: 'all-regions-failed',
      failovers: candidates.length,
      detail: errors.join('; '),
    };
  }

  private async attempt(settings: Settings, region: string, input: TurnInput) {
    const client = this.d.lexV2(region);
    const base = botIds(settings, this.d.botName, region, this.sessionId);
    // A region other than the one that answered last has not seen this dialog: carry its state over.
    const carry = this.state && this.region !== region ? this.state : undefined;
    const abort = new AbortController();
    const call = <T>(p: Promise<T>, what: string) => lexWithTimeout(p, this.d.timeoutMs, `${what} in ${region}`, abort);
    if (input.kind === 'speech') {
      const out = await call(
        client.send(
          new RecognizeUtteranceCommand({
            ...base,
            requestContentType: LEX_REQUEST_CONTENT_TYPE,
            responseContentType: LEX_RESPONSE_CONTENT_TYPE,
            inputStream: pcmToLittleEndian(input.pcm8k),
            ...(carry && { sessionState: gzip64(carry) }),
          }),
          { abortSignal: abort.signal },
        ),
        'RecognizeUtterance',
      );
      const audio = out.audioStream
        ? await call(out.audioStream.transformToByteArray(), 'reading the reply audio')
        : undefined;
      const sessionState = ungzip64<SessionState>(out.sessionState) ?? {};
      const messages = (ungzip64<{ content?: string }[]>(out.messages) ?? []).map((m) => m.content ?? '');
      return {
        transcript: ungzip64<string>(out.inputTranscript) ?? '',
        messages,
        audio16k: audio ? littleEndianToPcm(audio) : new Int16Array(0),
        sessionState,
        closed: isClosed(sessionState),
      };
    }
    // DTMF: the digits go to Lex as text (RecognizeText); the reply is voiced by PutSession (no request charge).
    const text = await call(
      client.send(new RecognizeTextCommand({ ...base, text: input.digits, ...(carry && { sessionState: carry }) }), {
        abortSignal: abort.signal,
      }),
      'RecognizeText',
    );
    const sessionState = text.sessionState ?? {};
    const messages = (text.messages ?? []).map((m) => m.content ?? '');
    let audio16k: Int16Array = new Int16Array(0);
    if (messages.some((m) => m !== '')) {
      const voiced = await call(
        client.send(
          new PutSessionCommand({
            ...base,
            sessionState,
            messages: text.messages,
            responseContentType: LEX_RESPONSE_CONTENT_TYPE,
          }),
          { abortSignal: abort.signal },
        ),
        'PutSession',
      );
      if (voiced.audioStream) audio16k = littleEndianToPcm(await voiced.audioStream.transformToByteArray());
    }
    return { transcript: input.digits, messages, audio16k, sessionState, closed: isClosed(sessionState) };
  }
}
