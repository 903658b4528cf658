/**
 * One simulated call through each rendered flow, with the REAL lookup handler reading a real (local) DynamoDB
 * table: every lexDR state × bot/lookup fault, asserting the path taken, who served the caller, the contact
 * attributes left on the contact and the bot failures the flow reported.
 */
import { PutItemCommand, DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createLookupHandler } from '../../core/lookup-handler';
import { parseConfig } from '../../infra/config';
import { buildSettings } from '../../infra/settings';
import { startLocalDynamo } from '../../local/dynamodb';
import type { LocalDynamo } from '../../local/dynamodb';
import type { BotOutcome, SimulationEnv } from '../../flows/simulate';
import { invokeHandler, regionOfAliasArn, simulateCall } from '../../flows/simulate';
import { LEGACY_FLOWER_DR_FLOW_FILE, LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../../flows/template';
import { DEFAULT_APOLOGY_TEXT, legacyFlowTokens, lexdrFlowTokens } from '../../flows/tokens';
import { validateFlow } from '../../flows/validate';
import { drTable } from '../../core/dr-table';

const TABLE = 'lexDR';
const PRIMARY = 'us-east-1';
const SECONDARY = 'us-west-2';
const ids = (region: string) => {
  const r = region.replace(/-/g, '').toUpperCase(); // USEAST1
  return { botId: `BOT${r}`.padEnd(10, 'X'), botAliasId: `ALS${r}`.padEnd(10, 'X') };
};
const settings = buildSettings(parseConfig({}), (_bot, region) => ids(region), '000000000000');
const aliasArn = (region: string) => settings.bots[0]!.regions[region]!.botAliasArn;
const deployment = {
  lookupFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:lexdr-lookup',
  reportFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:lexdr-report',
  agentQueueArn: 'arn:aws:connect:us-east-1:000000000000:instance/00000000-0000-0000-0000-000000000000/queue/q1',
};
const flow = renderFlow(loadFlowTemplate(LEXDR_FLOW_FILE), lexdrFlowTokens(settings, deployment));
const legacyFlow = renderFlow(loadFlowTemplate(LEGACY_FLOWER_DR_FLOW_FILE), legacyFlowTokens(settings, deployment));

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo({ tableName: TABLE, historyTableName: 'lexDR-history' });
});
afterAll(async () => {
  await dynamo.close();
});

// ---------- lexDR states ----------

type TableState = 'healthy' | 'undetected' | 'failed-over' | 'pinned' | 'err' | 'no-item' | 'unreadable';

const health = (east: number, west: number) => ({
  [PRIMARY]: { fails: east, passes: east ? 0 : 5, reason: east ? 'timeout' : 'ok' },
  [SECONDARY]: { fails: west, passes: west ? 0 : 5, reason: west ? 'timeout' : 'ok' },
});

async function writeState(state: TableState): Promise<void> {
  const put = (lexRegion: string, regionHealth: object, pin: object | null = null) =>
    dynamo.client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: marshall({ connectRegion: PRIMARY, lexRegion, version: 7, regionHealth, pin }),
      }),
    );
  switch (state) {
    case 'healthy':
      return void (await put(PRIMARY, health(0, 0)));
    case 'undetected': // the primary bot already fails, the health check has not seen enough failures yet
      return void (await put(PRIMARY, health(1, 0)));
    case 'failed-over':
      return void (await put(SECONDARY, health(2, 0)));
    case 'pinned':
      return void (await put(SECONDARY, health(0, 0), {
        region: SECONDARY,
        until: new Date(Date.now() + 3600_000).toISOString(),
        by: 'drill',
        reason: 'test',
      }));
    case 'err':
      return void (await put('err', health(2, 2)));
    case 'no-item':
    case 'unreadable':
      return void (await dynamo.client.send(
        new DeleteItemCommand({ TableName: TABLE, Key: marshall({ connectRegion: PRIMARY }) }),
      ));
  }
}

