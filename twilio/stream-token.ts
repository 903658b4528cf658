/**
 * Binds a Media Streams WebSocket to the call whose webhook opened it. Twilio signs the stream's upgrade over
 * the constant `wss://…/media` URL only (no call data, no nonce), so one captured upgrade signature would
 * open any number of streams. The webhook therefore issues a short-lived, single-use token — an HMAC of the
 * CallSid, the issue time and a nonce — passed back to Twilio as a TwiML `<Parameter>`; the stream's `start`
 * message must carry a fresh token for its own CallSid, and each CallSid gets one stream per task.
 *
 * The key is derived with HKDF-SHA256 from the Twilio auth token (domain-separated by its `info`): every task
 * behind the load balancer derives the same key with no shared state, because Twilio's webhook request and
 * its stream's upgrade are separate connections that may reach different tasks.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** The TwiML `<Parameter>` name the token travels in (Twilio echoes it in `start.customParameters`). */
export const STREAM_TOKEN_PARAMETER = 'lexdrStreamToken';
const VERSION = 'v1';
const HKDF_INFO = 'lexdr twilio media stream token v1';
const HKDF_SALT = 'lexdr';
/** Clock difference between tasks tolerated for a token "issued in the future". */
const MAX_SKEW_MS = 5_000;

export type StreamTokenRejection =
  'missing' | 'malformed' | 'bad-mac' | 'expired' | 'not-yet-valid' | 'wrong-call' | 'already-streamed';

/** A `start` message whose token does not open a stream (the reason only: never the token or the key). */
export class StreamTokenError extends Error {
  override name = 'StreamTokenError';
  constructor(readonly reason: StreamTokenRejection) {
    super(`stream token rejected: ${reason}`);
  }
}

/** The token key: HKDF-SHA256 of the auth token. 32 bytes; never logged, never sent. */
export function streamTokenKey(authToken: string): Buffer {
  if (!authToken) throw new Error('stream token key: the auth token is empty');
  return Buffer.from(hkdfSync('sha256', Buffer.from(authToken, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
}

export interface StreamTokensOptions {
  key: Buffer;
  /** How long after the webhook answer the stream may start (the greeting plays first). */
  ttlMs: number;
  now(): number;
  /** How long a CallSid that had a stream is refused another one. @default max(ttlMs, 6 h) */
  rememberMs?: number;
  /** At most this many CallSids are remembered (the oldest are forgotten first). @default 100000 */
  maxRemembered?: number;
}

/** Issues and checks stream tokens: `v1.<issued ms, base 36>.<nonce>.<HMAC-SHA256>` (base64url parts). */
export class StreamTokens {
  /** CallSid → when its stream started (insertion order = start order). */
  private readonly streamed = new Map<string, number>();
  private readonly rememberMs: number;
  private readonly maxRemembered: number;

  constructor(private readonly o: StreamTokensOptions) {
    this.rememberMs = Math.max(o.ttlMs, o.rememberMs ?? 6 * 3600_000);
    this.maxRemembered = o.maxRemembered ?? 100_000;
  }

  issue(callSid: string): string {
    const issued = this.o.now().toString(36);
    const nonce = randomBytes(12).toString('base64url');
    return `${VERSION}.${issued}.${nonce}.${this.mac(callSid, issued, nonce)}`;
  }

  /** Accepts the token for this CallSid once, or throws StreamTokenError. */
  consume(callSid: string, token: string | undefined): void {
    if (!token) throw new StreamTokenError('missing');
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION || token.length > 200) throw new StreamTokenError('malformed');
    const [, issued, nonce, mac] = parts as [string, string, string, string];
    if (!/^[0-9a-z]{1,12}$/.test(issued) || !/^[A-Za-z0-9_-]{16}$/.test(nonce) || !/^[A-Za-z0-9_-]{43}$/.test(mac))
      throw new StreamTokenError('malformed');
    const expected = Buffer.from(this.mac(callSid, issued, nonce), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    // A token issued for another CallSid fails here too: the CallSid is inside the MAC.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new StreamTokenError('bad-mac');
    const now = this.o.now();
    const issuedAt = parseInt(issued, 36);
    if (issuedAt > now + MAX_SKEW_MS) throw new StreamTokenError('not-yet-valid');
    if (now - issuedAt > this.o.ttlMs) throw new StreamTokenError('expired');
    this.forgetOld(now);
    if (this.streamed.has(callSid)) throw new StreamTokenError('already-streamed');
    this.streamed.set(callSid, now);
    if (this.streamed.size > this.maxRemembered) this.streamed.delete(this.streamed.keys().next().value!);
  }

  /** CallSids currently remembered (tests and /metrics). */
  get remembered(): number {
    return this.streamed.size;
  }

  private mac(callSid: string, issued: string, nonce: string): string {
    // Length-prefixed fields: no two (CallSid, time, nonce) triples share an input.
    return createHmac('sha256', this.o.key)
      .update(`${VERSION}\n${callSid.length}:${callSid}\n${issued}\n${nonce}`)
      .digest('base64url');
  }

  private forgetOld(now: number): void {
    for (const [sid, at] of this.streamed) {
      if (now - at <= this.rememberMs) break;
      this.streamed.delete(sid);
    }
  }
}
