/**
 * Asynchronous Lambda invocations in contact flows: the validator's rules for them, and the shipped flow's reports
 * of callers' bot failures (one per bot block error, never for another intent, never delaying the caller).
 */
import { invocationTypeOf } from '../../flows/action-types';
import type { FlowAction, FlowDocument } from '../../flows/flow-schema';
import { LEXDR_FLOW_FILE, loadFlowTemplate } from '../../flows/template';
import { validateFlow } from '../../flows/validate';

const invoke = (id: string, type: string | undefined, next: string): FlowAction => ({
  Identifier: id,
  Type: 'InvokeLambdaFunction',
  Parameters: {
    LambdaFunctionARN: 'fn',
    InvocationTimeLimitSeconds: '3',
    ...(type !== undefined && { InvocationType: type }),
  },
  Transitions: { NextAction: next, Errors: [{ NextAction: next, ErrorType: 'NoMatchingError' }] },
});
const attrs = (id: string, value: string, next: string): FlowAction => ({
  Identifier: id,
  Type: 'UpdateContactAttributes',
  Parameters: { Attributes: { a: value } },
  Transitions: { NextAction: next, Errors: [{ NextAction: next, ErrorType: 'NoMatchingError' }] },
});
const end: FlowAction = { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} };
const flowOf = (actions: FlowAction[]): string =>
  JSON.stringify({ Version: '2019-10-30', StartAction: actions[0]!.Identifier, Actions: [...actions, end] });

describe('validateFlow: asynchronous invocations', () => {
  it('knows the two invocation types and refuses others', () => {
    expect(invocationTypeOf({ InvocationType: 'ASYNCHRONOUS' })).toBe('ASYNCHRONOUS');
    expect(invocationTypeOf({ InvocationType: 'SYNCHRONOUS' })).toBe('SYNCHRONOUS');
    expect(invocationTypeOf({})).toBe('SYNCHRONOUS');
    expect(validateFlow(flowOf([invoke('x', 'FIRE_AND_FORGET', 'end')])).errors).toEqual([
      'action "x" (InvokeLambdaFunction): InvocationType must be SYNCHRONOUS or ASYNCHRONOUS, got "FIRE_AND_FORGET"',
    ]);
  });

  it('warns when the invocation type is left to the default', () => {
    expect(validateFlow(flowOf([invoke('x', undefined, 'end')]))).toEqual({
      ok: true,
      errors: [],
      warnings: [
        'action "x" (InvokeLambdaFunction): InvocationType is not set (it counts as SYNCHRONOUS): say SYNCHRONOUS or ASYNCHRONOUS',
      ],
    });
  });

  it('refuses a $.External read after an asynchronous invocation with no synchronous answer since', () => {
    const r = validateFlow(
      flowOf([
        invoke('lookup', 'SYNCHRONOUS', 'report'),
        invoke('report', 'ASYNCHRONOUS', 'use'),
        attrs('use', '$.External.x', 'end'),
      ]),
    );
    expect(r.errors).toEqual([
      'action "use" (UpdateContactAttributes): reads $.External.x after asynchronous invocation "report" with no synchronous answer since; ' +
        'Connect does not document what $.External holds then: save the values in contact attributes before the asynchronous invocation and read $.Attributes',
    ]);
  });

  it('a synchronous answer after the asynchronous invocation makes $.External readable again', () => {
    const lookup = invoke('lookup', 'SYNCHRONOUS', 'use');
    lookup.Transitions.Errors = [{ NextAction: 'end', ErrorType: 'NoMatchingError' }];
    const r = validateFlow(
      flowOf([invoke('report', 'ASYNCHRONOUS', 'lookup'), lookup, attrs('use', '$.External.x', 'end')]),
    );
    expect(r).toMatchObject({ ok: true, errors: [] });
  });

  it('…but not its error branch: a failed synchronous invocation answers nothing', () => {
    const lookup = invoke('lookup', 'SYNCHRONOUS', 'end');
    lookup.Transitions.Errors = [{ NextAction: 'use', ErrorType: 'NoMatchingError' }];
    const r = validateFlow(
      flowOf([invoke('report', 'ASYNCHRONOUS', 'lookup'), lookup, attrs('use', '$.External.x', 'end')]),
    );
    expect(r.errors).toEqual([
      expect.stringMatching(/^action "use" .*reads \$\.External\.x after asynchronous invocation "report"/),
    ]);
  });

  it('finds the read on any path, in a comparison or a condition, and names every invocation before it', () => {
    const branch: FlowAction = {
      Identifier: 'branch',
      Type: 'Compare',
      Parameters: { ComparisonValue: '$.Attributes.a' },
      Transitions: {
        Conditions: [{ NextAction: 'r1', Condition: { Operator: 'Equals', Operands: ['1'] } }],
        Errors: [{ NextAction: 'r2', ErrorType: 'NoMatchingCondition' }],
      },
    };
    const check: FlowAction = {
      Identifier: 'check',
      Type: 'Compare',
      Parameters: { ComparisonValue: '$.Attributes.a' },
      Transitions: {
        Conditions: [{ NextAction: 'end', Condition: { Operator: 'Equals', Operands: ['$.External.y'] } }],
        Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingCondition' }],
      },
    };
    const r = validateFlow(
      flowOf([
        attrs('start', 'v', 'branch'),
        branch,
        invoke('r1', 'ASYNCHRONOUS', 'check'),
        invoke('r2', 'ASYNCHRONOUS', 'check'),
        check,
      ]),
    );
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^action "check" \(Compare\): reads \$\.External\.y after asynchronous invocations "r1", "r2" /,
      ),
    ]);
  });

  it('a $.External read before the asynchronous invocation, or on a path without one, is fine', () => {
    const r = validateFlow(
      flowOf([
        invoke('lookup', 'SYNCHRONOUS', 'use'),
        attrs('use', '$.External.x', 'report'),
        invoke('report', 'ASYNCHRONOUS', 'end'),
      ]),
    );
    expect(r).toMatchObject({ ok: true, errors: [] });
  });
});