/** The region the table sends callers to, and the status the lookup reports. */
const tableSays: Record<TableState, { region: string; status: string }> = {
  healthy: { region: PRIMARY, status: 'ok' },
  undetected: { region: PRIMARY, status: 'ok' },
  'failed-over': { region: SECONDARY, status: 'ok' },
  pinned: { region: SECONDARY, status: 'pinned' },
  err: { region: 'err', status: 'err' },
  'no-item': { region: PRIMARY, status: 'default' },
  unreadable: { region: PRIMARY, status: 'default' },
};

// ---------- faults ----------

type Fault = 'none' | 'primary-bot-error' | 'primary-bot-timeout' | 'secondary-bot-error' | 'both-bots-error';
type LookupFault = 'none' | 'lookup-times-out' | 'lookup-throws';
const botFaults: Record<Fault, Record<string, BotOutcome>> = {
  none: {},
  'primary-bot-error': { [PRIMARY]: 'error' },
  'primary-bot-timeout': { [PRIMARY]: 'timeout' },
  'secondary-bot-error': { [SECONDARY]: 'error' },
  'both-bots-error': { [PRIMARY]: 'error', [SECONDARY]: 'error' },
};
/** A report as the flow sends it (its invocation attributes). */
type Report = { bot: string; lexRegion: string; kind: 'error' | 'no-input'; block: string };

function env(
  state: TableState,
  fault: Fault,
  lookupFault: LookupFault = 'none',
): SimulationEnv & { calls: string[]; reports: Report[] } {
  const handler = createLookupHandler({
    settings,
    table: drTable(dynamo.client, state === 'unreadable' ? 'no-such-table' : TABLE),
  });
  const calls: string[] = [];
  const reports: Report[] = [];
  return {
    calls,
    reports,
    invokeLambdaAsync: async (_arn, params) => void reports.push(params as Report),
    invokeLambda:
      lookupFault === 'lookup-times-out'
        ? () => new Promise(() => undefined) // never answers
        : lookupFault === 'lookup-throws'
          ? async () => {
              throw Object.assign(new Error('function crashed'), { name: 'Lambda.ServiceException' });
            }
          : invokeHandler(handler),
    bot: (arn) => {
      calls.push(arn);
      const region = regionOfAliasArn(arn);
      if (arn !== aliasArn(region)) throw new Error(`unexpected alias ARN ${arn}`);
      return botFaults[fault][region] ?? 'success';
    },
    // A 3-second Lambda limit waits 150 ms in these tests.
    ...(lookupFault === 'lookup-times-out' ? { timeScale: 0.05 } : {}),
  };
}

const START = ['welcome', 'lookup-region'];
const TO_AGENTS = ['apologize', 'set-agent-queue', 'transfer-to-agents'];
const SERVED = ['record-served', 'thank-you', 'hang-up'];
const FIRST_BOT = [...START, 'check-region', 'record-region', 'talk-to-bot'];
const RETRY = ['record-retry', 'talk-to-fallback-bot'];
/** What record-region saves: the lookup's region and status, and its fallback for the retry. */
const recorded = (region: string, status: string) => ({
  lexdrRegion: region,
  lexdrLookupStatus: status,
  lexdrFallbackRegion: region === PRIMARY ? SECONDARY : PRIMARY,
  lexdrFallbackBotAliasArn: aliasArn(region === PRIMARY ? SECONDARY : PRIMARY),
});
const kindOf = (o: BotOutcome) => (o === 'timeout' ? 'no-input' : 'error');
/** The report action a bot block's failure goes through, and what it reports. */
const reported = (block: string, name: string, region: string, o: BotOutcome) => ({
  action: `report-${name}-${kindOf(o)}`,
  report: { bot: settings.bots[0]!.name, lexRegion: region, kind: kindOf(o), block },
});

