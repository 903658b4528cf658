/**
 * The lexdr flow's reports of callers' bot failures, walked by the simulator: every bot block's error branch reports
 * once (the failed bot's region, the kind, the bot, the contact) and then goes on as before; a report that fails or
 * never answers changes nothing for the caller; another intent (NoMatchingCondition) is not reported.
 */
import type { FlowDocument } from '../../flows/flow-schema';
import type { BotOutcome, CallSimulation, InvocationContext, SimulationEnv } from '../../flows/simulate';
import { FlowSimulationError, simulateCall } from '../../flows/simulate';
import { LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../../flows/template';

const EAST = 'arn:aws:lex:us-east-1:000000000000:bot-alias/BOTUSEAST1/ALSUSEAST1';
const WEST = 'arn:aws:lex:us-west-2:000000000000:bot-alias/BOTUSWEST2/ALSUSWEST2';
const REPORT_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:report';
const flow = renderFlow(loadFlowTemplate(LEXDR_FLOW_FILE), {
  LookupFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:lookup',
  ReportFunctionArn: REPORT_ARN,
  BotName: 'OrderFlowers',
  BotIntent: 'OrderFlowers',
  ApologyText: 'Sorry!',
  AgentQueueArn: 'arn:aws:connect:us-east-1:000000000000:instance/i/queue/q',
  PrimaryRegion: 'us-east-1',
  SecondaryRegion: 'us-west-2',
  PrimaryBotAliasArn: EAST,
  SecondaryBotAliasArn: WEST,
});
const answer = (active: 'us-east-1' | 'us-west-2') => ({
  lexRegion: active,
  botAliasArn: active === 'us-east-1' ? EAST : WEST,
  fallbackRegion: active === 'us-east-1' ? 'us-west-2' : 'us-east-1',
  fallbackBotAliasArn: active === 'us-east-1' ? WEST : EAST,
  status: 'ok',
});

interface Sent {
  arn: string;
  params: Record<string, string>;
  context: InvocationContext;
}

/** An env whose lookup answers `active` (or fails), whose bots end as `bots` says, recording every report. */
function env(
  bots: Partial<Record<'east' | 'west', BotOutcome>>,
  lookup: 'us-east-1' | 'us-west-2' | 'fails' = 'us-east-1',
  over: Partial<SimulationEnv> = {},
): SimulationEnv & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    invokeLambda: async () => {
      if (lookup === 'fails') throw new Error('lookup down');
      return answer(lookup);
    },
    bot: (arn) => (arn === EAST ? bots.east : bots.west) ?? 'success',
    invokeLambdaAsync: async (arn, params, context) => void sent.push({ arn, params, context }),
    ...over,
  };
}

const report = (block: string, lexRegion: string, kind: 'error' | 'no-input') => ({
  bot: 'OrderFlowers',
  lexRegion,
  kind,
  block,
});

const FIRST = ['welcome', 'lookup-region', 'check-region', 'record-region', 'talk-to-bot'];
const LOOKUP_FAILED = ['welcome', 'lookup-region', 'note-lookup-failed', 'talk-to-primary-bot'];
const SERVED = ['record-served', 'thank-you', 'hang-up'];
const AGENTS = ['apologize', 'set-agent-queue', 'transfer-to-agents'];