describe('lexdr-flow.json reports each bot failure a caller meets', () => {
  const flow = JSON.parse(loadFlowTemplate(LEXDR_FLOW_FILE)) as FlowDocument;
  const byId = new Map(flow.Actions.map((a) => [a.Identifier, a]));
  const bots = flow.Actions.filter((a) => a.Type === 'ConnectParticipantWithLexBot');
  const errorTarget = (a: FlowAction, type: string) =>
    a.Transitions.Errors!.find((e) => e.ErrorType === type)!.NextAction;
  // The region of the bot that failed: where the flow recorded it before the block, or the deploy-time region.
  const regionOf: Record<string, string> = {
    'talk-to-bot': '$.Attributes.lexdrRegion',
    'talk-to-fallback-bot': '$.Attributes.lexdrRegion',
    'talk-to-primary-bot': '%PrimaryRegion%',
    'talk-to-secondary-bot': '%SecondaryRegion%',
  };

  it('has the four bot blocks', () => {
    expect(bots.map((b) => b.Identifier).sort()).toEqual(Object.keys(regionOf).sort());
  });

  it.each(Object.keys(regionOf))(
    '%s: error and no input each go through one report, then where another intent goes',
    (id) => {
      const block = byId.get(id)!;
      const then = errorTarget(block, 'NoMatchingCondition');
      expect(byId.get(then)!.Type).not.toBe('InvokeLambdaFunction'); // another intent: not a failure to report
      for (const [error, kind] of [
        ['NoMatchingError', 'error'],
        ['InputTimeLimitExceeded', 'no-input'],
      ] as const) {
        const report = byId.get(errorTarget(block, error))!;
        expect(report.Identifier.length).toBeLessThanOrEqual(50);
        expect(report).toEqual({
          Identifier: report.Identifier,
          Type: 'InvokeLambdaFunction',
          Parameters: {
            LambdaFunctionARN: '%ReportFunctionArn%',
            InvocationTimeLimitSeconds: '8',
            InvocationType: 'ASYNCHRONOUS',
            LambdaInvocationAttributes: { bot: '%BotName%', lexRegion: regionOf[id], kind, block: id },
          },
          // A failing report costs the caller nothing: its error goes where its success goes.
          Transitions: { NextAction: then, Errors: [{ NextAction: then, ErrorType: 'NoMatchingError' }] },
        });
      }
    },
  );

  it('the dynamic blocks’ region attribute names the bot that failed when the report runs', () => {
    // talk-to-bot: record-region set lexdrRegion to the lookup's region; record-retry (which names the fallback)
    // runs only after the report.
    expect(byId.get('record-region')!.Parameters.Attributes).toMatchObject({ lexdrRegion: '$.External.lexRegion' });
    expect(byId.get('record-region')!.Transitions.NextAction).toBe('talk-to-bot');
    expect(errorTarget(byId.get('report-bot-error')!, 'NoMatchingError')).toBe('record-retry');
    // talk-to-fallback-bot: record-retry has set lexdrRegion to the fallback region before it.
    expect(byId.get('record-retry')!.Parameters.Attributes).toMatchObject({
      lexdrRegion: '$.Attributes.lexdrFallbackRegion',
    });
    expect(byId.get('record-retry')!.Transitions.NextAction).toBe('talk-to-fallback-bot');
  });
});