/** What the flow must do, worked out from the table state and the faults. */
function expectation(state: TableState, fault: Fault) {
  const { region, status } = tableSays[state];
  const fails = botFaults[fault];
  if (region === 'err')
    return {
      path: [...START, 'check-region', 'note-no-region', ...TO_AGENTS],
      outcome: { kind: 'queued', queueArn: deployment.agentQueueArn },
      attributes: { lexdrRegion: 'err', lexdrLookupStatus: 'err' },
      bots: [] as string[],
      reports: [] as Report[],
    };
  const fallback = region === PRIMARY ? SECONDARY : PRIMARY;
  if (!fails[region])
    return {
      path: [...FIRST_BOT, ...SERVED],
      outcome: { kind: 'served', region, aliasArn: aliasArn(region) },
      attributes: { ...recorded(region, status), lexdrServedRegion: region },
      bots: [aliasArn(region)],
      reports: [],
    };
  const first = reported('talk-to-bot', 'bot', region, fails[region]);
  if (!fails[fallback])
    return {
      path: [...FIRST_BOT, first.action, ...RETRY, ...SERVED],
      outcome: { kind: 'served', region: fallback, aliasArn: aliasArn(fallback) },
      attributes: {
        ...recorded(region, status),
        lexdrRegion: fallback,
        lexdrRetried: 'true',
        lexdrServedRegion: fallback,
      },
      bots: [aliasArn(region), aliasArn(fallback)],
      reports: [first.report],
    };
  const second = reported('talk-to-fallback-bot', 'fallback-bot', fallback, fails[fallback]);
  return {
    path: [...FIRST_BOT, first.action, ...RETRY, second.action, ...TO_AGENTS],
    outcome: { kind: 'queued', queueArn: deployment.agentQueueArn },
    attributes: { ...recorded(region, status), lexdrRegion: fallback, lexdrRetried: 'true' },
    bots: [aliasArn(region), aliasArn(fallback)],
    reports: [first.report, second.report],
  };
}

