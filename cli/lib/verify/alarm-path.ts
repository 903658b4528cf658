/**
 * Verify: the alarm path. lexdr's own test alarm is set to ALARM (SetAlarmState); CloudWatch runs its SNS action and
 * records in the alarm's history whether the topic took the notification ("Successfully executed action …" or
 * "Failed to execute action … Received error: …") — the one place a topic policy that keeps CloudWatch out shows.
 */
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmHistoryItem } from '@aws-sdk/client-cloudwatch';
import { HEALTH_CHECK_OUTPUTS } from '../../../core/contract';
import type { AwsAccess } from '../aws-access';
import { using } from '../aws-access';
import type { CheckResult } from '../checks';
import { errorText, fail, missingOutput, pass, permissionFix } from '../checks';
import { formatMs } from '../format';
import type { Io } from '../io';

/** A history item of `topic` written for the ALARM transition that happened at `since` (server clock, ms). */
function actionFor(
  items: AlarmHistoryItem[],
  topic: string,
  since: number,
): { ok: boolean; summary: string } | undefined {
  for (const item of items) {
    const summary = item.HistorySummary ?? '';
    if (!summary.includes(topic)) continue;
    let data: { actionState?: string; stateUpdateTimestamp?: number; publishedMessage?: string } = {};
    try {
      data = JSON.parse(item.HistoryData ?? '{}') as typeof data;
    } catch {
      // a summary alone still says what happened
    }
    const at = data.stateUpdateTimestamp ?? item.Timestamp?.getTime() ?? 0;
    if (at < since - 999) continue;
    if (data.publishedMessage && !/"NewStateValue":\s*"ALARM"/.test(data.publishedMessage)) continue;
    if (/^Successfully executed action/.test(summary)) return { ok: true, summary };
    if (/^Failed to execute action/.test(summary)) return { ok: false, summary };
  }
  return undefined;
}

/** Sets the test alarm to ALARM and waits (to `timeoutMs`) for its history to say whether each SNS action ran. */
export async function checkAlarmPath(
  aws: AwsAccess,
  region: string,
  alarmName: string | undefined,
  timeoutMs: number,
  io: Io,
): Promise<CheckResult[]> {
  const C = 'alarm-path';
  if (!alarmName) return [missingOutput(C, HEALTH_CHECK_OUTPUTS.notificationTestAlarmName)];
  return using(new CloudWatchClient(aws.config(region)), async (cw) => {
    const describe = async () =>
      (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }))).MetricAlarms?.[0];
    let alarm;
    try {
      alarm = await describe();
    } catch (err) {
      return [
        fail(C, `cannot read alarm ${alarmName} (${errorText(err)})`, permissionFix(err, 'cloudwatch:DescribeAlarms')),
      ];
    }
    if (!alarm) return [fail(C, `alarm ${alarmName} not found`, 'redeploy the stack (`npx cdk deploy --all`)')];
    if (alarm.ActionsEnabled === false)
      return [
        fail(
          C,
          `alarm ${alarmName} has its actions disabled`,
          `aws cloudwatch enable-alarm-actions --alarm-names ${alarmName} --region ${region}`,
        ),
      ];
    const topics = (alarm.AlarmActions ?? []).filter((a) => /^arn:aws[a-z-]*:sns:/.test(a));
    if (topics.length === 0) return [fail(C, `alarm ${alarmName} notifies no SNS topic`, 'redeploy the stack')];
    const set = (StateValue: 'OK' | 'ALARM', StateReason: string) =>
      cw.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue, StateReason }));
    const results: CheckResult[] = [];
    try {
      if (alarm.StateValue === 'ALARM') await set('OK', 'lexdr verify: reset before the test notification');
      await set('ALARM', 'lexdr verify: a test of the alarm path (CloudWatch → SNS → subscribers); nothing is wrong');
      const since = (await describe())?.StateUpdatedTimestamp?.getTime() ?? io.now().getTime();
      const deadline = io.now().getTime() + timeoutMs;
      const pollMs = Number(io.env.LEXDR_POLL_MS ?? 2000);
      const outcome = new Map<string, { ok: boolean; summary: string }>();
      for (;;) {
        const items: AlarmHistoryItem[] = [];
        let nextToken: string | undefined;
        do {
          const r = await cw.send(
            new DescribeAlarmHistoryCommand({
              AlarmName: alarmName,
              HistoryItemType: 'Action',
              StartDate: new Date(since - 60_000),
              ScanBy: 'TimestampDescending',
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          );
          items.push(...(r.AlarmHistoryItems ?? []));
          nextToken = r.NextToken;
        } while (nextToken);
        for (const t of topics) {
          const found = actionFor(items, t, since);
          if (found) outcome.set(t, found);
        }
        const left = deadline - io.now().getTime();
        if (outcome.size === topics.length || left <= 0) break;
        io.progress(`verify: waiting for the alarm's action (${formatMs(left)} left)…`);
        await io.sleep(Math.min(pollMs, left));
      }
      for (const t of topics) {
        const o = outcome.get(t);
        const topic = t.split(':').pop();
        if (!o)
          results.push(
            fail(
              C,
              `alarm ${alarmName} → topic ${topic}: no action in the alarm's history within ${formatMs(timeoutMs)}`,
              `open alarm ${alarmName} in the CloudWatch console (History), or wait longer (--alarm-timeout)`,
            ),
          );
        else if (o.ok)
          results.push(
            pass(C, `alarm ${alarmName} → topic ${topic}: CloudWatch published the test notification ("${o.summary}")`),
          );
        else
          results.push(
            fail(
              C,
              `alarm ${alarmName} → topic ${topic}: CloudWatch could not publish (${o.summary})`,
              'let cloudwatch.amazonaws.com sns:Publish in the topic policy (and kms:Decrypt, kms:GenerateDataKey* in its key policy): docs/deploy-checks.md',
            ),
          );
      }
    } catch (err) {
      results.push(
        fail(
          C,
          `cannot test alarm ${alarmName} (${errorText(err)})`,
          permissionFix(err, 'cloudwatch:SetAlarmState and cloudwatch:DescribeAlarmHistory'),
        ),
      );
    } finally {
      await set('OK', 'lexdr verify: test notification done').catch(() => undefined);
    }
    return results;
  });
}
