/**
 * A region's control API under `/_lexdr/` (same server as the runtime): `GET|PUT /_lexdr/fault`,
 * `GET /_lexdr/health`, `GET /_lexdr/stats`, `GET /_lexdr/sessions`, `GET /_lexdr/progress[?sessionId=]`,
 * `GET /_lexdr/requests`, the test-only speech registry `PUT /_lexdr/speech` and the per-intent fulfillment
 * delay `GET|PUT /_lexdr/fulfillment`.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { valueAt } from '../../core/errors';
import type { FulfillmentDelays } from './clock';
import type { ProgressEvent } from './session';
import { faultSchema } from './faults';
import type { LexReply } from './protocol';
import type { RequestLog } from './request-log';
import type { SpeechTemplates } from './speech';
import type { Fault } from './types';

const speechTemplateSchema = z.object({
  transcript: z.string().min(1, { error: 'transcript must not be empty' }),
  ulaw: z.base64({ error: 'ulaw must be base64 8 kHz μ-law audio' }).min(4),
});

const fulfillmentDelaySchema = z.object({
  intent: z.string().min(1, { error: 'intent must name an intent of the bot' }),
  delayMs: z
    .number({ error: 'delayMs must be a number of milliseconds 0–900000, or null to clear' })
    .int({ error: 'delayMs must be a whole number of milliseconds' })
    .min(0, { error: 'delayMs must be 0–900000' })
    .max(900_000, { error: 'delayMs must be 0–900000' })
    .nullable()
    .optional(),
});

export interface AdminTarget {
  region: string;
  /** Sessions held. */
  liveSessions(): number;
  requests: RequestLog;
  progress(sessionId?: string): ProgressEvent[];
  templates: SpeechTemplates;
  delayed: FulfillmentDelays | undefined;
  fault(): Fault;
  /** Sets the fault; returns it as set. */
  setFault(f: Fault): Fault;
}

export type AdminApi = (req: IncomingMessage, path: string, body: Buffer) => Promise<LexReply>;

export function adminApi(t: AdminTarget): AdminApi {
  return async (req, path, body) => {
    if (path === '/_lexdr/health' && req.method === 'GET') return { body: { status: 'ok', region: t.region } };
    if (path === '/_lexdr/sessions' && req.method === 'GET') return { body: { live: t.liveSessions() } };
    if (path === '/_lexdr/stats' && req.method === 'GET') return { body: t.requests.stats() };
    if (path === '/_lexdr/progress' && req.method === 'GET') {
      const id = new URL(req.url ?? '/', 'http://x').searchParams.get('sessionId') ?? undefined;
      return { body: t.progress(id) };
    }
    if (path === '/_lexdr/requests' && req.method === 'GET') return { body: t.requests.entries() };
    if (path === '/_lexdr/speech' && req.method === 'PUT') {
      const parsed = jsonBody(body, '{"transcript": "...", "ulaw": "<base64>"}');
      if ('refused' in parsed) return parsed.refused;
      const r = speechTemplateSchema.safeParse(parsed.json);
      if (!r.success) return { status: 400, body: { message: r.error.issues.map((i) => i.message).join('; ') } };
      const { mulaw } = await import('alawmulaw');
      t.templates.register(mulaw.decode(Buffer.from(r.data.ulaw, 'base64')), 8000, r.data.transcript);
      return { body: { registered: r.data.transcript, templates: t.templates.size } };
    }
    if (path === '/_lexdr/fulfillment') return fulfillmentAdmin(req.method ?? 'GET', body, t.delayed);
    if (path === '/_lexdr/fault' && req.method === 'GET') return { body: t.fault() };
    if (path === '/_lexdr/fault' && req.method === 'PUT') {
      const parsed = jsonBody(body, '{"mode": "...", "latencyMs"?: n}');
      if ('refused' in parsed) return parsed.refused;
      const { json } = parsed;
      const r = faultSchema.safeParse(json);
      if (!r.success)
        return {
          status: 400,
          body: {
            message: r.error.issues
              .map(
                (i) =>
                  `${i.path.join('.') || 'body'}: got ${JSON.stringify(valueAt(json, i.path)) ?? 'nothing'}; ${i.message}`,
              )
              .join('; '),
          },
        };
      return { body: t.setFault(r.data) };
    }
    return { status: 404, body: { message: `no admin endpoint ${req.method} ${path}` } };
  };
}

/** `GET|PUT /_lexdr/fulfillment` (`{"intent": "OrderFlowers", "delayMs": 12000}`; `null` clears). */
function fulfillmentAdmin(method: string, body: Buffer, delays: FulfillmentDelays | undefined): LexReply {
  if (method === 'GET') return { body: delays?.all() ?? {} };
  if (method !== 'PUT') return { status: 404, body: { message: `no admin endpoint ${method} /_lexdr/fulfillment` } };
  const parsed = jsonBody(body, '{"intent": "...", "delayMs": n | null}');
  if ('refused' in parsed) return parsed.refused;
  const r = fulfillmentDelaySchema.safeParse(parsed.json);
  if (!r.success) return { status: 400, body: { message: r.error.issues.map((i) => i.message).join('; ') } };
  if (!delays) return { status: 409, body: { message: 'this region has no fulfillment code hook to delay' } };
  delays.set(r.data.intent, r.data.delayMs ?? undefined);
  return { body: delays.all() };
}

/** The body as JSON (empty: `null`), or the 400 that says what it must be. */
function jsonBody(body: Buffer, shape: string): { json: unknown } | { refused: LexReply } {
  try {
    return { json: JSON.parse(body.toString('utf8') || 'null') as unknown };
  } catch {
    return { refused: { status: 400, body: { message: `body must be JSON: ${shape}` } } };
  }
}
