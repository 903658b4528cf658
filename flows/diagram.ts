/** Draws a contact flow as a Mermaid flowchart (the README's picture of the flow). */
import { invocationTypeOf } from './action-types';
import type { FlowAction, FlowDocument } from './flow-schema';
import { edgesOf, parseFlow } from './flow-schema';

const quote = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');

function detail(a: FlowAction): string {
  const p = a.Parameters;
  switch (a.Type) {
    case 'InvokeLambdaFunction': {
      const attrs = (p.LambdaInvocationAttributes ?? {}) as Record<string, unknown>;
      // A report names what it reports; the caller never waits for it.
      if (invocationTypeOf(p) === 'ASYNCHRONOUS')
        return `Lambda, async${typeof attrs.kind === 'string' ? `: ${attrs.kind}` : ''}`;
      return `Lambda, ${String(p.InvocationTimeLimitSeconds ?? '?')} s limit`;
    }
    case 'Compare':
      return String(p.ComparisonValue ?? '');
    case 'ConnectParticipantWithLexBot':
      return `Lex V2 bot: ${String((p.LexV2Bot as { AliasArn?: unknown } | undefined)?.AliasArn ?? '?')}`;
    case 'UpdateContactAttributes':
      return Object.keys((p.Attributes ?? {}) as object).join(', ');
    case 'UpdateContactTargetQueue':
      return 'set agent queue';
    case 'TransferContactToQueue':
      return 'to agents';
    case 'DisconnectParticipant':
      return 'hang up';
    case 'MessageParticipant': {
      const t = String(p.Text ?? p.SSML ?? p.PromptId ?? '');
      return `'${t.length > 40 ? `${t.slice(0, 37)}...` : t}'`;
    }
    default:
      return a.Type;
  }
}

function node(id: string, a: FlowAction): string {
  const text = `${quote(a.Identifier)}<br/>${quote(detail(a))}`;
  switch (a.Type) {
    case 'Compare':
      return `  ${id}{"${text}"}`;
    case 'DisconnectParticipant':
      return `  ${id}(["${text}"])`;
    case 'TransferContactToQueue':
      return `  ${id}[["${text}"]]`;
    case 'ConnectParticipantWithLexBot':
      return `  ${id}{{"${text}"}}`;
    default:
      return `  ${id}["${text}"]`;
  }
}

/** A Mermaid `flowchart` of the flow: success and condition edges solid, error edges dotted. */
export function flowToMermaid(flow: string | FlowDocument, direction: 'TD' | 'LR' = 'TD'): string {
  const doc = typeof flow === 'string' ? parseFlow(flow) : flow;
  const ids = new Map(doc.Actions.map((a, i) => [a.Identifier, `a${i}`]));
  const nodeId = (identifier: string) => ids.get(identifier) ?? `missing_${identifier.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const lines = [`flowchart ${direction}`, '  start((call)) --> ' + nodeId(doc.StartAction)];
  for (const a of doc.Actions) lines.push(node(nodeId(a.Identifier), a));
  for (const a of doc.Actions) {
    // One arrow per target, labels joined: three bot errors to one place draw as one arrow. An arrow that only
    // errors take is dotted.
    const grouped = new Map<string, { to: string; onlyErrors: boolean; labels: string[] }>();
    for (const e of edgesOf(a)) {
      const g = grouped.get(e.to) ?? { to: e.to, onlyErrors: true, labels: [] };
      if (e.kind !== 'error') g.onlyErrors = false;
      const text = e.kind === 'next' ? 'ok' : e.label;
      if (!g.labels.includes(text)) g.labels.push(text);
      grouped.set(e.to, g);
    }
    for (const g of grouped.values()) {
      const text = quote(g.labels.join(', '));
      const arrow = g.onlyErrors ? `-. "${text}" .->` : `-- "${text}" -->`;
      lines.push(`  ${nodeId(a.Identifier)} ${arrow} ${nodeId(g.to)}`);
    }
  }
  return lines.join('\n') + '\n';
}
