import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowToMermaid } from '../../flows/diagram';
import type { FlowDocument } from '../../flows/flow-schema';
import { FLOWS_DIR, LEXDR_FLOW_FILE, loadFlowTemplate } from '../../flows/template';

describe('flowToMermaid', () => {
  const template = loadFlowTemplate(LEXDR_FLOW_FILE);
  const chart = flowToMermaid(template);

  it('draws every action once and starts at StartAction', () => {
    const flow = JSON.parse(template) as FlowDocument;
    expect(chart.startsWith('flowchart TD\n  start((call)) --> a0\n')).toBe(true);
    for (const a of flow.Actions) expect(chart.match(new RegExp(`"${a.Identifier}<br/>`, 'g'))).toHaveLength(1);
  });

  it('draws error-only arrows dotted and joins labels to one target', () => {
    expect(chart).toContain('a1 -. "NoMatchingError" .-> a3'); // lookup error → note-lookup-failed
    expect(chart).toContain('a6 -. "InputTimeLimitExceeded" .-> a8'); // talk-to-bot → report-bot-no-input
    expect(chart).toContain('a6 -. "NoMatchingCondition" .-> a9'); // another intent → record-retry, unreported
    expect(chart).toContain('a7 -- "ok, NoMatchingError" --> a9'); // report-bot-error → record-retry either way
    expect(chart).toContain('a2 -- "Equals err" --> a4');
  });

  it('labels the reports as asynchronous, with what they report', () => {
    expect(chart).toContain('a7["report-bot-error<br/>Lambda, async: error"]');
    expect(chart).toContain('a8["report-bot-no-input<br/>Lambda, async: no-input"]');
    expect(chart).toContain('a1["lookup-region<br/>Lambda, 3 s limit"]');
  });

  it('escapes quotes in labels', () => {
    const flow: FlowDocument = {
      Version: '2019-10-30',
      StartAction: 'x',
      Actions: [{ Identifier: 'x', Type: 'Compare', Parameters: { ComparisonValue: 'say "hi"' }, Transitions: {} }],
    };
    expect(flowToMermaid(flow)).toContain('a0{"x<br/>say #quot;hi#quot;"}');
  });

  it('docs/contact-flow.md shows the current diagram of lexdr-flow.json', () => {
    const page = readFileSync(join(FLOWS_DIR, '..', 'docs', 'contact-flow.md'), 'utf8');
    expect(page).toContain('```mermaid\n' + chart + '```');
  });
});
