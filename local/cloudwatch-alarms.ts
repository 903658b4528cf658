/**
 * CloudWatch metric alarms for the local CloudWatch endpoint (`local/cloudwatch.ts`), per region: `PutMetricAlarm`,
 * `DescribeAlarms`, `SetAlarmState`, `DeleteAlarms`, `EnableAlarmActions` / `DisableAlarmActions` and
 * `DescribeAlarmHistory`, with the history CloudWatch keeps — a `StateUpdate` item per transition, and an `Action`
 * item per action it ran ("Successfully executed action arn:aws:sns:…" or "Failed to execute action arn:aws:sns:….
 * Received error: …"), written after the state change returned, as on AWS.
 *
 * An SNS action publishes through a real SNS endpoint (`sns.endpoint`, e.g. moto) after checking what CloudWatch would
 * be refused for: the topic must exist, its policy must allow `cloudwatch.amazonaws.com` to `sns:Publish` (a topic
 * policy replaces SNS's default one), and an encrypted topic's key policy must let it use the key
 * (`kms:GenerateDataKey*`, `kms:Decrypt`; the AWS-managed `alias/aws/sns` never does). Alarms here hold the state
 * they are set to: nothing evaluates their metrics.
 */
import { GetKeyPolicyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetTopicAttributesCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { alarmPublishContext, evaluateServiceRequest } from '../core/resource-policy';
import type { PolicyDecision } from '../core/resource-policy';
import { AwsApiError } from './http';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
const STATES: readonly string[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

export interface AlarmActionsOptions {
  /** The SNS endpoint alarm actions publish to. @default none: every SNS action fails, saying so */
  endpoint?: string;
  /** The KMS endpoint the key policy of an encrypted topic is read from. @default none: encrypted topics fail */
  kmsEndpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How long after a transition its actions run (CloudWatch takes seconds). @default 0: at once, after the reply */
  delayMs?: number;
}

interface MetricAlarm {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  StateValue: AlarmState;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: number;
  StateTransitionedTimestamp: number;
  AlarmConfigurationUpdatedTimestamp: number;
  [key: string]: unknown;
}

interface HistoryItem {
  AlarmName: string;
  AlarmType: 'MetricAlarm';
  Timestamp: number;
  HistoryItemType: 'ConfigurationUpdate' | 'StateUpdate' | 'Action';
  HistorySummary: string;
  HistoryData: string;
}

const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-2': 'EU (London)',
  'eu-central-1': 'EU (Frankfurt)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
};

export interface LocalAlarms {
  /** Answers one alarm operation (the name after `GraniteServiceVersion20100801.`), or undefined if it is not one. */
  handle(operation: string, region: string, body: Record<string, unknown>): Promise<unknown> | undefined;
  /** Resolves when every action started so far has run (tests). */
  settled(): Promise<void>;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const seconds = (ms: number) => ms / 1000;

export function localAlarms(o: { account: string; now: () => number; actions?: AlarmActionsOptions }): LocalAlarms {
  const alarms = new Map<string, Map<string, MetricAlarm>>();
  const history = new Map<string, HistoryItem[]>();
  const pending = new Set<Promise<void>>();
  const regionAlarms = (region: string) => {
    let m = alarms.get(region);
    if (!m) alarms.set(region, (m = new Map()));
    return m;
  };
  const regionHistory = (region: string) => {
    let h = history.get(region);
    if (!h) history.set(region, (h = []));
    return h;
  };
  const record = (region: string, item: Omit<HistoryItem, 'AlarmType' | 'Timestamp'>) =>
    regionHistory(region).push({ ...item, AlarmType: 'MetricAlarm', Timestamp: o.now() });
  const need = (body: Record<string, unknown>, key: string): string => {
    const v = body[key];
    if (typeof v !== 'string' || v === '')
      throw new AwsApiError('MissingParameter', `The parameter ${key} is required.`);
    return v;
  };
  const credentials = o.actions?.credentials ?? { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

  /** Publishes an alarm's notification as CloudWatch does, or throws the error CloudWatch would record. */
  async function publish(topicArn: string, alarm: MetricAlarm, region: string, old: AlarmState): Promise<string> {
    if (!o.actions?.endpoint)
      throw new Error('the local CloudWatch has no SNS endpoint (start it with actions.endpoint)');
    const topicRegion = topicArn.split(':')[3] ?? region;
    const sns = new SNSClient({ region: topicRegion, endpoint: o.actions.endpoint, credentials, maxAttempts: 1 });
    try {
      let attributes: Record<string, string>;
      try {
        attributes = (await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes ?? {};
      } catch (err) {
        throw new Error(`Resource: ${topicArn} does not exist (${(err as Error).name})`);
      }
      const context = alarmPublishContext(o.account, alarm.AlarmArn);
      const refused = (d: PolicyDecision) =>
        d.effect === 'deny'
          ? `with an explicit deny in a resource-based policy (statement ${d.statement})`
          : d.effect === 'none'
            ? 'because no resource-based policy allows the SNS:Publish action'
            : d.effect === 'unknown'
              ? `because statement ${d.statement} is ${d.reason}`
              : undefined;
      const why = attributes.Policy
        ? refused(
            evaluateServiceRequest(attributes.Policy, {
              service: 'cloudwatch.amazonaws.com',
              action: 'sns:Publish',
              resource: topicArn,
              context,
            }),
          )
        : undefined;
      if (why)
        throw new Error(`CloudWatch Alarms is not authorized to perform: SNS:Publish on resource: ${topicArn} ${why}`);
      const keyId = attributes.KmsMasterKeyId;
      if (keyId) {
        if (/^(alias\/)?aws\/sns$/.test(keyId) || keyId.endsWith(':alias/aws/sns'))
          throw new Error(
            `KMS.AccessDeniedException: the topic is encrypted with the AWS managed key alias/aws/sns, whose policy CloudWatch cannot use`,
          );
        if (!o.actions.kmsEndpoint) throw new Error(`the local CloudWatch has no KMS endpoint to use key ${keyId}`);
        const kms = new KMSClient({
          region: topicRegion,
          endpoint: o.actions.kmsEndpoint,
          credentials,
          maxAttempts: 1,
        });
        try {
          const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy;
          for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
            const d = evaluateServiceRequest(policy ?? '{}', {
              service: 'cloudwatch.amazonaws.com',
              action,
              resource: '*',
              context,
            });
            if (d.effect !== 'allow')
              throw new Error(
                `KMS.AccessDeniedException: cloudwatch.amazonaws.com is not authorized to perform ${action} on key ${keyId}`,
              );
          }
        } finally {
          kms.destroy();
        }
      }
      const message = JSON.stringify({
        AlarmName: alarm.AlarmName,
        AlarmDescription: alarm.AlarmDescription ?? null,
        AWSAccountId: o.account,
        AlarmConfigurationUpdatedTimestamp: new Date(alarm.AlarmConfigurationUpdatedTimestamp).toISOString(),
        NewStateValue: alarm.StateValue,
        NewStateReason: alarm.StateReason,
        StateChangeTime: new Date(alarm.StateUpdatedTimestamp).toISOString(),
        Region: REGION_NAMES[region] ?? region,
        AlarmArn: alarm.AlarmArn,
        OldStateValue: old,
        Trigger: { MetricName: alarm.MetricName, Namespace: alarm.Namespace, Threshold: alarm.Threshold },
      });
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: `${alarm.StateValue}: "${alarm.AlarmName}" in ${REGION_NAMES[region] ?? region}`.slice(0, 100),
          Message: message,
        }),
      );
      return message;
    } finally {
      sns.destroy();
    }
  }

  /** Runs the actions of a transition after the call that caused it has returned, recording each in the history. */
  function runActions(region: string, alarm: MetricAlarm, old: AlarmState): void {
    if (!alarm.ActionsEnabled) return;
    const arns =
      alarm.StateValue === 'ALARM'
        ? alarm.AlarmActions
        : alarm.StateValue === 'OK'
          ? alarm.OKActions
          : alarm.InsufficientDataActions;
    const snapshot = { ...alarm };
    for (const arn of arns) {
      const run = (async () => {
        const delayMs = o.actions?.delayMs ?? 0;
        await new Promise((resolve) => (delayMs > 0 ? setTimeout(resolve, delayMs) : setImmediate(resolve)));
        const base = {
          actionState: '',
          stateUpdateTimestamp: snapshot.StateUpdatedTimestamp,
          notificationResource: arn,
        };
        try {
          if (!arn.startsWith('arn:aws:sns:') && !/^arn:aws[a-z-]*:sns:/.test(arn))
            throw new Error(`actions of ${arn.split(':')[2] ?? 'this'} kind are not served locally`);
          const publishedMessage = await publish(arn, snapshot, region, old);
          record(region, {
            AlarmName: snapshot.AlarmName,
            HistoryItemType: 'Action',
            HistorySummary: `Successfully executed action ${arn}`,
            HistoryData: JSON.stringify({ ...base, actionState: 'Succeeded', publishedMessage }),
          });
        } catch (err) {
          const error = (err as Error).message;
          record(region, {
            AlarmName: snapshot.AlarmName,
            HistoryItemType: 'Action',
            HistorySummary: `Failed to execute action ${arn}. Received error: "${error}"`,
            HistoryData: JSON.stringify({ ...base, actionState: 'Failed', error }),
          });
        }
      })();
      pending.add(run);
      void run.finally(() => pending.delete(run));
    }
  }

  function setState(region: string, alarm: MetricAlarm, state: AlarmState, reason: string, data?: string): void {
    const old = alarm.StateValue;
    const at = o.now();
    alarm.StateReason = reason;
    if (data !== undefined) alarm.StateReasonData = data;
    alarm.StateUpdatedTimestamp = at;
    if (old === state) return;
    alarm.StateValue = state;
    alarm.StateTransitionedTimestamp = at;
    record(region, {
      AlarmName: alarm.AlarmName,
      HistoryItemType: 'StateUpdate',
      HistorySummary: `Alarm updated from ${old} to ${state}`,
      HistoryData: JSON.stringify({
        version: '1.0',
        oldState: { stateValue: old },
        newState: { stateValue: state, stateReason: reason },
      }),
    });
    runActions(region, alarm, old);
  }

  const describe = (a: MetricAlarm) => ({
    ...a,
    StateUpdatedTimestamp: seconds(a.StateUpdatedTimestamp),
    StateTransitionedTimestamp: seconds(a.StateTransitionedTimestamp),
    AlarmConfigurationUpdatedTimestamp: seconds(a.AlarmConfigurationUpdatedTimestamp),
  });

  const operations: Record<string, (region: string, body: Record<string, unknown>) => Promise<unknown> | unknown> = {
    PutMetricAlarm(region, body) {
      const name = need(body, 'AlarmName');
      const at = o.now();
      const existing = regionAlarms(region).get(name);
      const { AlarmName: _n, ...config } = body;
      const alarm: MetricAlarm = {
        ...config,
        AlarmName: name,
        AlarmArn: `arn:aws:cloudwatch:${region}:${o.account}:alarm:${name}`,
        ActionsEnabled: body.ActionsEnabled !== false,
        OKActions: strings(body.OKActions),
        AlarmActions: strings(body.AlarmActions),
        InsufficientDataActions: strings(body.InsufficientDataActions),
        StateValue: existing?.StateValue ?? 'INSUFFICIENT_DATA',
        StateReason: existing?.StateReason ?? 'Unchecked: Initial alarm creation',
        StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? at,
        StateTransitionedTimestamp: existing?.StateTransitionedTimestamp ?? at,
        AlarmConfigurationUpdatedTimestamp: at,
      };
      regionAlarms(region).set(name, alarm);
      record(region, {
        AlarmName: name,
        HistoryItemType: 'ConfigurationUpdate',
        HistorySummary: `Alarm "${name}" ${existing ? 'updated' : 'created'}`,
        HistoryData: JSON.stringify({ type: existing ? 'Update' : 'Create', version: '1.0' }),
      });
      return {};
    },
    DescribeAlarms(region, body) {
      const names = strings(body.AlarmNames);
      const prefix = typeof body.AlarmNamePrefix === 'string' ? body.AlarmNamePrefix : undefined;
      const state = typeof body.StateValue === 'string' ? body.StateValue : undefined;
      const list = [...regionAlarms(region).values()]
        .filter((a) => names.length === 0 || names.includes(a.AlarmName))
        .filter((a) => prefix === undefined || a.AlarmName.startsWith(prefix))
        .filter((a) => state === undefined || a.StateValue === state)
        .sort((a, b) => a.AlarmName.localeCompare(b.AlarmName));
      return { MetricAlarms: list.map(describe), CompositeAlarms: [] };
    },
    SetAlarmState(region, body) {
      const name = need(body, 'AlarmName');
      const state = need(body, 'StateValue');
      if (!STATES.includes(state))
        throw new AwsApiError('InvalidParameterValue', `StateValue ${state}: must be OK, ALARM or INSUFFICIENT_DATA`);
      const alarm = regionAlarms(region).get(name);
      if (!alarm) throw new AwsApiError('ResourceNotFound', `Alarm ${name} not found`, 404);
      const data = typeof body.StateReasonData === 'string' ? body.StateReasonData : undefined;
      setState(region, alarm, state as AlarmState, need(body, 'StateReason'), data);
      return {};
    },
    DeleteAlarms(region, body) {
      for (const name of strings(body.AlarmNames)) regionAlarms(region).delete(name);
      return {};
    },
    EnableAlarmActions(region, body) {
      for (const name of strings(body.AlarmNames)) {
        const a = regionAlarms(region).get(name);
        if (a) a.ActionsEnabled = true;
      }
      return {};
    },
    DisableAlarmActions(region, body) {
      for (const name of strings(body.AlarmNames)) {
        const a = regionAlarms(region).get(name);
        if (a) a.ActionsEnabled = false;
      }
      return {};
    },
    DescribeAlarmHistory(region, body) {
      const name = typeof body.AlarmName === 'string' ? body.AlarmName : undefined;
      const type = typeof body.HistoryItemType === 'string' ? body.HistoryItemType : undefined;
      const start = typeof body.StartDate === 'number' ? body.StartDate * 1000 : undefined;
      const end = typeof body.EndDate === 'number' ? body.EndDate * 1000 : undefined;
      const ascending = body.ScanBy === 'TimestampAscending';
      const max = typeof body.MaxRecords === 'number' ? Math.min(Math.max(body.MaxRecords, 1), 100) : 100;
      const offset = typeof body.NextToken === 'string' ? Number(body.NextToken) || 0 : 0;
      const items = regionHistory(region)
        .filter((h) => name === undefined || h.AlarmName === name)
        .filter((h) => type === undefined || h.HistoryItemType === type)
        .filter((h) => (start === undefined || h.Timestamp >= start) && (end === undefined || h.Timestamp <= end))
        .sort((a, b) => (ascending ? a.Timestamp - b.Timestamp : b.Timestamp - a.Timestamp));
      const pageItems = items.slice(offset, offset + max);
      return {
        AlarmHistoryItems: pageItems.map((h) => ({ ...h, Timestamp: seconds(h.Timestamp) })),
        ...(offset + max < items.length ? { NextToken: String(offset + max) } : {}),
      };
    },
  };

  return {
    handle(operation, region, body) {
      const op = operations[operation];
      return op ? Promise.resolve().then(() => op(region, body)) : undefined;
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
