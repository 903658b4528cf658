import {
  FLOWS_DIR,
  FlowTemplateError,
  LEGACY_FLOWER_DR_FLOW_FILE,
  LEXDR_FLOW_FILE,
  TOKEN_DESCRIPTIONS,
  flowTokens,
  loadFlowTemplate,
  renderFlow,
} from '../../flows/template';
import { lexdrFlowTokens, legacyFlowTokens } from '../../flows/tokens';
import { parseConfig } from '../../infra/config';
import { buildSettings } from '../../infra/settings';

const template = JSON.stringify({
  Version: '2019-10-30',
  StartAction: 'a',
  Actions: [{ Identifier: 'a', Type: 'MessageParticipant', Parameters: { Text: '%Greeting%, %Name%! %Greeting%' } }],
});

describe('flow templates', () => {
  it('loads the shipped templates from FLOWS_DIR and lists their tokens', () => {
    expect(FLOWS_DIR).toMatch(/flows$/);
    expect(flowTokens(loadFlowTemplate(LEXDR_FLOW_FILE)).sort()).toEqual(
      [
        'AgentQueueArn',
        'ApologyText',
        'BotIntent',
        'BotName',
        'LookupFunctionArn',
        'PrimaryBotAliasArn',
        'ReportFunctionArn',
        'PrimaryRegion',
        'SecondaryBotAliasArn',
        'SecondaryRegion',
      ].sort(),
    );
    expect(flowTokens(loadFlowTemplate(LEGACY_FLOWER_DR_FLOW_FILE))).toEqual(
      expect.arrayContaining(['ConnectRegion', 'PrimaryRegion', 'SecondaryRegion', 'LegacyPrimaryAliasArn']),
    );
  });

  it('documents every token of the shipped templates', () => {
    for (const f of [LEXDR_FLOW_FILE, LEGACY_FLOWER_DR_FLOW_FILE])
      for (const t of flowTokens(loadFlowTemplate(f))) expect(TOKEN_DESCRIPTIONS[t]).toBeDefined();
  });

  it('refuses a path instead of a file name', () => {
    expect(() => loadFlowTemplate('../package.json')).toThrow(FlowTemplateError);
  });

  it('lists each token once, in order of first appearance', () => {
    expect(flowTokens(template)).toEqual(['Greeting', 'Name']);
  });

  it('replaces every occurrence of every token', () => {
    const out = JSON.parse(renderFlow(template, { Greeting: 'Hello', Name: 'Ada' }));
    expect(out.Actions[0].Parameters.Text).toBe('Hello, Ada! Hello');
  });

  it('JSON-escapes values: quotes, backslashes and new lines stay inside the string', () => {
    const name = 'O"Brien \\ the\nsecond }, "x": 1';
    const out = JSON.parse(renderFlow(template, { Greeting: 'Hi', Name: name }));
    expect(out.Actions[0].Parameters.Text).toBe(`Hi, ${name}! Hi`);
    expect(Object.keys(out.Actions[0].Parameters)).toEqual(['Text']);
  });

  it('throws naming the leftover token(s) that have no value', () => {
    expect(() => renderFlow(template, { Greeting: 'Hi' })).toThrow(
      new FlowTemplateError('flow template has no value for %Name% (values given: Greeting)'),
    );
  });

  it('throws naming an unknown token, unless told values may go unused', () => {
    expect(() => renderFlow(template, { Greeting: 'Hi', Name: 'Ada', Nmae: 'typo' })).toThrow(
      /unknown flow token %Nmae%: the template uses only %Greeting%, %Name%/,
    );
    expect(() =>
      renderFlow(template, { Greeting: 'Hi', Name: 'Ada', Other: 'x' }, { allowUnusedValues: true }),
    ).not.toThrow();
  });

  it('throws when a value itself holds a token', () => {
    expect(() => renderFlow(template, { Greeting: '%Name%', Name: 'Ada' })).toThrow(/still holds %Name%/);
    expect(() => renderFlow(template, { Greeting: '100% sure', Name: 'Ada' })).not.toThrow();
  });

  it('builds the token values of both shipped flows from settings', () => {
    const settings = buildSettings(
      parseConfig({}),
      () => ({ botId: 'ABCDEFGHIJ', botAliasId: 'KLMNOPQRST' }),
      '000000000000',
    );
    const v = { lookupFunctionArn: 'fn', agentQueueArn: 'q', reportFunctionArn: 'report-fn' };
    expect(lexdrFlowTokens(settings, v)).toMatchObject({ LookupFunctionArn: 'fn', ReportFunctionArn: 'report-fn' });
    expect(() => renderFlow(loadFlowTemplate(LEXDR_FLOW_FILE), lexdrFlowTokens(settings, v))).not.toThrow();
    const legacy = legacyFlowTokens(settings, v);
    expect(legacy).toMatchObject({
      ConnectRegion: 'us-east-1',
      PrimaryRegion: 'us-east-1',
      SecondaryRegion: 'us-west-2',
      LegacySecondaryAliasArn: 'arn:aws:lex:us-west-2:000000000000:bot-alias/ABCDEFGHIJ/KLMNOPQRST',
    });
    expect(() => renderFlow(loadFlowTemplate(LEGACY_FLOWER_DR_FLOW_FILE), legacy)).not.toThrow();
    expect(() => lexdrFlowTokens(settings, { ...v, botName: 'Nope' })).toThrow(/bot "Nope" is not configured/);
  });
});
