/** Shared by the callers'-report suites: the events Connect and the bridge send, and a clean slate between cases. */
import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { reportWindowKey } from '../../core/caller-reports';
import type { LexdrConfigInput } from '../../infra/config';
import type { LocalSystem } from '../../local/system';
import type { ExecutionRecord } from '../../local/workflow-runner';
import { seedHealthyItem } from '../reliability/helpers';
import { FAST, cycles } from './system-fixture';

export const E = 'us-east-1';
export const W = 'us-west-2';
export const BOT = 'OrderFlowers';

/**
 * FAST with callers' reports: one contact starts a check, at most one per 15 s per region. A report-started check's
 * one failed probe moves callers, so a probe slowed by a busy test machine must not count as a failure here: the
 * latency budget is generous.
 */
export function reportConfig(rule: Partial<NonNullable<LexdrConfigInput['callerReports']>> = {}): LexdrConfigInput {
  return {
    ...FAST,
    probe: { ...FAST.probe, timeoutMs: 3000, latencyBudgetMs: 2500 },
    callerReports: {
      enabled: true,
      contacts: 1,
      windowSeconds: 30,
      minIntervalSeconds: 15,
      confirmWith: 'probe',
      ...rule,
    },
  };
}

/** What the contact flow's report action sends when a caller meets a bot failure (Connect's ContactFlowEvent). */
export function connectReport(lexRegion: string, contactId: string = randomUUID(), kind = 'error') {
  return {
    Name: 'ContactFlowEvent',
    Details: {
      ContactData: {
        ContactId: contactId,
        InstanceARN: 'arn:aws:connect:us-east-1:000000000000:instance/00000000-0000-0000-0000-000000000000',
        Channel: 'VOICE',
      },
      Parameters: { bot: BOT, lexRegion, kind, block: 'Ask the bot' },
    },
  };
}

/** The executions a burst of reports started (`reported` in their input). */
export const reportChecks = (sys: LocalSystem): ExecutionRecord[] =>
  sys.executions.filter((e) => (e.input as { reported?: unknown } | null)?.reported !== undefined);

/** A region's report window item as stored, or undefined. */
export async function readWindow(sys: LocalSystem, region: string): Promise<Record<string, unknown> | undefined> {
  const out = await sys.dynamo.client.send(
    new GetItemCommand({
      TableName: sys.config.tableName,
      Key: { connectRegion: { S: reportWindowKey(sys.config.connectRegion, region) } },
      ConsistentRead: true,
    }),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
}

/**
 * A clean, healthy system: every fault cleared, no lexDR item, history, metrics or report windows; then healthy
 * cycles until the counters are saturated (the item stops changing), the primary active.
 */
export async function healthySlate(sys: LocalSystem): Promise<void> {
  await sys.drainReports();
  await sys.stepfunctions.drain();
  await seedHealthyItem(sys, { passes: 3 });
  for (const region of sys.config.regions)
    await sys.dynamo.client.send(
      new DeleteItemCommand({
        TableName: sys.config.tableName,
        Key: { connectRegion: { S: reportWindowKey(sys.config.connectRegion, region) } },
      }),
    );
  await cycles(sys, 2);
  sys.cloudwatch.clear();
}
