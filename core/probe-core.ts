/**
 * Probes one bot in one region. Pure of configuration: clients, clock and session IDs are parameters.
 * A failed probe is data (`ok: false` with a reason), never an exception: the workflow branches on it.
 */
import {
  DeleteSessionCommand,
  PutSessionCommand,
  RecognizeTextCommand,
  RecognizeUtteranceCommand,
  StartConversationCommand,
} from '@aws-sdk/client-lex-runtime-v2';
import type {
  LexRuntimeV2Client,
  StartConversationRequestEventStream,
  StartConversationResponseEventStream,
} from '@aws-sdk/client-lex-runtime-v2';
import type { LexRuntimeServiceClient } from '@aws-sdk/client-lex-runtime-service';
import { EventQueue } from './event-queue';
import { lexV1Sdk } from './lex-v1';
import { ProbeSetupError, WrongIntentError } from './probe-errors';
import { PROBE_DETAIL_MAX_CHARS } from './probe-schema';
import type { ProbeReason, ProbeRequest, ProbeResult } from './probe-schema';
import { readSpeechReply, speechRequest } from './speech-probe';

export { probeEventSchema, probeReasons, probeSpecSchema, probeTargetSchema } from './probe-schema';
export type { ProbeEvent, ProbeReason, ProbeRequest, ProbeResult, ProbeSpec, ProbeTarget } from './probe-schema';

const clip = (s: string) => (s.length > PROBE_DETAIL_MAX_CHARS ? `${s.slice(0, PROBE_DETAIL_MAX_CHARS - 1)}…` : s);

export interface ProbeDeps {
  lexV2(region: string): LexRuntimeV2Client;
  lexV1(region: string): LexRuntimeServiceClient;
  /** An HTTP/2 Lex V2 client (StartConversation is HTTP/2 only), for the `stream` method. */
  lexV2Stream?(region: string): LexRuntimeV2Client;
  now(): number;
  sessionId(): string;
  /** Called with the whole error of a failed probe (its result carries a clipped detail). */
  onError?(err: unknown, req: ProbeRequest): void;
  /** Called when cleaning up the probe session fails (the probe result stands). */
  onCleanupError?(err: unknown, req: ProbeRequest): void;
}

/** Maps an SDK or network error to a probe reason. */
export function classifyError(err: unknown): ProbeReason {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const name = e?.name ?? '';
  const status = e?.$metadata?.httpStatusCode;
  if (name === 'WrongIntentError') return 'wrong-intent';
  if (['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException'].includes(name)) return 'timeout';
  if (['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException'].includes(name) || status === 429)
    return 'throttled';
  if (['ResourceNotFoundException', 'NotFoundException'].includes(name) || status === 404) return 'not-found';
  if (['AccessDeniedException', 'UnrecognizedClientException'].includes(name) || status === 403) return 'access-denied';
  if (status !== undefined && status >= 500) return 'server-error';
  if (
    [
      'InternalServerException',
      'InternalFailureException',
      'BadGatewayException',
      'DependencyFailedException',
      'ServiceUnavailableException',
    ].includes(name)
  )
    return 'server-error';
  const code = e?.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', 'ETIMEDOUT'].includes(code)) {
    return code === 'ETIMEDOUT' ? 'timeout' : 'unreachable';
  }
  if (status !== undefined && status >= 400) return 'client-error';
  return 'unreachable';
}

async function drain(body: unknown): Promise<void> {
  const b = body as { transformToByteArray?: () => Promise<Uint8Array>; destroy?: () => void } | undefined;
  if (b?.transformToByteArray) await b.transformToByteArray();
  else b?.destroy?.();
}

/** Passes when Lex recognised the expected intent and (if one is expected) elicits the expected slot next. */
function expectRecognised(req: ProbeRequest, intent: string | undefined, slot: string | undefined, heard = ''): void {
  if (intent !== req.expectedIntent) throw new WrongIntentError(`recognised ${intent ?? 'no intent'}${heard}`);
  if (req.expectedSlot && slot !== req.expectedSlot)
    throw new WrongIntentError(`eliciting ${slot ?? 'no slot'}, expected ${req.expectedSlot}`);
}

/** The probing call of each method; resolves when the bot answered as a healthy bot does. */
async function call(req: ProbeRequest, deps: ProbeDeps, sessionId: string, signal: AbortSignal): Promise<void> {
  const v2 = { botId: req.botId, botAliasId: req.botAliasId, localeId: req.localeId, sessionId };
  switch (req.method) {
    case 'liveness': {
      const out = await deps
        .lexV2(req.region)
        .send(new PutSessionCommand({ ...v2, sessionState: { dialogAction: { type: 'ElicitIntent' } } }), {
          abortSignal: signal,
        });
      await drain(out.audioStream);
      return;
    }
    case 'nlu': {
      const out = await deps
        .lexV2(req.region)
        .send(new RecognizeTextCommand({ ...v2, text: req.utterance }), { abortSignal: signal });
      const intent = out.interpretations?.[0]?.intent?.name ?? out.sessionState?.intent?.name;
      expectRecognised(req, intent, out.sessionState?.dialogAction?.slotToElicit);
      return;
    }
    case 'speech': {
      // What callers do: the recorded probe phrase, recognised from speech.
      const out = await deps
        .lexV2(req.region)
        .send(new RecognizeUtteranceCommand(speechRequest(v2)), { abortSignal: signal });
      await drain(out.audioStream);
      const reply = readSpeechReply(out);
      expectRecognised(req, reply.intent, reply.slotToElicit, ` (heard "${reply.transcript ?? ''}")`);
      return;
    }
    case 'stream':
      return converse(req, deps, v2, signal);
    case 'v1-putsession':
    case 'v1-posttext': {
      if (!req.v1) throw new WrongIntentError('no Lex V1 bot name/alias configured');
      const v1 = { botName: req.v1.botName, botAlias: req.v1.botAlias, userId: sessionId };
      const { PostTextCommand, PutSessionCommand: PutSessionV1Command } = lexV1Sdk();
      if (req.method === 'v1-putsession') {
        const out = await deps
          .lexV1(req.region)
          .send(new PutSessionV1Command({ ...v1, dialogAction: { type: 'ElicitIntent' } }), { abortSignal: signal });
        await drain(out.audioStream);
        return;
      }
      const out = await deps
        .lexV1(req.region)
        .send(new PostTextCommand({ ...v1, inputText: req.utterance }), { abortSignal: signal });
      if (out.intentName !== req.expectedIntent) throw new WrongIntentError(`recognised ${out.intentName ?? 'none'}`);
      if (req.expectedSlot && out.slotToElicit !== req.expectedSlot)
        throw new WrongIntentError(`eliciting ${out.slotToElicit ?? 'no slot'}, expected ${req.expectedSlot}`);
      return;
    }
  }
}