describe('lexdr-flow.json, rendered, with the real lookup against a local lexDR table', () => {
  it('renders to a valid flow', () => {
    expect(validateFlow(flow)).toEqual({ ok: true, errors: [], warnings: [] });
  });

  it('healthy table, healthy bots: served by the primary region, no retry', async () => {
    await writeState('healthy');
    const e = env('healthy', 'none');
    const r = await simulateCall(flow, e);
    expect(r.path).toEqual([...FIRST_BOT, ...SERVED]);
    expect(r.outcome).toEqual({ kind: 'served', region: PRIMARY, aliasArn: aliasArn(PRIMARY) });
    expect(r.attributes).toEqual({ ...recorded(PRIMARY, 'ok'), lexdrServedRegion: PRIMARY });
    expect(e.calls).toEqual([aliasArn(PRIMARY)]);
    expect(e.reports).toEqual([]);
  });

  it('primary failing but not yet detected: served by the fallback region after one retry', async () => {
    await writeState('undetected');
    const r = await simulateCall(flow, env('undetected', 'primary-bot-error'));
    expect(r.path).toEqual([...FIRST_BOT, 'report-bot-error', 'record-retry', 'talk-to-fallback-bot', ...SERVED]);
    expect(r.outcome).toEqual({ kind: 'served', region: SECONDARY, aliasArn: aliasArn(SECONDARY) });
    expect(r.attributes).toMatchObject({ lexdrRegion: SECONDARY, lexdrRetried: 'true', lexdrServedRegion: SECONDARY });
    expect(r.botAttempts.map((b) => [b.region, b.result])).toEqual([
      [PRIMARY, 'error'],
      [SECONDARY, 'success'],
    ]);
  });

  it('failed over (table says secondary): served by the secondary region directly', async () => {
    await writeState('failed-over');
    const e = env('failed-over', 'primary-bot-error');
    const r = await simulateCall(flow, e);
    expect(r.path).toEqual([...FIRST_BOT, ...SERVED]);
    expect(r.outcome).toEqual({ kind: 'served', region: SECONDARY, aliasArn: aliasArn(SECONDARY) });
    expect(r.attributes).toEqual({ ...recorded(SECONDARY, 'ok'), lexdrServedRegion: SECONDARY });
    expect(e.calls).toEqual([aliasArn(SECONDARY)]);
  });

  it('no healthy region (err): apology, then the agent queue; no bot is tried', async () => {
    await writeState('err');
    const e = env('err', 'none');
    const r = await simulateCall(flow, e);
    expect(r.path).toEqual([...START, 'check-region', 'note-no-region', ...TO_AGENTS]);
    expect(r.outcome).toEqual({ kind: 'queued', queueArn: deployment.agentQueueArn });
    expect(r.messages).toContain(DEFAULT_APOLOGY_TEXT);
    expect(r.attributes).toEqual({ lexdrRegion: 'err', lexdrLookupStatus: 'err' });
    expect(e.calls).toEqual([]);
  });

  const LOOKUP_FAILED = [...START, 'note-lookup-failed', 'talk-to-primary-bot'];

  it('lookup Lambda times out: the caller still reaches the primary region’s bot', async () => {
    await writeState('healthy');
    const e = env('healthy', 'none', 'lookup-times-out');
    const r = await simulateCall(flow, e);
    expect(r.path).toEqual([...LOOKUP_FAILED, ...SERVED]);
    expect(r.outcome).toEqual({ kind: 'served', region: PRIMARY, aliasArn: aliasArn(PRIMARY) });
    expect(r.attributes).toEqual({
      lexdrLookupStatus: 'lookup-failed',
      lexdrRegion: PRIMARY,
      lexdrServedRegion: PRIMARY,
    });
    expect(r.errorsTaken[0]).toMatch(/NoMatchingError at "lookup-region": LambdaTimeoutError/);
    expect(e.calls).toEqual([aliasArn(PRIMARY)]);
  });

  it('lookup Lambda fails and the primary bot fails: the secondary region’s bot serves', async () => {
    await writeState('healthy');
    const e = env('healthy', 'primary-bot-error', 'lookup-throws');
    const r = await simulateCall(flow, e);
    expect(r.path).toEqual([
      ...LOOKUP_FAILED,
      'report-primary-bot-error',
      'record-secondary-retry',
      'talk-to-secondary-bot',
      ...SERVED,
    ]);
    expect(r.outcome).toEqual({ kind: 'served', region: SECONDARY, aliasArn: aliasArn(SECONDARY) });
    expect(r.attributes).toMatchObject({ lexdrRetried: 'true', lexdrServedRegion: SECONDARY });
    expect(r.errorsTaken[0]).toMatch(/Lambda.ServiceException: function crashed/);
    expect(e.calls).toEqual([aliasArn(PRIMARY), aliasArn(SECONDARY)]);
    expect(e.reports).toEqual([reported('talk-to-primary-bot', 'primary-bot', PRIMARY, 'error').report]);
  });

  it('lookup Lambda fails and both bots fail: only then the apology and the agent queue', async () => {
    await writeState('healthy');
    const e = env('healthy', 'both-bots-error', 'lookup-throws');
    const r = await simulateCall(flow, e);
    expect(r.path).toEqual([
      ...LOOKUP_FAILED,
      'report-primary-bot-error',
      'record-secondary-retry',
      'talk-to-secondary-bot',
      'report-secondary-bot-error',
      ...TO_AGENTS,
    ]);
    expect(r.outcome.kind).toBe('queued');
    expect(r.messages).toContain(DEFAULT_APOLOGY_TEXT);
    expect(e.reports.map((x) => [x.block, x.lexRegion])).toEqual([
      ['talk-to-primary-bot', PRIMARY],
      ['talk-to-secondary-bot', SECONDARY],
    ]);
  });

  it('both bots failing: one retry, then apology and the agent queue', async () => {
    await writeState('healthy');
    const r = await simulateCall(flow, env('healthy', 'both-bots-error'));
    expect(r.path).toEqual([...FIRST_BOT, 'report-bot-error', ...RETRY, 'report-fallback-bot-error', ...TO_AGENTS]);
    expect(r.outcome).toEqual({ kind: 'queued', queueArn: deployment.agentQueueArn });
    expect(r.attributes).toMatchObject({ lexdrRetried: 'true' });
    expect(r.messages).toContain(DEFAULT_APOLOGY_TEXT);
  });

  const states: TableState[] = ['healthy', 'undetected', 'failed-over', 'pinned', 'err', 'no-item', 'unreadable'];
  const faults: Fault[] = [
    'none',
    'primary-bot-error',
    'primary-bot-timeout',
    'secondary-bot-error',
    'both-bots-error',
  ];
  const matrix = states.flatMap((s) => faults.map((f) => [s, f] as const));

  it.each(matrix)('table %s × %s: path, outcome, attributes, bots tried and reports', async (state, fault) => {
    await writeState(state);
    const e = env(state, fault);
    const r = await simulateCall(flow, e);
    const want = expectation(state, fault);
    expect(r.path).toEqual(want.path);
    expect(r.outcome).toEqual(want.outcome);
    expect(r.attributes).toEqual(want.attributes);
    expect(e.calls).toEqual(want.bots);
    expect(e.reports).toEqual(want.reports);
    expect(r.outcome.kind).not.toBe('dropped');
    expect(r.messages.length).toBeGreaterThan(1); // never silence
  });

  it.each(states.filter((s) => s !== 'unreadable'))(
    'table %s with the lookup timing out: served by the primary region’s bot, never dropped',
    async (state) => {
      await writeState(state);
      const r = await simulateCall(flow, env(state, 'none', 'lookup-times-out'));
      expect(r.outcome).toEqual({ kind: 'served', region: PRIMARY, aliasArn: aliasArn(PRIMARY) });
    },
  );
});

