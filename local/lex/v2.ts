/**
 * Lex V2 runtime routes (`com.amazonaws.lexruntimev2`, REST JSON): RecognizeText, RecognizeUtterance
 * (audio or text in, gzip+base64 `x-amz-lex-*` headers and reply audio out), PutSession, GetSession,
 * DeleteSession. StartConversation (HTTP/2 event stream) is served by `conversation-server.ts` on the same port.
 */
import { z } from 'zod';
import type { WireMessage, WireSessionState } from './session';
import type { RegionBot, RegionState, Route, RouteContext } from './protocol';
import { LexApiError, decodeLexHeader, encodeLexHeader, liveSession, openSession } from './protocol';
import { synthesize } from './speech';

export const SESSION_PATH = '/bots/{botId}/botAliases/{botAliasId}/botLocales/{localeId}/sessions/{sessionId}';

export const paramsSchema = z.object({
  botId: z.string().regex(/^[0-9a-zA-Z]{1,10}$/, { error: 'botId must be 1–10 letters or digits' }),
  botAliasId: z.string().regex(/^[0-9a-zA-Z]{1,10}$/, { error: 'botAliasId must be 1–10 letters or digits' }),
  localeId: z.string().min(1, { error: 'localeId must not be empty' }),
  sessionId: z
    .string()
    .regex(/^[0-9a-zA-Z._:-]{2,100}$/, { error: 'sessionId must be 2–100 characters of [0-9a-zA-Z._:-]' }),
});

const valueSchema = z.object({
  originalValue: z.string().optional(),
  interpretedValue: z.string(),
  resolvedValues: z.array(z.string()).optional(),
});

export const sessionStateSchema = z.object({
  dialogAction: z
    .object({
      type: z.enum(['Close', 'ConfirmIntent', 'Delegate', 'ElicitIntent', 'ElicitSlot']),
      slotToElicit: z.string().optional(),
    })
    .optional(),
  intent: z
    .object({
      name: z.string().min(1),
      slots: z
        .record(z.string(), z.object({ shape: z.string().optional(), value: valueSchema.optional() }).nullable())
        .optional(),
      state: z
        .enum(['Failed', 'Fulfilled', 'FulfillmentInProgress', 'InProgress', 'ReadyForFulfillment', 'Waiting'])
        .optional(),
      confirmationState: z.enum(['Confirmed', 'Denied', 'None']).optional(),
    })
    .optional(),
  sessionAttributes: z.record(z.string(), z.string()).optional(),
  activeContexts: z.array(z.unknown()).optional(),
  originatingRequestId: z.string().optional(),
  runtimeHints: z.unknown().optional(),
});

export const messageSchema = z.object({
  contentType: z.enum(['PlainText', 'SSML', 'CustomPayload', 'ImageResponseCard']),
  content: z.string().optional(),
});

const recognizeTextSchema = z.object({
  text: z
    .string()
    .min(1, { error: 'text must be 1–1024 characters' })
    .max(1024, { error: 'text must be 1–1024 characters' }),
  sessionState: sessionStateSchema.optional(),
  requestAttributes: z.record(z.string(), z.string()).optional(),
});

const putSessionSchema = z.object({
  sessionState: sessionStateSchema,
  messages: z.array(messageSchema).max(10).optional(),
  requestAttributes: z.record(z.string(), z.string()).optional(),
});

export function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new LexApiError(
    'validation',
    `1 validation error detected in ${what}: ${r.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ')}`,
  );
}

export interface Resolved {
  rb: RegionBot;
  params: z.infer<typeof paramsSchema>;
  key: string;
}

function resolve(ctx: RouteContext): Resolved {
  return resolveBot(ctx.region, ctx.params);
}

/** The bot, validated path parameters and session key of a V2 session path. */
export function resolveBot(region: RegionState, rawParams: Record<string, string>): Resolved {
  const params = parse(paramsSchema, rawParams, 'the request path');
  const rb = region.bots.find((b) => b.bot.botId === params.botId && b.bot.botAliasId === params.botAliasId);
  if (!rb)
    throw new LexApiError('notfound', `Bot ${params.botId} alias ${params.botAliasId} not found in ${region.region}`);
  if (rb.bot.definition.locale.localeId !== params.localeId)
    throw new LexApiError('notfound', `Locale ${params.localeId} not found for bot ${params.botId}`);
  return { rb, params, key: `V2|${params.botId}|${params.botAliasId}|${params.localeId}|${params.sessionId}` };
}

/** Request session state (wire, optional fields) → stored session state (all fields set). */
export function toState(
  s: z.infer<typeof sessionStateSchema>,
  previous: WireSessionState | undefined,
): WireSessionState {
  return {
    ...(s.dialogAction && { dialogAction: s.dialogAction }),
    ...(s.intent && {
      intent: {
        name: s.intent.name,
        slots: Object.fromEntries(
          Object.entries(s.intent.slots ?? {}).map(([k, v]) => [
            k,
            v?.value
              ? {
                  value: {
                    originalValue: v.value.originalValue ?? v.value.interpretedValue,
                    interpretedValue: v.value.interpretedValue,
                    resolvedValues: v.value.resolvedValues ?? [],
                  },
                }
              : null,
          ]),
        ),
        state: s.intent.state ?? 'InProgress',
        confirmationState: s.intent.confirmationState ?? 'None',
      },
    }),
    sessionAttributes: s.sessionAttributes ?? previous?.sessionAttributes ?? {},
  };
}

