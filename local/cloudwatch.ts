/**
 * A local CloudWatch metrics endpoint: PutMetricData over AWS JSON 1.0 (what the SDK's CloudWatch client
 * speaks), keeping every datapoint so tests, the CLI and the dashboard can read what the workflow published.
 */
import { createServer } from 'node:http';
import { z } from 'zod';
import { closeServer, guardServer, listen, readBody, sendBodyError, sendJson } from './http';
import type { GuardPolicy } from './http';

const TARGET = 'GraniteServiceVersion20100801.PutMetricData';
/** PutMetricData takes up to 1 MB (compressed or not); the inflated body is held to this too. */
const MAX_BODY_BYTES = 1024 * 1024;

const putMetricDataSchema = z.object({
  Namespace: z.string().min(1).max(255),
  MetricData: z
    .array(
      z.object({
        MetricName: z.string().min(1).max(255),
        Dimensions: z
          .array(z.object({ Name: z.string().min(1), Value: z.string().min(1) }))
          .max(30)
          .optional(),
        Timestamp: z.union([z.number(), z.string()]).optional(),
        Value: z.number().optional(),
        Values: z.array(z.number()).max(150).optional(),
        Counts: z.array(z.number()).max(150).optional(),
        Unit: z.string().optional(),
        StorageResolution: z.number().optional(),
      }),
    )
    .min(1)
    .max(1000),
});

export interface Datapoint {
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
  value: number;
  count: number;
  unit: string;
  /** Epoch ms the datapoint was received (or its Timestamp). */
  at: number;
}

export interface LocalCloudWatch {
  url: string;
  datapoints(filter?: { metric?: string; dimensions?: Record<string, string>; since?: number }): Datapoint[];
  /** Called on every accepted datapoint batch. */
  onPut(listener: (points: Datapoint[]) => void): () => void;
  clear(): void;
  close(): Promise<void>;
}

function awsError(type: string, message: string) {
  return { __type: type, message };
}

export async function startLocalCloudWatch(
  o: { port?: number; host?: string; now?: () => number; guard?: GuardPolicy } = {},
): Promise<LocalCloudWatch> {
  const now = o.now ?? Date.now;
  const points: Datapoint[] = [];
  const listeners = new Set<(p: Datapoint[]) => void>();
  const server = createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url?.startsWith('/_lexdr/metrics')) return sendJson(res, 200, points);
      if (req.method !== 'POST') return sendJson(res, 404, awsError('UnknownOperationException', 'not found'));
      const target = req.headers['x-amz-target'];
      const body = await readBody(req, MAX_BODY_BYTES);
      if (target !== TARGET) {
        return sendJson(res, 400, awsError('UnknownOperationException', `only ${TARGET} is served locally`), {
          'x-amzn-errortype': 'UnknownOperationException',
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        return sendJson(res, 400, awsError('SerializationException', 'the body is not JSON'), {
          'x-amzn-errortype': 'SerializationException',
        });
      }
      const parsed = putMetricDataSchema.safeParse(json);
      if (!parsed.success) {
        return sendJson(res, 400, awsError('InvalidParameterValueException', parsed.error.message), {
          'x-amzn-errortype': 'InvalidParameterValueException',
        });
      }
      const added: Datapoint[] = [];
      for (const d of parsed.data.MetricData) {
        const dimensions = Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name, x.Value]));
        const at =
          d.Timestamp === undefined
            ? now()
            : typeof d.Timestamp === 'number'
              ? d.Timestamp * 1000
              : Date.parse(d.Timestamp);
        const values = d.Values ?? (d.Value !== undefined ? [d.Value] : []);
        values.forEach((value, i) =>
          added.push({
            namespace: parsed.data.Namespace,
            metric: d.MetricName,
            dimensions,
            value,
            count: d.Counts?.[i] ?? 1,
            unit: d.Unit ?? 'None',
            at,
          }),
        );
      }
      points.push(...added);
      for (const l of listeners) l(added);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': 2 });
      res.end('{}');
    } catch (err) {
      const refused = sendBodyError(res, err, (e) =>
        awsError(e.status === 413 ? 'RequestEntityTooLarge' : 'InvalidParameterValueException', e.message),
      );
      if (refused) return;
      sendJson(res, 500, awsError('InternalServiceFault', (err as Error).message), {
        'x-amzn-errortype': 'InternalServiceFault',
      });
    }
  });
  // Host and Origin checks (a web page, or DNS rebinding, cannot post metrics); SDK clients sign with their own keys.
  guardServer(server, { ...o.guard, needsToken: () => false });
  const url = await listen(server, o.port ?? 0, o.host ?? '127.0.0.1');
  return {
    url,
    datapoints: (f = {}) =>
      points.filter(
        (p) =>
          (f.metric === undefined || p.metric === f.metric) &&
          (f.since === undefined || p.at >= f.since) &&
          Object.entries(f.dimensions ?? {}).every(([k, v]) => p.dimensions[k] === v),
      ),
    onPut: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    clear: () => void points.splice(0),
    close: () => closeServer(server),
  };
}