describe('legacy-flower-dr-flow.json, rendered, with the real lookup', () => {
  const LEGACY_START = [...START, 'check-primary-code'];

  it('renders to a valid flow', () => {
    expect(validateFlow(legacyFlow)).toEqual({ ok: true, errors: [], warnings: [] });
  });

  it('primaryCode = primary region: the primary alias serves; the lookup accepted region=connect region', async () => {
    await writeState('healthy');
    const r = await simulateCall(legacyFlow, env('healthy', 'none'));
    expect(r.path).toEqual([...LEGACY_START, 'record-primary', 'talk-to-primary-bot', ...SERVED]);
    expect(r.outcome).toEqual({ kind: 'served', region: PRIMARY, aliasArn: aliasArn(PRIMARY) });
    expect(r.attributes).toEqual({ lexdrRegion: PRIMARY, lexdrServedRegion: PRIMARY });
    expect(r.external).toMatchObject({ primaryCode: PRIMARY, status: 'ok' });
  });

  it('primaryCode = secondary region: the secondary alias serves', async () => {
    await writeState('failed-over');
    const r = await simulateCall(legacyFlow, env('failed-over', 'primary-bot-error'));
    expect(r.path).toEqual([...LEGACY_START, 'record-secondary', 'talk-to-secondary-bot', ...SERVED]);
    expect(r.outcome).toEqual({ kind: 'served', region: SECONDARY, aliasArn: aliasArn(SECONDARY) });
  });

  it('primaryCode = err: apology and the agent queue', async () => {
    await writeState('err');
    const r = await simulateCall(legacyFlow, env('err', 'none'));
    expect(r.path).toEqual([...LEGACY_START, ...TO_AGENTS]);
    expect(r.outcome).toEqual({ kind: 'queued', queueArn: deployment.agentQueueArn });
  });

  it('bot error: no retry in the legacy flow, straight to apology and the agent queue', async () => {
    await writeState('undetected');
    const r = await simulateCall(legacyFlow, env('undetected', 'primary-bot-error'));
    expect(r.path).toEqual([...LEGACY_START, 'record-primary', 'talk-to-primary-bot', ...TO_AGENTS]);
    expect(r.outcome.kind).toBe('queued');
  });

  it('lookup times out: apology and the agent queue', async () => {
    await writeState('healthy');
    const r = await simulateCall(legacyFlow, env('healthy', 'none', 'lookup-times-out'));
    expect(r.path).toEqual([...START, ...TO_AGENTS]);
    expect(r.outcome.kind).toBe('queued');
  });
});
