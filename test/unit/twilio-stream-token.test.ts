/** The stream token: bound to one CallSid and a short time, usable once, keyed from the auth token. */
import { StreamTokenError, StreamTokens, streamTokenKey } from '../../twilio/stream-token';

const SID = 'CA' + 'a'.repeat(32);
const OTHER = 'CA' + 'b'.repeat(32);
const TTL = 60_000;

function tokens(o: { authToken?: string; maxRemembered?: number; rememberMs?: number } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const t = new StreamTokens({
    key: streamTokenKey(o.authToken ?? 'auth-token'),
    ttlMs: TTL,
    now: () => clock.now,
    ...(o.maxRemembered !== undefined && { maxRemembered: o.maxRemembered }),
    ...(o.rememberMs !== undefined && { rememberMs: o.rememberMs }),
  });
  return { t, clock };
}

const reason = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(StreamTokenError);
    return (err as StreamTokenError).reason;
  }
};

describe('stream tokens', () => {
  test('a fresh token opens one stream for its CallSid, once', () => {
    const { t } = tokens();
    const token = t.issue(SID);
    expect(reason(() => t.consume(SID, token))).toBeUndefined();
    expect(reason(() => t.consume(SID, token))).toBe('already-streamed');
    // A second, valid token for the same call does not open a second stream either.
    expect(reason(() => t.consume(SID, t.issue(SID)))).toBe('already-streamed');
  });

  test('a token for another CallSid, or signed with another key, is refused', () => {
    const { t } = tokens();
    expect(reason(() => t.consume(OTHER, t.issue(SID)))).toBe('bad-mac');
    const { t: elsewhere } = tokens({ authToken: 'another-token' });
    expect(reason(() => t.consume(SID, elsewhere.issue(SID)))).toBe('bad-mac');
  });

  test('a token is valid for its TTL, with 5 s of clock skew between tasks', () => {
    const { t, clock } = tokens();
    const token = t.issue(SID);
    clock.now += TTL + 1;
    expect(reason(() => t.consume(SID, token))).toBe('expired');
    const { t: other, clock: c2 } = tokens();
    const early = other.issue(OTHER);
    c2.now -= 6_000;
    expect(reason(() => other.consume(OTHER, early))).toBe('not-yet-valid');
    c2.now += 2_000; // 4 s behind the issuer: accepted
    expect(reason(() => other.consume(OTHER, early))).toBeUndefined();
  });

  test.each([
    undefined,
    '',
    'v1',
    'v2.a.b.c',
    'v1.zz.short.mac',
    `v1.${'z'.repeat(13)}.${'A'.repeat(16)}.${'A'.repeat(43)}`,
    'x'.repeat(5000),
  ])('a malformed token (%s) is refused without being parsed further', (bad) => {
    const { t } = tokens();
    expect(reason(() => t.consume(SID, bad))).toMatch(/^(missing|malformed)$/);
  });

  test('the CallSids it remembers are bounded in number and in time', () => {
    const { t, clock } = tokens({ maxRemembered: 100, rememberMs: 3_600_000 });
    for (let i = 0; i < 250; i += 1) {
      const sid = 'CA' + i.toString(16).padStart(32, '0');
      t.consume(sid, t.issue(sid));
    }
    expect(t.remembered).toBe(100);
    clock.now += 3_600_001;
    const sid = 'CA' + 'c'.repeat(32);
    t.consume(sid, t.issue(sid));
    expect(t.remembered).toBe(1);
  });

  test('the key is HKDF of the auth token: stable, 32 bytes, never the token itself', () => {
    const key = streamTokenKey('auth-token');
    expect(key).toHaveLength(32);
    expect(streamTokenKey('auth-token').equals(key)).toBe(true);
    expect(streamTokenKey('auth-token2').equals(key)).toBe(false);
    expect(key.toString('utf8')).not.toContain('auth-token');
    expect(() => streamTokenKey('')).toThrow(/empty/);
  });

  test('a rejection names the reason only, never the token', () => {
    const { t } = tokens();
    const token = t.issue(SID);
    try {
      t.consume(OTHER, token);
      throw new Error('accepted');
    } catch (err) {
      expect((err as Error).message).toBe('stream token rejected: bad-mac');
      expect((err as Error).message).not.toContain(token);
    }
  });
});
