import { ACTION_TYPES } from '../../flows/action-types';
import type { FlowDocument } from '../../flows/flow-schema';
import { LEGACY_FLOWER_DR_FLOW_FILE, LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../../flows/template';
import { validateFlow } from '../../flows/validate';

const tokens: Record<string, string> = {
  LookupFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:lookup',
  ReportFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:report',
  BotName: 'OrderFlowers',
  BotIntent: 'OrderFlowers',
  ApologyText: 'Sorry — one moment, "please".',
  AgentQueueArn: 'arn:aws:connect:eu-west-1:111122223333:instance/abc/queue/def',
  ConnectRegion: 'eu-west-1',
  PrimaryRegion: 'eu-west-1',
  SecondaryRegion: 'eu-central-1',
  LegacyPrimaryAliasArn: 'arn:aws:lex:eu-west-1:111122223333:bot-alias/AAAAAAAAAA/BBBBBBBBBB',
  LegacySecondaryAliasArn: 'arn:aws:lex:eu-central-1:111122223333:bot-alias/AAAAAAAAAA/BBBBBBBBBB',
  PrimaryBotAliasArn: 'arn:aws:lex:eu-west-1:111122223333:bot-alias/AAAAAAAAAA/BBBBBBBBBB',
  SecondaryBotAliasArn: 'arn:aws:lex:eu-central-1:111122223333:bot-alias/AAAAAAAAAA/BBBBBBBBBB',
};
const rendered = (file: string) => renderFlow(loadFlowTemplate(file), tokens, { allowUnusedValues: true });

/** A small valid rendered flow to break in one place per test. */
function baseFlow(): FlowDocument {
  return {
    Version: '2019-10-30',
    StartAction: 'hello',
    Actions: [
      {
        Identifier: 'hello',
        Type: 'MessageParticipant',
        Parameters: { Text: 'Hello' },
        Transitions: { NextAction: 'set-queue', Errors: [{ NextAction: 'set-queue', ErrorType: 'NoMatchingError' }] },
      },
      {
        Identifier: 'set-queue',
        Type: 'UpdateContactTargetQueue',
        Parameters: { QueueId: 'queue-1' },
        Transitions: { NextAction: 'to-queue', Errors: [{ NextAction: 'bye', ErrorType: 'NoMatchingError' }] },
      },
      {
        Identifier: 'to-queue',
        Type: 'TransferContactToQueue',
        Parameters: {},
        Transitions: {
          Errors: [
            { NextAction: 'bye', ErrorType: 'QueueAtCapacity' },
            { NextAction: 'bye', ErrorType: 'NoMatchingError' },
          ],
        },
      },
      { Identifier: 'bye', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
    ],
  };
}
const action = (f: FlowDocument, id: string) => f.Actions.find((a) => a.Identifier === id)!;
const check = (f: FlowDocument, template = false) => validateFlow(JSON.stringify(f), { template });

describe('validateFlow on the shipped templates', () => {
  it.each([LEXDR_FLOW_FILE, LEGACY_FLOWER_DR_FLOW_FILE])('%s is a valid template', (file) => {
    expect(validateFlow(loadFlowTemplate(file), { template: true })).toEqual({ ok: true, errors: [], warnings: [] });
  });

  it.each([LEXDR_FLOW_FILE, LEGACY_FLOWER_DR_FLOW_FILE])('%s rendered is a valid flow', (file) => {
    expect(validateFlow(rendered(file))).toEqual({ ok: true, errors: [], warnings: [] });
  });

  it.each([LEXDR_FLOW_FILE, LEGACY_FLOWER_DR_FLOW_FILE])('%s unrendered is not deployable: tokens left', (file) => {
    const r = validateFlow(loadFlowTemplate(file));
    expect(r.ok).toBe(false);
    expect(r.errors[0]).toMatch(/still holds token\(s\) .*%LookupFunctionArn%/);
  });

  it('the lexdr flow talks to the bot alias the lookup answers (dynamic), never a fixed one', () => {
    const flow = JSON.parse(loadFlowTemplate(LEXDR_FLOW_FILE)) as FlowDocument;
    const lex = flow.Actions.filter((a) => a.Type === 'ConnectParticipantWithLexBot');
    expect(lex.map((a) => (a.Parameters.LexV2Bot as { AliasArn: string }).AliasArn)).toEqual([
      '$.External.botAliasArn',
      // The lookup's fallback, saved in a contact attribute before any report (see flow-validate-async.test.ts).
      '$.Attributes.lexdrFallbackBotAliasArn',
      // Only when the lookup itself failed: the deploy-time aliases, primary then secondary.
      '%PrimaryBotAliasArn%',
      '%SecondaryBotAliasArn%',
    ]);
  });

  it('the legacy flow is marked legacy in its metadata', () => {
    const flow = JSON.parse(loadFlowTemplate(LEGACY_FLOWER_DR_FLOW_FILE)) as FlowDocument;
    expect(flow.Metadata).toMatchObject({ lexdrVariant: 'legacy' });
    expect(String(flow.Metadata?.description)).toMatch(/^LEGACY/);
  });

  it('the base fixture is valid (so each broken one fails for its own reason)', () => {
    expect(check(baseFlow())).toEqual({ ok: true, errors: [], warnings: [] });
  });
});

describe('validateFlow on broken flows', () => {
  it('missing transition target', () => {
    const f = baseFlow();
    action(f, 'hello').Transitions.NextAction = 'nowhere';
    const r = check(f);
    expect(r.ok).toBe(false);
    expect(r.errors).toContain(
      'action "hello" (MessageParticipant): NextAction points at "nowhere", which is not an action of this flow',
    );
  });

  it('missing error target', () => {
    const f = baseFlow();
    action(f, 'to-queue').Transitions.Errors![0]!.NextAction = 'gone';
    expect(check(f).errors).toContain(
      'action "to-queue" (TransferContactToQueue): error QueueAtCapacity points at "gone", which is not an action of this flow',
    );
  });

  it('missing StartAction', () => {
    const f = baseFlow();
    f.StartAction = 'begin';
    expect(check(f).errors).toContain('StartAction "begin" is not an action of this flow');
  });

  it('duplicate identifier', () => {
    const f = baseFlow();
    f.Actions.push({ ...action(f, 'bye') });
    expect(check(f).errors).toContain('duplicate Identifier "bye": identifiers must be unique');
  });

  it('identifier longer than 50 characters', () => {
    const f = baseFlow();
    const long = 'x'.repeat(51);
    action(f, 'bye').Identifier = long;
    action(f, 'to-queue').Transitions.Errors!.forEach((e) => (e.NextAction = long));
    action(f, 'set-queue').Transitions.Errors![0]!.NextAction = long;
    const r = check(f);
    expect(r.errors).toEqual([
      `action "${long}" (DisconnectParticipant): Identifier is 51 characters; at most 50 are allowed`,
    ]);
  });

  it('unhandled documented error', () => {
    const f = baseFlow();
    action(f, 'to-queue').Transitions.Errors = [{ NextAction: 'bye', ErrorType: 'NoMatchingError' }];
    expect(check(f).errors).toEqual([
      'action "to-queue" (TransferContactToQueue): does not handle its documented error QueueAtCapacity',
    ]);
  });

  it('every documented Lex error must be handled', () => {
    const f = baseFlow();
    f.Actions.splice(1, 0, {
      Identifier: 'bot',
      Type: 'ConnectParticipantWithLexBot',
      Parameters: { Text: 'Hi', LexV2Bot: { AliasArn: '$.External.botAliasArn' } },
      Transitions: { NextAction: 'set-queue', Errors: [{ NextAction: 'set-queue', ErrorType: 'NoMatchingError' }] },
    });
    action(f, 'hello').Transitions = {
      NextAction: 'bot',
      Errors: [{ NextAction: 'bot', ErrorType: 'NoMatchingError' }],
    };
    const r = check(f);
    expect(r.errors).toEqual([
      'action "bot" (ConnectParticipantWithLexBot): does not handle its documented error InputTimeLimitExceeded',
      'action "bot" (ConnectParticipantWithLexBot): does not handle its documented error NoMatchingCondition',
    ]);
  });

  it('dead end: a non-terminal action with nowhere to go', () => {
    const f = baseFlow();
    delete action(f, 'hello').Transitions.NextAction;
    expect(check(f).errors).toContain(
      'action "hello" (MessageParticipant): dead end: no NextAction; every path must end in DisconnectParticipant or TransferContactToQueue',
    );
  });

  it('cycle', () => {
    const f = baseFlow();
    action(f, 'set-queue').Transitions.Errors![0]!.NextAction = 'hello';
    expect(check(f).errors).toContain(
      'cycle: "hello" → "set-queue" → "hello"; a flow path must not return to an earlier action',
    );
  });

  it('leftover token in a rendered flow', () => {
    const f = baseFlow();
    action(f, 'set-queue').Parameters.QueueId = '%AgentQueueArn%';
    expect(check(f).errors).toEqual(['rendered flow still holds token(s) %AgentQueueArn%: renderFlow must fill them']);
    expect(check(f, true).ok).toBe(true);
  });

  it('content longer than 256,000 characters', () => {
    const f = baseFlow();
    action(f, 'hello').Parameters.Text = 'a'.repeat(256_001);
    const r = check(f);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^flow content is 256\d{3} characters; Amazon Connect accepts at most 256000$/);
  });

  it('hard-coded ARN, account and region in a template', () => {
    const f = baseFlow();
    action(f, 'set-queue').Parameters.QueueId = 'arn:aws:connect:us-east-1:123456789012:instance/x/queue/y';
    const r = check(f, true);
    expect(r.errors).toEqual([
      'action "set-queue" (UpdateContactTargetQueue) at QueueId: hard-coded an ARN ("arn:aws") in a template; use a %Token% placeholder',
      'action "set-queue" (UpdateContactTargetQueue) at QueueId: hard-coded an account ID ("123456789012") in a template; use a %Token% placeholder',
      'action "set-queue" (UpdateContactTargetQueue) at QueueId: hard-coded a region name ("us-east-1") in a template; use a %Token% placeholder',
    ]);
    expect(check(f, false).ok).toBe(true); // a rendered flow holds real ARNs
  });

  it('hard-coded region in a template message', () => {
    const f = baseFlow();
    action(f, 'hello').Parameters.Text = 'You are talking to eu-west-1';
    expect(check(f, true).errors).toEqual([
      'action "hello" (MessageParticipant) at Text: hard-coded a region name ("eu-west-1") in a template; use a %Token% placeholder',
    ]);
  });

  it('wrong Version and not JSON', () => {
    const f = baseFlow();
    f.Version = '2020-01-01';
    expect(check(f).errors).toEqual(['Version is "2020-01-01"; the flow language version is "2019-10-30"']);
    expect(validateFlow('{"Version":').errors[0]).toMatch(/^flow is not valid JSON/);
  });

  it('not the flow-language shape', () => {
    const r = validateFlow(JSON.stringify({ Version: '2019-10-30', Actions: [] }));
    expect(r.ok).toBe(false);
    expect(r.errors.join('\n')).toMatch(/flow shape: StartAction/);
  });

  it('unknown action type', () => {
    const f = baseFlow();
    action(f, 'hello').Type = 'PlayJingle';
    expect(check(f).errors[0]).toMatch(
      /^action "hello" \(PlayJingle\): unknown action type "PlayJingle"; known types: /,
    );
  });

  it('parameter rules: Lambda time limit 1–8, Compare needs a JSONPath, Conditions only where supported', () => {
    const f = baseFlow();
    f.Actions.splice(0, 0, {
      Identifier: 'lookup',
      Type: 'InvokeLambdaFunction',
      Parameters: { LambdaFunctionARN: 'fn', InvocationTimeLimitSeconds: '9' },
      Transitions: {
        NextAction: 'cmp',
        Conditions: [{ NextAction: 'cmp', Condition: { Operator: 'Equals', Operands: ['x'] } }],
        Errors: [{ NextAction: 'hello', ErrorType: 'NoMatchingError' }],
      },
    });
    f.Actions.splice(1, 0, {
      Identifier: 'cmp',
      Type: 'Compare',
      Parameters: { ComparisonValue: 'lexRegion' },
      Transitions: { NextAction: 'hello', Errors: [{ NextAction: 'hello', ErrorType: 'NoMatchingCondition' }] },
    });
    f.StartAction = 'lookup';
    expect(check(f).errors).toEqual([
      'action "lookup" (InvokeLambdaFunction): InvocationTimeLimitSeconds must be a static integer 1–8 (as a string), got "9"',
      'action "lookup" (InvokeLambdaFunction): this action type takes no Conditions',
      'action "cmp" (Compare): ComparisonValue must be a single JSONPath identifier such as "$.External.x", got "lexRegion"',
    ]);
  });

  it('warns about unreachable actions and transfers without a target queue', () => {
    const f = baseFlow();
    action(f, 'hello').Transitions = {
      NextAction: 'to-queue',
      Errors: [{ NextAction: 'to-queue', ErrorType: 'NoMatchingError' }],
    };
    const r = check(f);
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([
      'action "set-queue" (UpdateContactTargetQueue): not reachable from StartAction "hello"',
      'action "to-queue" (TransferContactToQueue): some path reaches it without an UpdateContactTargetQueue, so the transfer may fail',
    ]);
  });

  it('the action table covers every type the shipped flows use, with the documented errors', () => {
    const used = new Set(
      [LEXDR_FLOW_FILE, LEGACY_FLOWER_DR_FLOW_FILE].flatMap((f) =>
        (JSON.parse(loadFlowTemplate(f)) as FlowDocument).Actions.map((a) => a.Type),
      ),
    );
    for (const t of used) expect(ACTION_TYPES[t]).toBeDefined();
    expect(ACTION_TYPES.ConnectParticipantWithLexBot!.errors).toEqual([
      'InputTimeLimitExceeded',
      'NoMatchingError',
      'NoMatchingCondition',
    ]);
    expect(ACTION_TYPES.TransferContactToQueue!.errors).toEqual(['QueueAtCapacity', 'NoMatchingError']);
    expect(ACTION_TYPES.DisconnectParticipant!.errors).toEqual([]);
  });
});
