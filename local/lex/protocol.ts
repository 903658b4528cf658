/**
 * What the V1 and V2 route modules share: the route table shape, protocol errors (named per protocol
 * exactly as the AWS service models name them) and the region state the routes work on.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';
import type { LexRequestRecord, LocalBot } from './types';
import type { DialogEngine } from './dialog';
import { newSession } from './session';
import type { Session } from './session';
import type { SpeechTemplates, SynthMode } from './speech';

export type Protocol = 'V1' | 'V2';
export type ErrorKind = 'validation' | 'notfound' | 'throttled' | 'internal' | 'dependency';

/** Per kind of error: its status and its `x-amzn-errortype` per protocol, as in the Lex V2 and Lex V1 runtime models. */
const ERRORS: Record<ErrorKind, { status: number } & Record<Protocol, string>> = {
  validation: { status: 400, V2: 'ValidationException', V1: 'BadRequestException' },
  notfound: { status: 404, V2: 'ResourceNotFoundException', V1: 'NotFoundException' },
  throttled: { status: 429, V2: 'ThrottlingException', V1: 'LimitExceededException' },
  internal: { status: 500, V2: 'InternalServerException', V1: 'InternalFailureException' },
  dependency: { status: 424, V2: 'DependencyFailedException', V1: 'DependencyFailedException' },
};

/** The status and `x-amzn-errortype` a protocol answers an error of `kind` with. */
export function errorType(protocol: Protocol, kind: ErrorKind): { status: number; type: string } {
  const e = ERRORS[kind];
  return { status: e.status, type: e[protocol] };
}

/** An error the route answers with; the server maps `kind` to the protocol's status and error type. */
export class LexApiError extends Error {
  override name = 'LexApiError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface LexReply {
  status?: number;
  headers?: Record<string, string>;
  /** JSON-encoded unless a Buffer. */
  body?: unknown;
}

export interface RouteContext {
  region: RegionState;
  params: Record<string, string>;
  /** The request body as received (RecognizeUtterance sends audio). */
  rawBody: Buffer;
  /** The body parsed as JSON ({} when empty); a ValidationException/BadRequestException when it is not JSON. */
  json(): unknown;
  headers: IncomingHttpHeaders;
  query: URLSearchParams;
  /** Adds to this request's entry in the request log. */
  note(record: Partial<LexRequestRecord>): void;
}

export interface Route {
  protocol: Protocol;
  /** The counter key, e.g. `V2.RecognizeText`. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The model's URI template, e.g. `/bot/{botName}/alias/{botAlias}/user/{userId}/text`. */
  path: string;
  handle(ctx: RouteContext): Promise<LexReply>;
}

export interface RegionBot {
  bot: LocalBot;
  engine: DialogEngine;
}

/** The state the routes read and change. */
export interface RegionState {
  region: string;
  bots: RegionBot[];
  sessions: Map<string, Session>;
  now(): number;
  /** True while the `wrongintent` fault is set. */
  nluBroken(): boolean;
  /** RecognizeUtterance: the test-only recordings it understands and how it speaks replies. */
  speech: { templates: SpeechTemplates; synthesize: SynthMode };
}

/** Finds a session; expired ones (older than the bot's idle TTL) are dropped. */
export function liveSession(region: RegionState, key: string, rb: RegionBot): Session | undefined {
  const s = region.sessions.get(key);
  if (!s) return undefined;
  if (region.now() - s.lastActiveAt > rb.bot.definition.bot.idleSessionTTLInSeconds * 1000) {
    region.sessions.delete(key);
    return undefined;
  }
  return s;
}

/** The live session under `key`, or a new one named `sessionId`: either way stored and marked active now. */
export function openSession(region: RegionState, key: string, rb: RegionBot, sessionId: string): Session {
  const session = liveSession(region, key, rb) ?? newSession(sessionId, region.now());
  region.sessions.set(key, session);
  session.lastActiveAt = region.now();
  return session;
}

/** Lex V2 puts JSON in response headers gzip-compressed and base64-encoded. */
export function encodeLexHeader(value: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(value))).toString('base64');
}

/** Decodes a gzip+base64 `x-amz-lex-*` header of a Lex V2 response (PutSession, RecognizeUtterance). */
export function decodeLexHeader<T = unknown>(value: string): T {
  return JSON.parse(gunzipSync(Buffer.from(value, 'base64')).toString('utf8')) as T;
}
