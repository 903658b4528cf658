/**
 * Lex V2 StartConversation for the local regions: cleartext HTTP/2 (prior knowledge, as the SDK's
 * `NodeHttp2Handler` speaks to an `http://` endpoint) on the region's own port, framed with the AWS
 * event-stream encoding through the SDK's own codec (`EventStreamCodec` of `@smithy/core/event-streams`).
 *
 * Input events: ConfigurationEvent (first), TextInputEvent, AudioInputEvent (PCM, endpointed by the region's
 * voice activity detector, `LocalLexRegionOptions.vad`), DTMFInputEvent (`#` or a pause ends the digits),
 * PlaybackCompletionEvent, DisconnectionEvent.
 * Output events: HeartbeatEvent, TranscriptEvent, IntentResultEvent, TextResponseEvent, AudioResponseEvent
 * (audio chunks, then an empty chunk ending the response), PlaybackInterruptionEvent, and the modeled
 * exceptions, which end the stream. Fulfillment start/update responses are sent as they happen.
 *
 * Faults as for the other APIs: at the start of a conversation `down`/`throttled`/`notfound` answer with the
 * HTTP error, `hang` never answers; `slow` delays each answer by `latencyMs`; set while a conversation runs,
 * `down`/`throttled`/`notfound` end it with the exception event and `hang` stalls it (no event, not even a
 * heartbeat) until cleared. `nospeech` does what `down` does to an AUDIO conversation and nothing to a TEXT one.
 *
 * The parts: this server (accepting or refusing a conversation), one running conversation (`conversation.ts`)
 * and its audio (`conversation-audio.ts`), the events (`conversation-events.ts`), their framing
 * (`event-stream.ts`), and the one port shared with HTTP/1.1 (`dual-listener.ts`).
 */
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { Http2Server, Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { createServer as createH2Server } from 'node:http2';
import type { ConversationHost } from './conversation';
import { Conversation } from './conversation';
import { OPERATION } from './conversation-events';
import { faultError } from './faults';
import type { ErrorKind } from './protocol';
import { LexApiError, errorType } from './protocol';
import type { Fault, LexRequestRecord } from './types';
import type { Resolved } from './v2';
import { resolveBot } from './v2';

const CONVERSATION_PATH =
  /^\/bots\/([^/]+)\/botAliases\/([^/]+)\/botLocales\/([^/]+)\/sessions\/([^/]+)\/conversation\/?$/;

/** The StartConversation side of one region: an HTTP/2 server whose other requests go to the HTTP/1.1 handler. */
export class ConversationServer {
  readonly h2: Http2Server;
  private readonly conversations = new Set<Conversation>();
  private readonly sessions = new Set<Http2Session>();
  private readonly parked = new Set<() => void>();

  constructor(
    private readonly host: ConversationHost,
    http1: HttpServer,
  ) {
    this.h2 = createH2Server();
    this.h2.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
      s.on('error', (err) => host.log({ region: host.state.region, event: 'h2-session-error', error: String(err) }));
    });
    this.h2.on('request', (req, res) => {
      if (CONVERSATION_PATH.test(new URL(req.url, 'http://local').pathname) && req.method === 'POST')
        this.open(req.stream, req.headers).catch((err: unknown) => {
          host.log({ region: host.state.region, event: 'conversation-failed', error: String(err) });
          if (!req.stream.destroyed) req.stream.close();
        });
      // Every other operation over HTTP/2 (the SDK's default handler) is the HTTP/1.1 handler's.
      else http1.emit('request', req, res);
    });
  }

  /** The fault changed: running conversations fail, stall or go on. */
  faultChanged(f: Fault): void {
    if (f.mode !== 'hang') for (const wake of [...this.parked]) wake();
    for (const c of [...this.conversations]) c.faultChanged(f);
  }

  close(): void {
    for (const wake of [...this.parked]) wake();
    for (const c of [...this.conversations]) c.close();
    for (const s of [...this.sessions]) s.destroy();
  }

  private async open(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const h = this.host;
    stream.on('error', () => undefined);
    const path = new URL(String(headers[':path'] ?? '/'), 'http://local').pathname;
    const m = CONVERSATION_PATH.exec(path);
    const rawParams = {
      botId: decode(m?.[1]),
      botAliasId: decode(m?.[2]),
      localeId: decode(m?.[3]),
      sessionId: decode(m?.[4]),
    };
    const modeHeader = String(headers['x-amz-lex-conversation-mode'] ?? 'AUDIO').toUpperCase();
    const record: LexRequestRecord = {
      operation: OPERATION,
      sessionId: rawParams.sessionId,
      ...(headers['content-type'] && { contentType: String(headers['content-type']) }),
      ...((modeHeader === 'AUDIO' || modeHeader === 'TEXT') && { conversationMode: modeHeader }),
    };
    h.record(record);
    const requestId = randomUUID();
    const fail = (kind: ErrorKind, message: string) => {
      const { status, type } = errorType('V2', kind);
      if (stream.destroyed || stream.headersSent) return;
      stream.respond({
        ':status': status,
        'content-type': 'application/json',
        'x-amzn-errortype': type,
        'x-amzn-requestid': requestId,
      });
      stream.end(JSON.stringify({ message }));
    };

    // Faults at the start, as for every other operation.
    for (;;) {
      const f = h.fault();
      // `nospeech` fails an AUDIO conversation only: a TEXT one recognises no speech.
      const faulted = faultError(f, h.state.region, modeHeader === 'AUDIO');
      if (faulted) return fail(faulted.kind, faulted.message);
      if (f.mode === 'hang') {
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.parked.delete(wake);
            resolve();
          };
          this.parked.add(wake);
          stream.once('close', wake);
        });
        if (stream.destroyed) return;
        continue;
      }
      // `slow` delays each answer of the conversation (see `turn`), as it delays each answer of the other APIs.
      break;
    }
    if (stream.destroyed) return;

    if (modeHeader !== 'AUDIO' && modeHeader !== 'TEXT')
      return fail('validation', `x-amz-lex-conversation-mode ${modeHeader}: must be AUDIO or TEXT`);
    let resolved: Resolved;
    try {
      resolved = resolveBot(h.state, rawParams);
    } catch (err) {
      if (err instanceof LexApiError) return fail(err.kind, err.message);
      throw err;
    }
    stream.respond({
      ':status': 200,
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': requestId,
    });
    const c = new Conversation(h, stream, resolved, modeHeader, record, () => this.conversations.delete(c));
    this.conversations.add(c);
  }
}

function decode(s: string | undefined): string {
  try {
    return decodeURIComponent(s ?? '');
  } catch {
    return s ?? '';
  }
}
