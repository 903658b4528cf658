/**
 * Many simulated callers through the rendered lexdr flow, the REAL lookup handler reading a local lexDR table on the
 * simulation clock (so its cache ages in simulated time): a primary-region fault starts mid-run, the table is
 * switched a few seconds later (the health check "detecting" it), and no caller is dropped; each caller who met the
 * failure reported it, and a report function that fails or never answers changes nothing for callers.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createLookupHandler } from '../../core/lookup-handler';
import { parseConfig } from '../../infra/config';
import { buildSettings } from '../../infra/settings';
import { startLocalDynamo } from '../../local/dynamodb';
import type { LocalDynamo } from '../../local/dynamodb';
import type { LoadOptions, LoadProgress, LoadReportContext, LoadResult } from '../../flows/load-sim';
import { LoadSimulationError, createSimClock, simulateLoad } from '../../flows/load-sim';
import { contactFlowEvent } from '../../flows/simulate';
import { LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../../flows/template';
import { lexdrFlowTokens } from '../../flows/tokens';
import { drTable } from '../../core/dr-table';

const TABLE = 'lexDR';
const PRIMARY = 'us-east-1';
const SECONDARY = 'us-west-2';
const settings = buildSettings(
  parseConfig({}),
  (_bot, region) => {
    const r = region.replace(/-/g, '').toUpperCase();
    return { botId: `BOT${r}`, botAliasId: `ALS${r}` };
  },
  '000000000000',
);
const flow = renderFlow(
  loadFlowTemplate(LEXDR_FLOW_FILE),
  lexdrFlowTokens(settings, {
    lookupFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:lexdr-lookup',
    reportFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:lexdr-report',
    agentQueueArn: 'arn:aws:connect:us-east-1:000000000000:instance/i/queue/q',
  }),
);

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo({ tableName: TABLE, historyTableName: 'lexDR-history' });
});
afterAll(async () => {
  await dynamo.close();
});

const putRegion = (lexRegion: string, eastFails: number) =>
  dynamo.client.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: marshall({
        connectRegion: PRIMARY,
        lexRegion,
        version: eastFails,
        regionHealth: {
          [PRIMARY]: { fails: eastFails, passes: 0, reason: eastFails ? 'timeout' : 'ok' },
          [SECONDARY]: { fails: 0, passes: 3, reason: 'ok' },
        },
        pin: null,
      }),
    }),
  );

describe('simulateLoad', () => {
  it('fault mid-run, detected a few seconds later: nobody dropped, retries only until the switch is seen', async () => {
    await putRegion(PRIMARY, 0);
    const clock = createSimClock(1_700_000_000_000);
    const t0 = clock.now();
    const FAULT_AT = t0 + 8_000;
    const DETECTED_AT = t0 + 14_000;
    const cacheMs = settings.lookupCacheSeconds * 1000;
    const handler = createLookupHandler({ settings, table: drTable(dynamo.client, TABLE), now: clock.now });
    const primaryCallsAfterSwitchSeen: number[] = [];
    const progress: LoadProgress[] = [];
    const lookupContacts = new Map<number, string>();
    const reports: { params: Record<string, string>; context: LoadReportContext }[] = [];

    const r = await simulateLoad({
      flow,
      calls: 300,
      arrivalsPerSecond: 10,
      clock,
      lookup: (params, c) => (lookupContacts.set(c.call, c.contactId), handler(contactFlowEvent(params, c))),
      report: async (params, context) => void reports.push({ params, context }),
      botOutcome: (_arn, { region, atMs, call }) => {
        if (region === PRIMARY && atMs >= DETECTED_AT + cacheMs) primaryCallsAfterSwitchSeen.push(call);
        return region === PRIMARY && atMs >= FAULT_AT ? 'error' : 'success';
      },
      timeline: [{ atMs: DETECTED_AT, run: () => putRegion(SECONDARY, 2).then(() => undefined) }],
      onProgress: (p) => void progress.push(p),
    });

    expect(r.calls).toBe(300);
    expect(r.dropped).toBe(0);
    expect(r.queuedToAgents).toBe(0);
    expect(r.served + r.queuedToAgents + r.dropped).toBe(r.calls);
    expect(r.servedByRegion[PRIMARY]).toBe(80); // every caller before the fault (10/s for 8 s)
    expect(r.servedByRegion[PRIMARY]! + r.servedByRegion[SECONDARY]!).toBe(r.served);
    // Callers between the fault and the moment the lookup sees the switch are saved by the flow's retry.
    expect(r.servedByFallback).toBeGreaterThanOrEqual(60);
    expect(r.servedByFallback).toBeLessThanOrEqual(60 + cacheMs / 100);
    expect(primaryCallsAfterSwitchSeen).toEqual([]);
    expect(r.simulatedMs).toBe(29_900);
    // Every caller who met the failure reported it once, naming the failed region, with its own contact ID.
    expect(r.reportsSent).toBe(r.servedByFallback);
    expect(reports).toHaveLength(r.reportsSent);
    expect(new Set(reports.map((x) => JSON.stringify(x.params)))).toEqual(
      new Set([JSON.stringify({ bot: 'OrderFlowers', lexRegion: PRIMARY, kind: 'error', block: 'talk-to-bot' })]),
    );
    expect(new Set(reports.map((x) => x.context.contactId)).size).toBe(reports.length);
    for (const x of reports) expect(x.context.contactId).toBe(lookupContacts.get(x.context.call));
    expect(new Set(lookupContacts.values()).size).toBe(300);
    expect(r).toMatchObject({ reportsFailed: 0, reportsNotDelivered: 0 });

    expect(progress).toHaveLength(20);
    expect(progress.at(-1)).toEqual({
      calls: 300,
      served: 300,
      servedByFallback: r.servedByFallback,
      queuedToAgents: 0,
      dropped: 0,
      reportsSent: r.reportsSent,
      total: 300,
      atMs: t0 + 29_900,
    });
    expect(progress.map((p) => p.calls)).toEqual(progress.map((_, i) => (i + 1) * 15));
  });

  it('both regions down and the queue full: counted as dropped with the reason', async () => {
    await putRegion(PRIMARY, 0);
    const handler = createLookupHandler({ settings, table: drTable(dynamo.client, TABLE) });
    const r = await simulateLoad({
      flow,
      calls: 20,
      arrivalsPerSecond: 50,
      lookup: (params) => handler(contactFlowEvent(params)),
      botOutcome: () => 'error',
      transfer: (_queue, { call }) => (call % 2 === 0 ? 'ok' : 'QueueAtCapacity'),
    });
    expect(r).toMatchObject({ calls: 20, served: 0, queuedToAgents: 10, dropped: 10 });
    expect(r.dropReasons).toEqual({ 'disconnected after QueueAtCapacity at "transfer-to-agents"': 10 });
  });

  it('a report function that rejects, throws or never answers changes nothing for callers', async () => {
    const answer = { lexRegion: PRIMARY, botAliasArn: 'a', fallbackRegion: SECONDARY, fallbackBotAliasArn: 'b' };
    const run = (report?: LoadOptions['report']) =>
      simulateLoad({
        flow,
        calls: 40,
        arrivalsPerSecond: 10,
        timeScale: 0.001, // the report's 8-second limit is 8 ms
        lookup: async () => ({ ...answer, status: 'ok' }),
        botOutcome: (arn, { call }) => (arn === 'a' && call % 2 === 0 ? 'error' : 'success'),
        ...(report && { report }),
      });
    const counts = ({ calls, served, servedByFallback, queuedToAgents, dropped, servedByRegion }: LoadResult) => ({
      calls,
      served,
      servedByFallback,
      queuedToAgents,
      dropped,
      servedByRegion,
    });
    const ok = await run(async () => undefined);
    expect(ok).toMatchObject({ servedByFallback: 20, reportsSent: 20, reportsFailed: 0 });
    for (const report of [
      async () => Promise.reject(new Error('throttled')),
      () => {
        throw new Error('thrown at once');
      },
      () => new Promise(() => undefined),
    ]) {
      const r = await run(report);
      expect(counts(r)).toEqual(counts(ok));
      expect(r).toMatchObject({ reportsSent: 20, reportsFailed: 20 });
    }
    expect(await run()).toMatchObject({ ...counts(ok), reportsSent: 0, reportsNotDelivered: 20 });
  });

  it('rejects a meaningless run', async () => {
    const o = { flow, lookup: async () => ({}), botOutcome: () => 'success' as const };
    await expect(simulateLoad({ ...o, calls: 0, arrivalsPerSecond: 1 })).rejects.toThrow(LoadSimulationError);
    await expect(simulateLoad({ ...o, calls: 1, arrivalsPerSecond: 0 })).rejects.toThrow(/arrivalsPerSecond/);
  });
});
