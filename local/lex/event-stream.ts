/**
 * The AWS event-stream framing of StartConversation, through the SDK's own codec (`EventStreamCodec` of
 * `@smithy/core/event-streams`): output events and exceptions encoded, the request body split into input events
 * (a signed envelope, `:chunk-signature`, carries one event as its body).
 */
import { EventStreamCodec } from '@smithy/core/event-streams';
import { LexApiError } from './protocol';

const utf8 = new TextEncoder();
const fromUtf8 = (s: string) => utf8.encode(s);
const toUtf8 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
const codec = new EventStreamCodec(toUtf8, fromUtf8);

type Headers = Parameters<EventStreamCodec['encode']>[0]['headers'];
const str = (value: string) => ({ type: 'string' as const, value });

/** One output event, its payload as JSON. */
export function encodeEvent(eventType: string, payload: object): Uint8Array {
  const headers: Headers = {
    ':message-type': str('event'),
    ':event-type': str(eventType),
    ':content-type': str('application/json'),
  };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

/** One modeled exception (`{ message }`). */
export function encodeException(exceptionType: string, message: string): Uint8Array {
  const headers: Headers = {
    ':message-type': str('exception'),
    ':exception-type': str(exceptionType),
    ':content-type': str('application/json'),
  };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify({ message })) });
}

/** One input event: its `:event-type` and its JSON payload. */
export interface InputEvent {
  type: string;
  json: unknown;
}

/** Splits a request body, as it arrives, into input events. */
export class EventStreamReader {
  private inbox = Buffer.alloc(0);

  /**
   * Adds a chunk; yields each complete event in turn (stop iterating to leave the rest unread). Throws a
   * validation `LexApiError` for a message that is not an event or not JSON, and the codec's error for a
   * malformed message.
   */
  *read(chunk: Buffer): Generator<InputEvent> {
    this.inbox = Buffer.concat([this.inbox, chunk]);
    while (this.inbox.length >= 4) {
      const total = this.inbox.readUInt32BE(0);
      if (total < 16 || total > 16 * 1024 * 1024)
        throw new LexApiError('validation', `bad event-stream message length ${total}`);
      if (this.inbox.length < total) return;
      const bytes = this.inbox.subarray(0, total);
      this.inbox = this.inbox.subarray(total);
      let msg = codec.decode(bytes);
      // A signed envelope (`:chunk-signature`) carries the event as its body; an empty body ends the input.
      if (msg.headers[':chunk-signature'] && !msg.headers[':message-type']) {
        if (msg.body.length === 0) continue;
        msg = codec.decode(msg.body);
      }
      const type = msg.headers[':event-type']?.value;
      if (msg.headers[':message-type']?.value !== 'event' || typeof type !== 'string')
        throw new LexApiError('validation', 'every input message must be an event with an :event-type header');
      let json: unknown;
      try {
        json = JSON.parse(toUtf8(msg.body) || '{}');
      } catch {
        throw new LexApiError('validation', `${type}: the payload is not JSON`);
      }
      yield { type, json };
    }
  }
}