const nonEmpty = <T>(key: string, list: T[]): Record<string, T[]> => (list.length > 0 ? { [key]: list } : {});
const nonEmptyMap = (key: string, m: Record<string, string>): Record<string, Record<string, string>> =>
  Object.keys(m).length > 0 ? { [key]: m } : {};

async function recognizeText(ctx: RouteContext) {
  const { rb, params, key } = resolve(ctx);
  const body = parse(recognizeTextSchema, ctx.json(), 'RecognizeTextRequest');
  const session = openSession(ctx.region, key, rb, params.sessionId);
  if (body.sessionState) session.state = toState(body.sessionState, session.state);
  const requestAttributes = body.requestAttributes ?? {};
  ctx.note({ text: body.text, withSessionState: body.sessionState !== undefined });
  session.lastInputMode = 'Text';
  const turn = await rb.engine.recognizeText(session, body.text, requestAttributes, ctx.region.nluBroken());
  session.lastActiveAt = ctx.region.now();
  return {
    body: {
      ...nonEmpty('messages', turn.messages),
      sessionState: turn.sessionState,
      interpretations: turn.interpretations,
      sessionId: params.sessionId,
      ...nonEmptyMap('requestAttributes', requestAttributes),
    },
  };
}

/** `text` spoken as a reply body: 16-bit little-endian PCM at the reply rate (empty when there is nothing to say). */
function speak(ctx: RouteContext, text: string): Buffer {
  const audio = synthesize(text, REPLY_PCM_RATE, ctx.region.speech.synthesize);
  const body = Buffer.alloc(audio.length * 2);
  for (let i = 0; i < audio.length; i += 1) body.writeInt16LE(audio[i]!, i * 2);
  return body;
}

async function putSession(ctx: RouteContext) {
  const { rb, params, key } = resolve(ctx);
  const body = parse(putSessionSchema, ctx.json(), 'PutSessionRequest');
  const session = openSession(ctx.region, key, rb, params.sessionId);
  session.requestAttributes = body.requestAttributes ?? {};
  const messages = body.messages?.map((m): WireMessage => ({ contentType: m.contentType, content: m.content ?? '' }));
  const turn = rb.engine.putSession(session, toState(body.sessionState, session.state), messages);
  const contentType = String(ctx.headers['responsecontenttype'] ?? 'text/plain; charset=utf-8');
  // audio/pcm: the messages spoken (16 kHz), as Lex does; other formats answer without audio.
  const spoken = contentType.toLowerCase() === 'audio/pcm' ? turn.messages.map((m) => m.content).join(' ') : '';
  const audioBody = speak(ctx, spoken);
  return {
    headers: {
      'Content-Type': contentType,
      'x-amz-lex-session-id': params.sessionId,
      'x-amz-lex-session-state': encodeLexHeader(turn.sessionState),
      ...(turn.messages.length > 0 && { 'x-amz-lex-messages': encodeLexHeader(turn.messages) }),
      ...(Object.keys(session.requestAttributes).length > 0 && {
        'x-amz-lex-request-attributes': encodeLexHeader(session.requestAttributes),
      }),
    },
    body: audioBody,
  };
}

/** An unknown or expired session is a 404 ResourceNotFoundException, as for an unknown bot (the message tells them apart). */
async function getSession(ctx: RouteContext) {
  const { rb, params, key } = resolve(ctx);
  const session = liveSession(ctx.region, key, rb);
  if (!session) throw new LexApiError('notfound', `Session ${params.sessionId} not found`);
  return {
    body: {
      sessionId: params.sessionId,
      ...nonEmpty('messages', session.messages),
      interpretations: session.interpretations,
      sessionState: session.state,
    },
  };
}

async function deleteSession(ctx: RouteContext) {
  const { rb, params, key } = resolve(ctx);
  if (!liveSession(ctx.region, key, rb)) throw new LexApiError('notfound', `Session ${params.sessionId} not found`);
  ctx.region.sessions.delete(key);
  return {
    body: {
      botId: params.botId,
      botAliasId: params.botAliasId,
      localeId: params.localeId,
      sessionId: params.sessionId,
    },
  };
}

/** Request audio formats Lex V2 accepts (PCM little-endian; Opus is not decoded here), with their sample rates. */
export function requestFormat(contentType: string): { kind: 'pcm'; rate: number } | { kind: 'text' } | undefined {
  const ct = contentType.toLowerCase().replace(/\s+/g, '');
  if (ct === 'text/plain;charset=utf-8') return { kind: 'text' };
  if (ct === 'audio/l16;rate=16000;channels=1' || ct === 'audio/x-l16;sample-rate=16000;channel-count=1')
    return { kind: 'pcm', rate: 16000 };
  if (ct === 'audio/lpcm;sample-rate=8000;sample-size-bits=16;channel-count=1;is-big-endian=false')
    return { kind: 'pcm', rate: 8000 };
  return undefined;
}

