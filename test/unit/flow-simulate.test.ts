import type { FlowDocument } from '../../flows/flow-schema';
import type { SimulationEnv } from '../../flows/simulate';
import { FlowSimulationError, regionOfAliasArn, simulateCall } from '../../flows/simulate';
import { LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../../flows/template';

const EAST = 'arn:aws:lex:us-east-1:000000000000:bot-alias/BOTUSEAST1/ALSUSEAST1';
const WEST = 'arn:aws:lex:us-west-2:000000000000:bot-alias/BOTUSWEST2/ALSUSWEST2';
const QUEUE = 'arn:aws:connect:us-east-1:000000000000:instance/i/queue/q';
const flow = renderFlow(loadFlowTemplate(LEXDR_FLOW_FILE), {
  LookupFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:lookup',
  ReportFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:report',
  BotName: 'OrderFlowers',
  BotIntent: 'OrderFlowers',
  ApologyText: 'Sorry!',
  AgentQueueArn: QUEUE,
  PrimaryRegion: 'us-east-1',
  SecondaryRegion: 'us-west-2',
  PrimaryBotAliasArn: EAST,
  SecondaryBotAliasArn: WEST,
});
const answer = {
  lexRegion: 'us-east-1',
  primaryCode: 'us-east-1',
  connectRegion: 'us-east-1',
  botName: 'OrderFlowers',
  botAliasArn: EAST,
  localeId: 'en_US',
  fallbackRegion: 'us-west-2',
  fallbackBotAliasArn: WEST,
  status: 'ok',
  detail: '',
};
const env = (over: Partial<SimulationEnv> = {}): SimulationEnv => ({
  invokeLambda: async () => answer,
  bot: () => 'success',
  ...over,
});

describe('simulateCall (fake lookup and bots)', () => {
  it('reads the region from a Lex V2 alias ARN', () => {
    expect(regionOfAliasArn(WEST)).toBe('us-west-2');
    expect(regionOfAliasArn('not-an-arn')).toBe('');
  });

  it('passes the bot name to the lookup with the time limit of the action and the call’s contact ID', async () => {
    const seen: unknown[] = [];
    const r = await simulateCall(flow, env({ invokeLambda: async (...args) => (seen.push(args), answer) }));
    expect(seen).toEqual([
      [
        'arn:aws:lambda:us-east-1:000000000000:function:lookup',
        { bot: 'OrderFlowers' },
        3,
        { contactId: r.contactId, identifier: 'lookup-region' },
      ],
    ]);
    expect(r.contactId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await simulateCall(flow, env())).contactId).not.toBe(r.contactId);
    expect((await simulateCall(flow, env({ contactId: 'c-1' }))).contactId).toBe('c-1');
  });

  it('queue at capacity: a last message, then hang up (dropped, never silent)', async () => {
    const r = await simulateCall(flow, env({ bot: () => 'error', transfer: () => 'QueueAtCapacity' }));
    expect(r.path.slice(-3)).toEqual(['transfer-to-agents', 'queue-unavailable', 'hang-up']);
    expect(r.outcome).toEqual({
      kind: 'dropped',
      reason: 'disconnected after QueueAtCapacity at "transfer-to-agents"',
    });
    expect(r.messages.at(-1)).toMatch(/agents are busy/);
  });

  it('a lookup answer that is not a flat string map takes the error branch', async () => {
    const r = await simulateCall(flow, env({ invokeLambda: async () => ({ ...answer, nested: { a: 1 } }) }));
    expect(r.path).toContain('note-lookup-failed');
    expect(r.errorsTaken[0]).toMatch(/answer fails STRING_MAP validation/);
    // The lookup failed: the caller still reaches the primary region's bot by its deployed alias.
    expect(r.outcome).toEqual({ kind: 'served', region: 'us-east-1', aliasArn: EAST });
  });

  it('a conversation ending in another intent (NoMatchingCondition) is retried in the fallback region', async () => {
    const r = await simulateCall(
      flow,
      env({ bot: (arn) => (arn === EAST ? { intent: 'FallbackIntent' } : 'success') }),
    );
    expect(r.botAttempts.map((b) => b.result)).toEqual(['unmatched', 'success']);
    expect(r.outcome).toEqual({ kind: 'served', region: 'us-west-2', aliasArn: WEST });
  });

  it('an empty alias ARN takes the bot error branch without calling a bot', async () => {
    const calls: string[] = [];
    const r = await simulateCall(
      flow,
      env({ invokeLambda: async () => ({ ...answer, botAliasArn: '' }), bot: (a) => (calls.push(a), 'success') }),
    );
    expect(calls).toEqual([WEST]);
    expect(r.outcome).toMatchObject({ kind: 'served', region: 'us-west-2' });
  });

  const tiny = (actions: FlowDocument['Actions']): FlowDocument => ({
    Version: '2019-10-30',
    StartAction: actions[0]!.Identifier,
    Actions: actions,
  });

  it('an unhandled error drops the call, naming the action', async () => {
    const f = tiny([{ Identifier: 'q', Type: 'TransferContactToQueue', Parameters: {}, Transitions: {} }]);
    const r = await simulateCall(f, env());
    expect(r.outcome).toEqual({ kind: 'dropped', reason: 'unhandled NoMatchingError at "q"' });
  });

  it('a dead end drops the call, naming the action', async () => {
    const f = tiny([{ Identifier: 'm', Type: 'MessageParticipant', Parameters: { Text: 'hi' }, Transitions: {} }]);
    expect((await simulateCall(f, env())).outcome).toEqual({ kind: 'dropped', reason: 'dead end at "m"' });
  });

  it('resolves $.Attributes in later actions', async () => {
    const f = tiny([
      {
        Identifier: 'set',
        Type: 'UpdateContactAttributes',
        Parameters: { Attributes: { a: 'one' } },
        Transitions: { NextAction: 'copy' },
      },
      {
        Identifier: 'copy',
        Type: 'UpdateContactAttributes',
        Parameters: { Attributes: { b: '$.Attributes.a', c: '$.External.missing' } },
        Transitions: { NextAction: 'end' },
      },
      { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
    ]);
    expect((await simulateCall(f, env())).attributes).toEqual({ a: 'one', b: 'one', c: '' });
  });

  it('throws on an unknown action type', async () => {
    const f = tiny([{ Identifier: 'x', Type: 'PlayJingle', Parameters: {}, Transitions: {} }]);
    await expect(simulateCall(f, env())).rejects.toThrow(/action "x" \(PlayJingle\): unknown action type "PlayJingle"/);
  });

  it('throws on an unsupported reference', async () => {
    const f = tiny([
      { Identifier: 'm', Type: 'MessageParticipant', Parameters: { Text: '$.Queue.Name' }, Transitions: {} },
    ]);
    await expect(simulateCall(f, env())).rejects.toThrow(FlowSimulationError);
  });

  it('gives up on a loop after the step limit', async () => {
    const f = tiny([
      { Identifier: 'a', Type: 'MessageParticipant', Parameters: { Text: 'a' }, Transitions: { NextAction: 'b' } },
      { Identifier: 'b', Type: 'MessageParticipant', Parameters: { Text: 'b' }, Transitions: { NextAction: 'a' } },
    ]);
    await expect(simulateCall(f, env({ maxSteps: 10 }))).rejects.toThrow(/gave up after 10 actions \(a loop\?\)/);
  });
});