const cases: {
  name: string;
  bots: Partial<Record<'east' | 'west', BotOutcome>>;
  lookup?: 'us-east-1' | 'us-west-2' | 'fails';
  path: string[];
  reports: ReturnType<typeof report>[];
  served: string | null;
}[] = [
  {
    name: 'active bot fails: reports its region, then the retry in the fallback region serves',
    bots: { east: 'error' },
    path: [...FIRST, 'report-bot-error', 'record-retry', 'talk-to-fallback-bot', ...SERVED],
    reports: [report('talk-to-bot', 'us-east-1', 'error')],
    served: 'us-west-2',
  },
  {
    name: 'active bot hears nothing in time: a no-input report, then the retry',
    bots: { east: 'timeout' },
    path: [...FIRST, 'report-bot-no-input', 'record-retry', 'talk-to-fallback-bot', ...SERVED],
    reports: [report('talk-to-bot', 'us-east-1', 'no-input')],
    served: 'us-west-2',
  },
  {
    name: 'failed over to us-west-2 and it fails too: the report names us-west-2, us-east-1 serves',
    bots: { west: 'error' },
    lookup: 'us-west-2',
    path: [...FIRST, 'report-bot-error', 'record-retry', 'talk-to-fallback-bot', ...SERVED],
    reports: [report('talk-to-bot', 'us-west-2', 'error')],
    served: 'us-east-1',
  },
  {
    name: 'both bots fail: one report per block, each naming its own region, then agents',
    bots: { east: 'error', west: 'timeout' },
    path: [
      ...FIRST,
      'report-bot-error',
      'record-retry',
      'talk-to-fallback-bot',
      'report-fallback-bot-no-input',
      ...AGENTS,
    ],
    reports: [report('talk-to-bot', 'us-east-1', 'error'), report('talk-to-fallback-bot', 'us-west-2', 'no-input')],
    served: null,
  },
  {
    name: 'lookup fails and the primary bot fails: the primary region is reported, the secondary serves',
    bots: { east: 'error' },
    lookup: 'fails',
    path: [...LOOKUP_FAILED, 'report-primary-bot-error', 'record-secondary-retry', 'talk-to-secondary-bot', ...SERVED],
    reports: [report('talk-to-primary-bot', 'us-east-1', 'error')],
    served: 'us-west-2',
  },
  {
    name: 'lookup fails and both bots fail: both regions reported, then agents',
    bots: { east: 'timeout', west: 'error' },
    lookup: 'fails',
    path: [
      ...LOOKUP_FAILED,
      'report-primary-bot-no-input',
      'record-secondary-retry',
      'talk-to-secondary-bot',
      'report-secondary-bot-error',
      ...AGENTS,
    ],
    reports: [
      report('talk-to-primary-bot', 'us-east-1', 'no-input'),
      report('talk-to-secondary-bot', 'us-west-2', 'error'),
    ],
    served: null,
  },
  {
    name: 'another intent (NoMatchingCondition) is the bot working: retried, never reported',
    bots: { east: { intent: 'FallbackIntent' }, west: { intent: 'FallbackIntent' } },
    path: [...FIRST, 'record-retry', 'talk-to-fallback-bot', ...AGENTS],
    reports: [],
    served: null,
  },
  {
    name: 'healthy: no report',
    bots: {},
    path: [...FIRST, ...SERVED],
    reports: [],
    served: 'us-east-1',
  },
];

const servedRegion = (r: CallSimulation) => (r.outcome.kind === 'served' ? r.outcome.region : null);

