/**
 * Lex V1 runtime routes (`com.amazonaws.lexruntimeservice`, REST JSON): PostText, PutSession,
 * GetSession, DeleteSession. The V1 bot is the same definition as the V2 bot, reached by its V1
 * name and alias; the session state is kept in V2 shape and mapped here.
 */
import { z } from 'zod';
import type { Session, WireIntent, WireSessionState } from './session';
import { newSession } from './session';
import { newV1SessionId } from './ids';
import type { RegionBot, Route, RouteContext } from './protocol';
import { LexApiError, liveSession } from './protocol';

const USER_PATH = '/bot/{botName}/alias/{botAlias}/user/{userId}';

const paramsSchema = z.object({
  botName: z
    .string()
    .regex(/^[a-zA-Z_]+$|^[0-9a-zA-Z][_-]?([0-9a-zA-Z][_-]?)*$/, { error: 'botName is not a valid bot name' }),
  botAlias: z.string().min(1, { error: 'botAlias must not be empty' }),
  userId: z.string().regex(/^[0-9a-zA-Z._:-]{2,100}$/, { error: 'userId must be 2–100 characters of [0-9a-zA-Z._:-]' }),
});

const stringMap = z.record(z.string(), z.string());

const postTextSchema = z.object({
  inputText: z
    .string()
    .min(1, { error: 'inputText must be 1–1024 characters' })
    .max(1024, { error: 'inputText must be 1–1024 characters' }),
  sessionAttributes: stringMap.optional(),
  requestAttributes: stringMap.optional(),
  activeContexts: z.array(z.unknown()).optional(),
});

const putSessionSchema = z.object({
  sessionAttributes: stringMap.optional(),
  dialogAction: z
    .object({
      type: z.enum(['ElicitIntent', 'ConfirmIntent', 'ElicitSlot', 'Close', 'Delegate']),
      intentName: z.string().optional(),
      slots: z.record(z.string(), z.string().nullable()).optional(),
      slotToElicit: z.string().optional(),
      fulfillmentState: z.enum(['Fulfilled', 'Failed', 'ReadyForFulfillment']).optional(),
      message: z.string().optional(),
      messageFormat: z.string().optional(),
    })
    .optional(),
  recentIntentSummaryView: z.array(z.unknown()).optional(),
  activeContexts: z.array(z.unknown()).optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new LexApiError(
    'validation',
    r.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '),
  );
}

interface V1Session extends Session {
  v1SessionId?: string;
}

function resolve(ctx: RouteContext): { rb: RegionBot; params: z.infer<typeof paramsSchema>; key: string } {
  const params = parse(paramsSchema, ctx.params);
  const rb = ctx.region.bots.find((b) => b.bot.botName === params.botName && b.bot.botAlias === params.botAlias);
  if (!rb)
    throw new LexApiError(
      'notfound',
      `Bot ${params.botName} alias ${params.botAlias} not found in ${ctx.region.region}`,
    );
  return { rb, params, key: `V1|${params.botName}|${params.botAlias}|${params.userId}` };
}

function session(ctx: RouteContext, rb: RegionBot, key: string): V1Session {
  const now = ctx.region.now();
  let s: V1Session | undefined = liveSession(ctx.region, key, rb);
  if (!s) {
    const id = newV1SessionId(now);
    s = { ...newSession(id, now), v1SessionId: id };
    ctx.region.sessions.set(key, s);
  }
  s.lastActiveAt = now;
  return s;
}

/** V1 slots: name → interpreted value (null when empty). */
function slotsOf(intent: WireIntent | undefined): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(intent?.slots ?? {}).map(([k, v]) => [k, v?.value.interpretedValue ?? null]),
  );
}

/** V2 dialog action + intent state → V1 dialogState. */
function dialogState(st: WireSessionState): string {
  const type = st.dialogAction?.type ?? 'ElicitIntent';
  if (type === 'ElicitSlot' || type === 'ConfirmIntent' || type === 'ElicitIntent') return type;
  const state = st.intent?.state;
  if (state === 'Fulfilled' || state === 'Failed' || state === 'ReadyForFulfillment') return state;
  return 'ReadyForFulfillment';
}

const fulfillmentState = (st: WireSessionState): string | undefined => {
  const s = st.intent?.state;
  return s === 'Fulfilled' || s === 'Failed' || s === 'ReadyForFulfillment' ? s : undefined;
};

const joinMessages = (s: Session): string | undefined =>
  s.messages.length > 0 ? s.messages.map((m) => m.content).join(' ') : undefined;

const b64json = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64');

async function postText(ctx: RouteContext) {
  const { rb, key } = resolve(ctx);
  const body = parse(postTextSchema, ctx.json());
  const s = session(ctx, rb, key);
  if (body.sessionAttributes) s.state.sessionAttributes = body.sessionAttributes;
  const turn = await rb.engine.recognizeText(s, body.inputText, body.requestAttributes ?? {}, ctx.region.nluBroken());
  const st = turn.sessionState;
  const top = turn.interpretations[0];
  const message = joinMessages(s);
  return {
    body: {
      intentName: st.intent?.name,
      ...(top?.nluConfidence && { nluIntentConfidence: { score: top.nluConfidence.score } }),
      alternativeIntents: turn.interpretations.slice(1).map((i) => ({
        intentName: i.intent.name,
        ...(i.nluConfidence && { nluIntentConfidence: { score: i.nluConfidence.score } }),
        slots: slotsOf(i.intent),
      })),
      slots: slotsOf(st.intent),
      sessionAttributes: st.sessionAttributes,
      ...(message !== undefined && { message, messageFormat: 'PlainText' }),
      dialogState: dialogState(st),
      ...(st.dialogAction?.slotToElicit && { slotToElicit: st.dialogAction.slotToElicit }),
      sessionId: s.v1SessionId,
      botVersion: '1',
      activeContexts: [],
    },
  };
}

