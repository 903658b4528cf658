/**
 * A local CloudWatch endpoint over AWS JSON 1.0 (what the SDK's CloudWatch client speaks): PutMetricData, keeping
 * every datapoint so tests, the CLI and the dashboard can read what the workflow published; and metric alarms
 * (PutMetricAlarm, DescribeAlarms, SetAlarmState, DescribeAlarmHistory, …; `cloudwatch-alarms.ts`) whose SNS actions
 * publish through a real SNS endpoint when one is given.
 */
import { createServer } from 'node:http';
import { z } from 'zod';
import { credentialScope } from './aws/rest';
import { localAlarms } from './cloudwatch-alarms';
import type { AlarmActionsOptions, LocalAlarms } from './cloudwatch-alarms';
import { AwsApiError, closeServer, guardServer, listen, readBody, sendBodyError, sendJson } from './http';
import type { GuardPolicy } from './http';

const SERVICE_TARGET = 'GraniteServiceVersion20100801';
const TARGET = `${SERVICE_TARGET}.PutMetricData`;
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
  /** The metric alarms (per region) and their history. */
  alarms: LocalAlarms;
  clear(): void;
  close(): Promise<void>;
}

function awsError(type: string, message: string) {
  return { __type: type, message };
}

export interface LocalCloudWatchOptions {
  port?: number;
  host?: string;
  now?: () => number;
  guard?: GuardPolicy;
  /** Where alarm actions publish (an SNS endpoint, and KMS for encrypted topics). @default none: SNS actions fail */
  alarmActions?: AlarmActionsOptions;
  /** Account ID in alarm ARNs. @default 123456789012 */
  account?: string;
}

export async function startLocalCloudWatch(o: LocalCloudWatchOptions = {}): Promise<LocalCloudWatch> {
  const now = o.now ?? Date.now;
  const alarms = localAlarms({
    account: o.account ?? '123456789012',
    now,
    ...(o.alarmActions ? { actions: o.alarmActions } : {}),
  });
  const points: Datapoint[] = [];
  const listeners = new Set<(p: Datapoint[]) => void>();
  const server = createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && req.url?.startsWith('/_lexdr/metrics')) return sendJson(res, 200, points);
      if (req.method !== 'POST') return sendJson(res, 404, awsError('UnknownOperationException', 'not found'));
      const target = req.headers['x-amz-target'];
      const body = await readBody(req, MAX_BODY_BYTES);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        return sendJson(res, 400, awsError('SerializationException', 'the body is not JSON'), {
          'x-amzn-errortype': 'SerializationException',
        });
      }
      if (target !== TARGET) {
        const operation =
          typeof target === 'string' && target.startsWith(`${SERVICE_TARGET}.`)
            ? target.slice(SERVICE_TARGET.length + 1)
            : '';
        const region = credentialScope(req)?.region ?? 'us-east-1';
        const answer = alarms.handle(operation, region, (json ?? {}) as Record<string, unknown>);
        if (!answer)
          return sendJson(res, 400, awsError('UnknownOperationException', `${String(target)} is not served locally`), {
            'x-amzn-errortype': 'UnknownOperationException',
          });
        try {
          return sendJson(res, 200, await answer, { 'content-type': 'application/x-amz-json-1.0' });
        } catch (err) {
          if (!(err instanceof AwsApiError)) throw err;
          // The query-compatible JSON protocol: the query API's error code in `x-amzn-query-error: <code>;Sender`.
          return sendJson(res, err.status, awsError(`com.amazonaws.cloudwatch#${err.type}`, err.message), {
            'content-type': 'application/x-amz-json-1.0',
            'x-amzn-query-error': `${err.type};Sender`,
          });
        }
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
    alarms,
    clear: () => void points.splice(0),
    close: () => closeServer(server),
  };
}