describe('the lexdr flow reports callers’ bot failures', () => {
  it.each(cases)('$name', async (c) => {
    const e = env(c.bots, c.lookup, { contactId: 'contact-1' });
    const r = await simulateCall(flow, e);
    expect(r.path).toEqual(c.path);
    expect(servedRegion(r)).toBe(c.served);
    expect(e.sent.map((s) => s.params)).toEqual(c.reports);
    expect(e.sent.every((s) => s.arn === REPORT_ARN && s.context.contactId === 'contact-1')).toBe(true);
    expect(e.sent.map((s) => s.context.identifier)).toEqual(r.path.filter((id) => id.startsWith('report-')));
    await r.asyncSettled;
    expect(r.asyncInvocations.map((i) => [i.params, i.status])).toEqual(c.reports.map((p) => [p, 'delivered']));
  });

  it('the same call, with and without a report function: same path, same attributes, same words', async () => {
    const withReports = await simulateCall(flow, env({ east: 'error' }));
    const without = await simulateCall(flow, env({ east: 'error' }, 'us-east-1', { invokeLambdaAsync: undefined }));
    expect(without.path).toEqual(withReports.path);
    expect(without.attributes).toEqual(withReports.attributes);
    expect(without.messages).toEqual(withReports.messages);
    expect(without.asyncInvocations.map((i) => i.status)).toEqual(['not-delivered']);
  });

  it('a report that rejects, throws or never answers changes nothing for the caller', async () => {
    const baseline = await simulateCall(flow, env({ east: 'error', west: 'error' }));
    const failing: SimulationEnv['invokeLambdaAsync'][] = [
      async () => {
        throw Object.assign(new Error('throttled'), { name: 'TooManyRequestsException' });
      },
      () => {
        throw new Error('thrown before any promise');
      },
      () => new Promise(() => undefined),
    ];
    for (const invokeLambdaAsync of failing) {
      // 8-second report limit × 0.005 = 40 ms before a silent report counts as failed.
      const r = await simulateCall(
        flow,
        env({ east: 'error', west: 'error' }, 'us-east-1', { invokeLambdaAsync, timeScale: 0.005 }),
      );
      expect(r.path).toEqual(baseline.path);
      expect(r.outcome).toEqual(baseline.outcome);
      expect(r.attributes).toEqual(baseline.attributes);
      expect(r.messages).toEqual(baseline.messages);
      await r.asyncSettled;
      expect(r.asyncInvocations.map((i) => i.status)).toEqual(['failed', 'failed']);
    }
  });

  it('the caller does not wait for a report: the call ends while the report is still pending', async () => {
    let answerReport: () => void = () => undefined;
    const pending = new Promise<void>((resolve) => (answerReport = resolve));
    const r = await simulateCall(flow, env({ east: 'error' }, 'us-east-1', { invokeLambdaAsync: () => pending }));
    expect(r.outcome).toMatchObject({ kind: 'served', region: 'us-west-2' });
    expect(r.asyncInvocations.map((i) => i.status)).toEqual(['pending']);
    answerReport();
    await r.asyncSettled;
    expect(r.asyncInvocations.map((i) => i.status)).toEqual(['delivered']);
  });

  it('records why a report failed', async () => {
    const r = await simulateCall(
      flow,
      env({ east: 'timeout' }, 'us-east-1', {
        invokeLambdaAsync: () => new Promise(() => undefined),
        timeScale: 0.005,
      }),
    );
    await r.asyncSettled;
    expect(r.asyncInvocations).toEqual([
      {
        identifier: 'report-bot-no-input',
        arn: REPORT_ARN,
        params: report('talk-to-bot', 'us-east-1', 'no-input'),
        status: 'failed',
        error: 'LambdaTimeoutError: no answer within 40 ms',
      },
    ]);
  });

  it('refuses to read $.External after an asynchronous invocation (Connect does not say what it holds)', async () => {
    const f: FlowDocument = {
      Version: '2019-10-30',
      StartAction: 'lookup',
      Actions: [
        {
          Identifier: 'lookup',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: 'fn', InvocationTimeLimitSeconds: '3', InvocationType: 'SYNCHRONOUS' },
          Transitions: { NextAction: 'report' },
        },
        {
          Identifier: 'report',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: 'fn', InvocationTimeLimitSeconds: '3', InvocationType: 'ASYNCHRONOUS' },
          Transitions: { NextAction: 'say' },
        },
        {
          Identifier: 'say',
          Type: 'MessageParticipant',
          Parameters: { Text: '$.External.lexRegion' },
          Transitions: { NextAction: 'end' },
        },
        { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
      ],
    };
    await expect(simulateCall(f, env({}))).rejects.toThrow(
      new FlowSimulationError(
        'action "say" (MessageParticipant): reads "$.External.lexRegion" after the asynchronous invocation "report"; Connect does not document what $.External holds then',
      ),
    );
  });
});