async function putSession(ctx: RouteContext) {
  const { rb, key } = resolve(ctx);
  const body = parse(putSessionSchema, ctx.json());
  const s = session(ctx, rb, key);
  const a = body.dialogAction;
  const intentDef = a?.intentName ? rb.engine.definition.intents.find((i) => i.name === a.intentName) : undefined;
  if (a?.intentName && !intentDef)
    throw new LexApiError('validation', `dialogAction.intentName: intent ${a.intentName} does not exist`);
  const slots: WireIntent['slots'] = Object.fromEntries((intentDef?.slots ?? []).map((sl) => [sl.name, null]));
  for (const [k, v] of Object.entries(a?.slots ?? {}))
    slots[k] = v === null ? null : { value: { originalValue: v, interpretedValue: v, resolvedValues: [v] } };
  const state: WireSessionState = {
    ...(a && { dialogAction: { type: a.type, ...(a.slotToElicit && { slotToElicit: a.slotToElicit }) } }),
    ...(a?.intentName && {
      intent: {
        name: a.intentName,
        slots,
        state: a.type === 'Close' ? (a.fulfillmentState ?? 'Fulfilled') : 'InProgress',
        confirmationState: 'None',
      },
    }),
    sessionAttributes: body.sessionAttributes ?? s.state.sessionAttributes,
  };
  const messages = a?.message !== undefined ? [{ contentType: 'PlainText' as const, content: a.message }] : undefined;
  const turn = rb.engine.putSession(s, state, messages);
  const message = joinMessages(s);
  const ascii = message !== undefined && /^[\x20-\x7e]*$/.test(message);
  return {
    headers: {
      'Content-Type': String(ctx.headers['accept'] ?? 'text/plain; charset=utf-8'),
      ...(turn.sessionState.intent && { 'x-amz-lex-intent-name': turn.sessionState.intent.name }),
      'x-amz-lex-slots': b64json(slotsOf(turn.sessionState.intent)),
      'x-amz-lex-session-attributes': b64json(turn.sessionState.sessionAttributes),
      ...(message !== undefined && { 'x-amz-lex-encoded-message': Buffer.from(message).toString('base64') }),
      ...(ascii && { 'x-amz-lex-message': message }),
      ...(message !== undefined && { 'x-amz-lex-message-format': 'PlainText' }),
      'x-amz-lex-dialog-state': dialogState(turn.sessionState),
      ...(turn.sessionState.dialogAction?.slotToElicit && {
        'x-amz-lex-slot-to-elicit': turn.sessionState.dialogAction.slotToElicit,
      }),
      'x-amz-lex-session-id': s.v1SessionId ?? s.sessionId,
      'x-amz-lex-active-contexts': b64json([]),
    },
    body: Buffer.alloc(0),
  };
}

async function getSession(ctx: RouteContext) {
  const { rb, params, key } = resolve(ctx);
  const s: V1Session | undefined = liveSession(ctx.region, key, rb);
  if (!s) throw new LexApiError('notfound', `Session for user ${params.userId} not found`);
  const st = s.state;
  const message = joinMessages(s);
  const type = st.dialogAction?.type ?? 'ElicitIntent';
  const fs = fulfillmentState(st);
  return {
    body: {
      recentIntentSummaryView: st.intent
        ? [
            {
              intentName: st.intent.name,
              slots: slotsOf(st.intent),
              confirmationStatus: st.intent.confirmationState,
              dialogActionType: type,
              ...(type === 'Close' && fs && { fulfillmentState: fs }),
              ...(st.dialogAction?.slotToElicit && { slotToElicit: st.dialogAction.slotToElicit }),
            },
          ]
        : [],
      sessionAttributes: st.sessionAttributes,
      sessionId: s.v1SessionId,
      dialogAction: {
        type,
        ...(st.intent && { intentName: st.intent.name, slots: slotsOf(st.intent) }),
        ...(st.dialogAction?.slotToElicit && { slotToElicit: st.dialogAction.slotToElicit }),
        ...(type === 'Close' && fs && { fulfillmentState: fs }),
        ...(message !== undefined && { message, messageFormat: 'PlainText' }),
      },
      activeContexts: [],
    },
  };
}

async function deleteSession(ctx: RouteContext) {
  const { rb, params, key } = resolve(ctx);
  const s: V1Session | undefined = liveSession(ctx.region, key, rb);
  if (!s) throw new LexApiError('notfound', `Session for user ${params.userId} not found`);
  ctx.region.sessions.delete(key);
  return {
    body: { botName: params.botName, botAlias: params.botAlias, userId: params.userId, sessionId: s.v1SessionId },
  };
}

/** The Lex V1 operations served (PostContent, audio, is not). */
export const v1Routes: Route[] = [
  { protocol: 'V1', operation: 'V1.PostText', method: 'POST', path: `${USER_PATH}/text`, handle: postText },
  { protocol: 'V1', operation: 'V1.PutSession', method: 'POST', path: `${USER_PATH}/session`, handle: putSession },
  { protocol: 'V1', operation: 'V1.GetSession', method: 'GET', path: `${USER_PATH}/session`, handle: getSession },
  {
    protocol: 'V1',
    operation: 'V1.DeleteSession',
    method: 'DELETE',
    path: `${USER_PATH}/session`,
    handle: deleteSession,
  },
];
