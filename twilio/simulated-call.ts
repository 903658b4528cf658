/**
 * A simulated Twilio call for the local replay tool and the tests: calls the webhook and signs it and the
 * WebSocket upgrade like Twilio, opens the Media Streams socket with the TwiML's `<Parameter>`s (the stream
 * token among them) in `start`, streams μ-law in Twilio's exact frame format (faster than real time when
 * asked), and records what the bridge sends back (media, marks, clears).
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import WebSocket from 'ws';
import { FRAME_BYTES, MULAW_SILENCE } from './audio';
import type { OutboundMessage } from './twilio-messages';

export const randomSid = (prefix: string) => prefix + randomBytes(16).toString('hex');

/** POSTs the voice webhook as Twilio does (form body, X-Twilio-Signature over the public URL). */
export async function postTwiml(o: {
  url: string;
  publicUrl: string;
  authToken: string;
  params: Record<string, string>;
  signature?: string;
}): Promise<{ status: number; body: string }> {
  const signature = o.signature ?? twilio.getExpectedTwilioSignature(o.authToken, o.publicUrl, o.params);
  const res = await fetch(o.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(o.params).toString(),
  });
  return { status: res.status, body: await res.text() };
}

/** The `<Parameter>`s of the TwiML `<Stream>` (what Twilio sends back in `start.customParameters`). */
export function streamParameters(twiml: string): Record<string, string> {
  const out: Record<string, string> = {};
  const unescape = (v: string) =>
    v
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  for (const m of twiml.matchAll(/<Parameter name="([^"]*)" value="([^"]*)"\/>/g))
    out[unescape(m[1]!)] = unescape(m[2]!);
  return out;
}

export interface SimulatedCallOptions {
  /** Where to connect (the bridge's local address), e.g. ws://127.0.0.1:4700/media. */
  wsUrl: string;
  /** The public wss:// URL Twilio signs. */
  publicWsUrl: string;
  authToken: string;
  callSid?: string;
  /** Echo each mark back as soon as it arrives (as if playback finished at once). @default true */
  autoEchoMarks?: boolean;
  /** Override the signature (tests of rejection). */
  signature?: string;
}

export class SimulatedCall {
  readonly callSid: string;
  readonly streamSid = randomSid('MZ');
  readonly received: OutboundMessage[] = [];
  autoEchoMarks: boolean;
  private ws!: WebSocket;
  private seq = 0;
  private chunk = 0;
  /** Media time sent so far (ms): Twilio's `timestamp`. */
  private ms = 0;
  private waiters = new Set<() => void>();
  closed = false;

  constructor(private readonly o: SimulatedCallOptions) {
    this.callSid = o.callSid ?? randomSid('CA');
    this.autoEchoMarks = o.autoEchoMarks ?? true;
  }

  /** The TwiML the webhook answered (after connect). */
  twiml = '';

  /**
   * Calls the webhook (with CallSid, AccountSid and `params`), then opens the socket and sends `start` with the
   * TwiML's parameters; rejects with the HTTP status when the webhook or the upgrade is refused.
   */
  async connect(params: Record<string, string> = {}): Promise<void> {
    // The webhook sits next to the stream: …/media → …/twiml, ws(s) → http(s).
    const answer = await postTwiml({
      url: this.o.wsUrl.replace(/^ws/, 'http').replace(/\/media$/, '/twiml'),
      publicUrl: this.o.publicWsUrl.replace(/^ws/, 'http').replace(/\/media$/, '/twiml'),
      authToken: this.o.authToken,
      params: { CallSid: this.callSid, AccountSid: 'AC' + '0'.repeat(32), ...params },
    });
    if (answer.status !== 200)
      throw Object.assign(new Error(`webhook refused: ${answer.status}`), { status: answer.status });
    this.twiml = answer.body;
    const customParameters = streamParameters(answer.body);
    const signature = this.o.signature ?? twilio.getExpectedTwilioSignature(this.o.authToken, this.o.publicWsUrl, {});
    this.ws = new WebSocket(this.o.wsUrl, { headers: { 'x-twilio-signature': signature } });
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })),
      );
      this.ws.once('error', reject);
    });
    this.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as OutboundMessage;
      this.received.push(msg);
      if (msg.event === 'mark' && this.autoEchoMarks) this.echoMark(msg.mark.name);
      if (msg.event === 'clear') {
        // Twilio returns the marks of the audio a clear discarded.
        for (const m of this.pendingMarks()) this.echoMark(m);
      }
      this.wake();
    });
    this.ws.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.sendJson({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.sendJson({
      event: 'start',
      sequenceNumber: String(++this.seq),
      start: {
        accountSid: 'AC' + '0'.repeat(32),
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters,
      },
      streamSid: this.streamSid,
    });
  }

  /** Streams μ-law audio as 20 ms media messages; `pace` < 1 is faster than real time (0 = as fast as possible). */
  async sendAudio(ulaw: Uint8Array, pace = 0): Promise<void> {
    for (let i = 0; i < ulaw.length; i += FRAME_BYTES) {
      const frame = Buffer.alloc(FRAME_BYTES, MULAW_SILENCE);
      Buffer.from(ulaw.subarray(i, i + FRAME_BYTES)).copy(frame);
      this.sendJson({
        event: 'media',
        sequenceNumber: String(++this.seq),
        media: {
          track: 'inbound',
          chunk: String(++this.chunk),
          timestamp: String(this.ms),
          payload: frame.toString('base64'),
        },
        streamSid: this.streamSid,
      });
      this.ms += 20;
      if (pace > 0) await new Promise((r) => setTimeout(r, 20 * pace));
      else if (this.chunk % 50 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  sendSilence(ms: number, pace = 0): Promise<void> {
    return this.sendAudio(Buffer.alloc(Math.round((ms * 8000) / 1000), MULAW_SILENCE), pace);
  }

  sendDtmf(digit: string): void {
    this.sendJson({
      event: 'dtmf',
      sequenceNumber: String(++this.seq),
      dtmf: { track: 'inbound_track', digit },
      streamSid: this.streamSid,
    });
  }

  echoMark(name: string): void {
    this.sendJson({ event: 'mark', sequenceNumber: String(++this.seq), mark: { name }, streamSid: this.streamSid });
    this.echoed.add(name);
  }

  private readonly echoed = new Set<string>();
  /** Marks received and not echoed yet (the reply audio "still playing"). */
  pendingMarks(): string[] {
    return this.received.flatMap((m) => (m.event === 'mark' && !this.echoed.has(m.mark.name) ? [m.mark.name] : []));
  }

  stop(): void {
    this.sendJson({
      event: 'stop',
      sequenceNumber: String(++this.seq),
      stop: { callSid: this.callSid },
      streamSid: this.streamSid,
    });
    this.ws.close();
  }

  /** Waits until `test()` holds (checked on every message), or fails after `ms`. */
  async waitFor(what: string, test: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, 250));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** Number of marks received so far. */
  marks(): string[] {
    return this.received.flatMap((m) => (m.event === 'mark' ? [m.mark.name] : []));
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }

  private sendJson(v: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(v));
  }
}
