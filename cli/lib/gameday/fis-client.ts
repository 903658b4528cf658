/**
 * The few AWS Fault Injection Service calls `lexdr gameday run --aws` makes (find a template, start an experiment,
 * follow it, stop it), over FIS's REST-JSON API, signed with the SDK's own SigV4 signer and credential chain.
 * `@aws-sdk/client-fis` is not available at the version of the project's other AWS clients (the registry offers only
 * releases of an older SDK generation, which would pull in a second copy of the SDK), so the CLI speaks the API
 * itself; every answer is validated before use.
 */
import { createHash, createHmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { z } from 'zod';

/** An error FIS answered (its error type as the name: `ValidationException`, `ResourceNotFoundException`…). */
export class FisApiError extends Error {
  override name: string;
  constructor(
    type: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = type;
  }
}

/** An answer from FIS that is not the shape its API documents. */
export class FisAnswerError extends Error {
  override name = 'FisAnswerError';
}

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data): Buffer =>
  typeof d === 'string'
    ? Buffer.from(d, 'utf8')
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d);

/** SHA-256 (an HMAC with a secret) as the signer wants it. */
class Sha256 {
  private hash;
  constructor(secret?: Data) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(d: Data): void {
    this.hash.update(bytes(d));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

const epoch = z.union([z.number(), z.string()]).transform((v) => new Date(typeof v === 'number' ? v * 1000 : v));
const tags = z.record(z.string(), z.string()).optional().default({});

const templateSummary = z.object({ id: z.string(), description: z.string().optional(), tags });
export type TemplateSummary = z.infer<typeof templateSummary>;

const template = z.object({
  id: z.string(),
  description: z.string().optional(),
  roleArn: z.string().optional(),
  tags,
  stopConditions: z.array(z.object({ source: z.string(), value: z.string().optional() })).default([]),
  targets: z
    .record(z.string(), z.object({ resourceType: z.string(), resourceArns: z.array(z.string()).optional() }))
    .default({}),
  actions: z
    .record(
      z.string(),
      z.object({ actionId: z.string(), parameters: z.record(z.string(), z.string()).optional().default({}) }),
    )
    .default({}),
});
export type ExperimentTemplate = z.infer<typeof template>;

export const EXPERIMENT_STATUSES = [
  'pending',
  'initiating',
  'running',
  'completed',
  'stopping',
  'stopped',
  'failed',
  'cancelled',
] as const;
export const FINAL_STATUSES: readonly string[] = ['completed', 'stopped', 'failed', 'cancelled'];

const experiment = z.object({
  id: z.string(),
  experimentTemplateId: z.string().optional(),
  state: z.object({
    status: z.enum(EXPERIMENT_STATUSES),
    reason: z.string().optional(),
    error: z.object({ code: z.string().optional(), location: z.string().optional() }).optional(),
  }),
  startTime: epoch.optional(),
  endTime: epoch.optional(),
  actions: z
    .record(
      z.string(),
      z.object({ state: z.object({ status: z.string(), reason: z.string().optional() }).optional() }).passthrough(),
    )
    .optional()
    .default({}),
});
export type Experiment = z.infer<typeof experiment>;

export interface FisClientOptions {
  region: string;
  /** Every call goes here instead of `https://fis.<region>.amazonaws.com` (tests, VPC endpoints). */
  endpoint?: string;
  /** @default the SDK's default credential chain (environment, profile, SSO, instance role…) */
  credentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** How long one call may take. @default 15000 */
  timeoutMs?: number;
}

export interface FisClient {
  listTemplates(): Promise<TemplateSummary[]>;
  getTemplate(id: string): Promise<ExperimentTemplate>;
  start(templateId: string, clientToken: string, tags: Record<string, string>): Promise<Experiment>;
  get(id: string): Promise<Experiment>;
  stop(id: string): Promise<Experiment>;
}

export function fisClient(o: FisClientOptions): FisClient {
  const suffix = o.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const base = new URL(o.endpoint ?? `https://fis.${o.region}.${suffix}`);
  const signer = new SignatureV4({
    service: 'fis',
    region: o.region,
    credentials: o.credentials ?? defaultProvider(),
    sha256: Sha256,
  });

  async function call<T>(
    schema: z.ZodType<T>,
    method: string,
    path: string,
    o2: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<T> {
    const body = o2.body === undefined ? undefined : JSON.stringify(o2.body);
    const signed = await signer.sign({
      method,
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port ? { port: Number(base.port) } : {}),
      path,
      query: o2.query ?? {},
      headers: {
        host: base.host,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    });
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(o2.query ?? {})) url.searchParams.set(k, v);
    const res = await fetch(url, {
      method,
      headers: signed.headers as Record<string, string>,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { message: text };
    }
    if (!res.ok) {
      const type = (res.headers.get('x-amzn-errortype') ?? `HTTP${res.status}`).split(':')[0]!.split('#').pop()!;
      const message =
        (json as { message?: string; Message?: string }).message ?? (json as { Message?: string }).Message;
      throw new FisApiError(type, `${method} ${path}: ${type}: ${message ?? text}`, res.status);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new FisAnswerError(`${method} ${path}: unexpected answer (${parsed.error.issues[0]?.message ?? ''})`);
    return parsed.data;
  }

  const id = (s: string) => encodeURIComponent(s);
  return {
    async listTemplates() {
      const out: TemplateSummary[] = [];
      let next: string | undefined;
      const page = z.object({
        experimentTemplates: z.array(templateSummary).default([]),
        nextToken: z.string().optional(),
      });
      do {
        const r = await call(page, 'GET', '/experimentTemplates', {
          query: { maxResults: '100', ...(next ? { nextToken: next } : {}) },
        });
        out.push(...r.experimentTemplates);
        next = r.nextToken;
      } while (next && out.length < 10_000);
      return out;
    },
    async getTemplate(templateId) {
      const r = await call(z.object({ experimentTemplate: template }), 'GET', `/experimentTemplates/${id(templateId)}`);
      return r.experimentTemplate;
    },
    async start(experimentTemplateId, clientToken, t) {
      const r = await call(z.object({ experiment }), 'POST', '/experiments', {
        body: { clientToken, experimentTemplateId, tags: t },
      });
      return r.experiment;
    },
    async get(experimentId) {
      return (await call(z.object({ experiment }), 'GET', `/experiments/${id(experimentId)}`)).experiment;
    },
    async stop(experimentId) {
      return (await call(z.object({ experiment }), 'DELETE', `/experiments/${id(experimentId)}`)).experiment;
    },
  };
}