/** Reply formats: Lex V2 also offers audio/mpeg and audio/ogg, which the local regions cannot encode. */
export const REPLY_PCM_RATE = 16000;
function replyFormat(accept: string): 'pcm' | 'text' {
  const a = accept.toLowerCase().replace(/\s+/g, '');
  if (a === 'audio/pcm') return 'pcm';
  if (a.startsWith('text/plain')) return 'text';
  throw new LexApiError(
    'validation',
    `responseContentType ${accept}: the local Lex regions answer audio/pcm (16 kHz) or text/plain; charset=utf-8`,
  );
}

function headerJson<T>(ctx: RouteContext, name: string, schema: z.ZodType<T>): T | undefined {
  const raw = ctx.headers[name];
  if (typeof raw !== 'string' || raw === '') return undefined;
  let json: unknown;
  try {
    json = decodeLexHeader(raw);
  } catch {
    throw new LexApiError('validation', `${name} must be gzip-compressed, base64-encoded JSON`);
  }
  return parse(schema, json, name);
}

/**
 * RecognizeUtterance: the request body is the audio; the session state and request attributes come in
 * gzip+base64 headers; the reply is audio with the messages, state, interpretations and transcript in
 * gzip+base64 `x-amz-lex-*` headers. What the caller said comes from the test-only recording registry.
 */
async function recognizeUtterance(ctx: RouteContext) {
  const { rb, params, key } = resolve(ctx);
  const contentType = String(ctx.headers['content-type'] ?? '');
  const format = requestFormat(contentType);
  if (!format)
    throw new LexApiError(
      'validation',
      `Content-Type ${contentType || '(none)'} is not a supported requestContentType (PCM: audio/l16; rate=16000; channels=1, audio/x-l16; sample-rate=16000; channel-count=1, audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false; or text/plain; charset=utf-8)`,
    );
  const responseContentType = String(ctx.headers['response-content-type'] ?? 'audio/pcm');
  const reply = replyFormat(responseContentType);
  const sessionState = headerJson(ctx, 'x-amz-lex-session-state', sessionStateSchema);
  const requestAttributes = headerJson(ctx, 'x-amz-lex-request-attributes', z.record(z.string(), z.string())) ?? {};

  let transcript: string;
  if (format.kind === 'text') transcript = ctx.rawBody.toString('utf8');
  else {
    const b = ctx.rawBody;
    const pcm = new Int16Array(Math.floor(b.length / 2));
    for (let i = 0; i < pcm.length; i += 1) pcm[i] = b.readInt16LE(i * 2);
    transcript = ctx.region.speech.templates.recognize(pcm, format.rate)?.transcript ?? '';
  }
  ctx.note({
    responseContentType,
    bytes: ctx.rawBody.length,
    transcript,
    withSessionState: sessionState !== undefined,
  });

  const session = openSession(ctx.region, key, rb, params.sessionId);
  if (sessionState) session.state = toState(sessionState, session.state);
  session.lastInputMode = format.kind === 'text' ? 'Text' : 'Speech';
  const turn = await rb.engine.recognizeText(session, transcript, requestAttributes, ctx.region.nluBroken());
  session.lastActiveAt = ctx.region.now();

  const spoken = turn.messages.map((m) => m.content).join(' ');
  const body = reply === 'pcm' ? speak(ctx, spoken) : Buffer.alloc(0);
  return {
    headers: {
      'Content-Type': responseContentType,
      'x-amz-lex-session-id': params.sessionId,
      'x-amz-lex-input-mode': format.kind === 'text' ? 'Text' : 'Speech',
      'x-amz-lex-input-transcript': encodeLexHeader(transcript),
      'x-amz-lex-session-state': encodeLexHeader(turn.sessionState),
      'x-amz-lex-interpretations': encodeLexHeader(turn.interpretations),
      ...(turn.messages.length > 0 && { 'x-amz-lex-messages': encodeLexHeader(turn.messages) }),
      ...(Object.keys(requestAttributes).length > 0 && {
        'x-amz-lex-request-attributes': encodeLexHeader(requestAttributes),
      }),
    },
    body,
  };
}

/** The Lex V2 operations served, with their HTTP bindings from the service model. */
export const v2Routes: Route[] = [
  {
    protocol: 'V2',
    operation: 'V2.RecognizeText',
    method: 'POST',
    path: `${SESSION_PATH}/text`,
    handle: recognizeText,
  },
  { protocol: 'V2', operation: 'V2.PutSession', method: 'POST', path: SESSION_PATH, handle: putSession },
  { protocol: 'V2', operation: 'V2.GetSession', method: 'GET', path: SESSION_PATH, handle: getSession },
  { protocol: 'V2', operation: 'V2.DeleteSession', method: 'DELETE', path: SESSION_PATH, handle: deleteSession },
  {
    protocol: 'V2',
    operation: 'V2.RecognizeUtterance',
    method: 'POST',
    path: `${SESSION_PATH}/utterance`,
    handle: recognizeUtterance,
  },
];