/**
 * `stream`: the callers' API. A StartConversation in TEXT mode sends the sample utterance; the probe passes on
 * the first IntentResultEvent naming the expected intent (and slot). An exception event fails it with the
 * modeled error; the abort signal bounds the whole conversation (heartbeats keep a stalled stream busy).
 */
async function converse(
  req: ProbeRequest,
  deps: ProbeDeps,
  v2: { botId: string; botAliasId: string; localeId: string; sessionId: string },
  signal: AbortSignal,
): Promise<void> {
  if (!deps.lexV2Stream) throw new ProbeSetupError('the stream method needs an HTTP/2 Lex V2 client');
  const input = new EventQueue<StartConversationRequestEventStream>();
  input.push({ ConfigurationEvent: { responseContentType: 'text/plain; charset=utf-8' } });
  input.push({ TextInputEvent: { text: req.utterance } });
  const aborted = new Promise<never>((_, reject) => {
    const fail = () =>
      reject(Object.assign(new Error('the conversation did not answer in time'), { name: 'AbortError' }));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    const out = await Promise.race([
      deps
        .lexV2Stream(req.region)
        .send(new StartConversationCommand({ ...v2, conversationMode: 'TEXT', requestEventStream: input }), {
          abortSignal: signal,
        }),
      aborted,
    ]);
    const events = out.responseEventStream;
    if (!events) throw new WrongIntentError('StartConversation returned no event stream');
    const result = await Promise.race([firstIntentResult(events), aborted]);
    const intent = result.interpretations?.[0]?.intent?.name ?? result.sessionState?.intent?.name;
    expectRecognised(req, intent, result.sessionState?.dialogAction?.slotToElicit);
  } finally {
    // Ending the input lets Lex end the conversation; the session itself is deleted by the cleanup.
    input.end();
  }
}

async function firstIntentResult(events: AsyncIterable<StartConversationResponseEventStream>) {
  for await (const ev of events) if (ev.IntentResultEvent) return ev.IntentResultEvent;
  throw new WrongIntentError('the conversation ended without an intent result');
}

async function cleanup(req: ProbeRequest, deps: ProbeDeps, sessionId: string): Promise<void> {
  const signal = AbortSignal.timeout(req.timeoutMs);
  try {
    if (req.method === 'liveness' || req.method === 'nlu' || req.method === 'stream' || req.method === 'speech') {
      await deps.lexV2(req.region).send(
        new DeleteSessionCommand({
          botId: req.botId,
          botAliasId: req.botAliasId,
          localeId: req.localeId,
          sessionId,
        }),
        { abortSignal: signal },
      );
    } else if (req.v1) {
      const { DeleteSessionCommand: DeleteSessionV1Command } = lexV1Sdk();
      await deps
        .lexV1(req.region)
        .send(new DeleteSessionV1Command({ botName: req.v1.botName, botAlias: req.v1.botAlias, userId: sessionId }), {
          abortSignal: signal,
        });
    }
  } catch (err) {
    deps.onCleanupError?.(err, req);
  }
}

/** Probes one bot in one region within `timeoutMs`; classifies any failure. */
export async function probe(req: ProbeRequest, deps: ProbeDeps): Promise<ProbeResult> {
  const base = { bot: req.bot, region: req.region, method: req.method };
  if (req.drillFail) return { ...base, ok: false, reason: 'drill', latencyMs: -1, detail: 'failed by a drill' };
  const sessionId = deps.sessionId();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), req.timeoutMs);
  const started = deps.now();
  let result: ProbeResult;
  try {
    await call(req, deps, sessionId, controller.signal);
    const latencyMs = Math.round(deps.now() - started);
    result =
      latencyMs > req.latencyBudgetMs
        ? {
            ...base,
            ok: false,
            reason: 'slow',
            latencyMs,
            detail: `${latencyMs} ms > budget ${req.latencyBudgetMs} ms`,
          }
        : { ...base, ok: true, reason: 'ok', latencyMs };
  } catch (err) {
    const latencyMs = Math.round(deps.now() - started);
    const reason = controller.signal.aborted ? 'timeout' : classifyError(err);
    const e = err as Error;
    deps.onError?.(err, req);
    result = {
      ...base,
      ok: false,
      reason,
      latencyMs,
      detail: clip(`${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`),
    };
  } finally {
    clearTimeout(timer);
  }
  // A session exists only when Lex answered; cleaning up a hung or missing bot would only add latency.
  if (result.ok || result.reason === 'wrong-intent' || result.reason === 'slow') await cleanup(req, deps, sessionId);
  return result;
}
