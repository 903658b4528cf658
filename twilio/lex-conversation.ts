/**
 * One caller's conversation with Lex V2, disaster-recovery aware: each turn goes to the region the lexDR
 * table names (through the cached lookup core); if the call fails or times out, the SAME turn (same audio
 * or text) is sent at once to the next region, with the session state of the last good answer so the
 * dialog continues where it was. `err` in the table, or every region failing, ends in `unavailable`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { LexRuntimeV2Client, SessionState } from '@aws-sdk/client-lex-runtime-v2';
import { PutSessionCommand, RecognizeTextCommand, RecognizeUtteranceCommand } from '@aws-sdk/client-lex-runtime-v2';
import type { LookupAnswer } from '../handlers/lib/lookup-core';
import type { Settings } from '../handlers/lib/settings';
import { LEX_REQUEST_CONTENT_TYPE, LEX_RESPONSE_CONTENT_TYPE, littleEndianToPcm, pcmToLittleEndian } from './audio';

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
  settings: Settings;
  botName: string;
  lookup: (event: unknown) => Promise<LookupAnswer>;
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

/** Remembers failed regions for a while so later turns skip them until the health check catches up. */
export class RegionCooldown {
  private readonly until = new Map<string, number>();
  constructor(
    private readonly ms: number,
    private readonly now: () => number,
  ) {}
  fail(region: string): void {
    this.until.set(region, this.now() + this.ms);
  }
  ok(region: string): void {
    this.until.delete(region);
  }
  cooling(region: string): boolean {
    return (this.until.get(region) ?? 0) > this.now();
  }
}

const gzip64 = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v))).toString('base64');
const ungzip64 = <T>(v: string | undefined): T | undefined =>
  v ? (JSON.parse(gunzipSync(Buffer.from(v, 'base64')).toString('utf8')) as T) : undefined;

function isClosed(state: SessionState | undefined): boolean {
  const s = state?.intent?.state;
  return state?.dialogAction?.type === 'Close' || s === 'Fulfilled' || s === 'Failed';
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, abort: AbortController): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => {
        abort.abort();
        reject(new LexTurnTimeoutError(`${what} exceeded ${ms} ms`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(t));
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
    const answer = await this.d.lookup({ Details: { Parameters: { bot: this.d.botName } } });
    if (answer.lexRegion === 'err')
      return { kind: 'unavailable', reason: 'err', failovers: 0, detail: 'lexDR says no Lex region is healthy' };
    const order = [answer.lexRegion, answer.fallbackRegion, ...this.d.settings.regions].filter(
      (r, i, all) => r !== '' && all.indexOf(r) === i,
    );
    const candidates = [
      ...order.filter((r) => !this.d.cooldown.cooling(r)),
      ...order.filter((r) => this.d.cooldown.cooling(r)),
    ];
    const errors: string[] = [];
    for (const [i, region] of candidates.entries()) {
      try {
        const r = await this.attempt(region, input);
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

  private ids(region: string) {
    const bot = this.d.settings.bots.find((b) => b.name === this.d.botName)!;
    const ids = bot.regions[region];
    if (!ids) throw new Error(`bot ${bot.name} has no IDs in ${region}`);
    return { botId: ids.botId, botAliasId: ids.botAliasId, localeId: bot.localeId, sessionId: this.sessionId };
  }

  private async attempt(region: string, input: TurnInput) {
    const client = this.d.lexV2(region);
    const base = this.ids(region);
    // A region other than the one that answered last has not seen this dialog: carry its state over.
    const carry = this.state && this.region !== region ? this.state : undefined;
    const abort = new AbortController();
    const call = <T>(p: Promise<T>, what: string) => withTimeout(p, this.d.timeoutMs, `${what} in ${region}`, abort);
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
