/**
 * StartConversation's fulfillment progress against a local Lex region (local-lex-stream-fixture.ts): start and update
 * responses at the times the bot defines, the timeout response, none when fulfillment is fast; the rules for inactive
 * responses and for input during fulfillment; the per-intent fulfillment delay set over the admin endpoint.
 *
 * Bot time runs 8× faster than the wall clock: a 12.5 s fulfillment takes about 1.6 s.
 */
import {
  intentResults,
  LPCM_8K,
  open,
  quickIds,
  region,
  START,
  strictIds,
  SUCCESS,
  textResponses,
  timer,
  TIMEOUT,
  toConfirmation,
  UPDATE,
  useStreamRegion,
} from './local-lex-stream-fixture';

useStreamRegion();

describe('StartConversation: fulfillment progress as the bot defines it', () => {
  it('a 12.5 s fulfillment: the start response near 2 s, updates near 7 s and 12 s, then the success response', async () => {
    region.setFulfillmentDelay('OrderFlowers', 12_500);
    const c = await open({ mode: 'TEXT' });
    await toConfirmation(c);
    const before = textResponses(c.received).length;
    const yesAt = timer.now() - c.openedAt;
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.until('the success response', (r) => SUCCESS.includes(textResponses(r).at(-1)?.text ?? ''), 8000);
    // When the caller got them (bot time after "yes"): 2 s, 7 s, 12 s, 12.5 s.
    const heard = textResponses(c.received)
      .slice(before)
      .map((x) => x.atMs - yesAt);
    // The caller's side adds the stream's delivery to the region's timing (checked to 600 ms below): within 1 s of
    // bot time (125 ms at this scale), still a fifth of the 5 s between updates.
    [2000, 7000, 12_000, 12_500].forEach((want, i) => expect(Math.abs(heard[i]! - want)).toBeLessThan(1000));
    const progress = region.progress(c.sessionId);
    expect(progress.map((p) => p.kind)).toEqual(['start', 'update', 'update']);
    const [start, u1, u2] = progress;
    expect(Math.abs(start!.afterMs - 2000)).toBeLessThan(600);
    expect(Math.abs(u1!.afterMs - 7000)).toBeLessThan(600);
    expect(Math.abs(u2!.afterMs - 12_000)).toBeLessThan(600);
    // What the caller received, in order: start, update, update, success — the same messages the region recorded.
    const after = textResponses(c.received)
      .slice(before)
      .map((x) => x.text);
    expect(after).toHaveLength(4);
    expect(START).toContain(after[0]);
    expect(UPDATE).toContain(after[1]);
    expect(UPDATE).toContain(after[2]);
    expect(SUCCESS).toContain(after[3]);
    expect(after.slice(0, 3)).toEqual(progress.map((p) => p.message));
    const done = intentResults(c.received).at(-1);
    expect(done?.sessionState?.intent?.state).toBe('Fulfilled');
    await c.close();
  });

  it('a fulfillment past its timeout: the timeout response at the timeout, the intent Failed', async () => {
    region.setFulfillmentDelay('OrderFlowers', 20_000);
    const c = await open({ mode: 'TEXT', bot: quickIds });
    await toConfirmation(c);
    const yesAt = timer.now() - c.openedAt;
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.until('the timeout response', (r) => TIMEOUT.includes(textResponses(r).at(-1)?.text ?? ''), 5000);
    expect(Math.abs(textResponses(c.received).at(-1)!.atMs - yesAt - 6000)).toBeLessThan(600);
    const progress = region.progress(c.sessionId);
    expect(progress.map((p) => p.kind)).toEqual(['start']);
    const done = intentResults(c.received).at(-1);
    expect(done?.sessionState?.intent?.state).toBe('Failed');
    await c.close();
  });

  it('a fulfillment faster than the start delay: no start response, only the success response', async () => {
    region.setFulfillmentDelay('OrderFlowers', 500);
    const c = await open({ mode: 'TEXT' });
    await toConfirmation(c);
    const before = textResponses(c.received).length;
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.until('the success response', (r) => SUCCESS.includes(textResponses(r).at(-1)?.text ?? ''));
    const after = textResponses(c.received).slice(before);
    expect(after).toHaveLength(1);
    expect(region.progress(c.sessionId)).toEqual([]);
    await c.close();
  });
});

describe('StartConversation: the rules for inactive responses and input during fulfillment', () => {
  it('a timeout with no active timeout response ends the conversation with DependencyFailedException', async () => {
    region.setFulfillmentDelay('OrderFlowers', 20_000);
    const c = await open({ mode: 'TEXT', bot: strictIds });
    await toConfirmation(c);
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.reading;
    expect(c.failure()).toMatchObject({ name: 'DependencyFailedException' });
    expect(String((c.failure() as Error).message)).toMatch(/timeout response/);
    c.input.end();
  });

  it('input while fulfillment runs is answered with an update response at once', async () => {
    region.setFulfillmentDelay('OrderFlowers', 6000);
    const c = await open({ mode: 'TEXT' });
    await toConfirmation(c);
    const before = textResponses(c.received).length;
    c.input.push({ TextInputEvent: { text: 'yes' } });
    await c.until('the start response', (r) => START.includes(textResponses(r).at(-1)?.text ?? ''));
    const nudgedAt = timer.now() - c.openedAt;
    c.input.push({ TextInputEvent: { text: 'are you still there?' } });
    await c.until('the update answering the input', (r) => UPDATE.includes(textResponses(r).at(-1)?.text ?? ''));
    const update = textResponses(c.received).at(-1)!;
    // Long before the first scheduled update (7 s after "yes").
    expect(update.atMs - nudgedAt).toBeLessThan(1000);
    await c.until('the success response', (r) => SUCCESS.includes(textResponses(r).at(-1)?.text ?? ''));
    expect(textResponses(c.received).slice(before)).toHaveLength(3);
    // The input did not start another turn: one intent result for "yes", Fulfilled.
    expect(intentResults(c.received).at(-1)?.sessionState?.intent?.state).toBe('Fulfilled');
    await c.close();
  });

  it('DTMF digits end with # and reach the dialog as one DTMF input', async () => {
    const c = await open({ mode: 'AUDIO', reply: LPCM_8K });
    for (const d of ['4', '2', '#']) c.input.push({ DTMFInputEvent: { inputCharacter: d } });
    await c.until('the intent result', (r) => intentResults(r).length === 1);
    expect(intentResults(c.received)[0]?.inputMode).toBe('DTMF');
    expect(intentResults(c.received)[0]?.sessionState?.intent?.name).toBe('FallbackIntent');
    await c.close();
  });
});

describe('the per-intent fulfillment delay over the admin endpoint', () => {
  it('is set, shown and cleared with PUT/GET /_lexdr/fulfillment; a bad value is a 400 saying what is valid', async () => {
    const put = (body: unknown) =>
      fetch(`${region.url}/_lexdr/fulfillment`, { method: 'PUT', body: JSON.stringify(body) });
    expect(await (await put({ intent: 'OrderFlowers', delayMs: 12_000 })).json()).toEqual({ OrderFlowers: 12_000 });
    expect(await (await fetch(`${region.url}/_lexdr/fulfillment`)).json()).toEqual({ OrderFlowers: 12_000 });
    const bad = await put({ intent: 'OrderFlowers', delayMs: -5 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('0–900000');
    expect(await (await put({ intent: 'OrderFlowers', delayMs: null })).json()).toEqual({});
  });
});
