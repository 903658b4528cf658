/** `lexdr flow validate|diagram FILE`: check a contact flow (template or rendered) without Amazon Connect. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { flowToMermaid } from '../../flows/diagram';
import { parseFlow } from '../../flows/flow-schema';
import { flowTokens } from '../../flows/template';
import { validateFlow } from '../../flows/validate';
import type { CliContext } from '../lib/context';
import { CliError, EXIT, UsageError } from '../lib/errors';

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

export function register(program: Command, ctx: CliContext): void {
  const flow = program.command('flow').description('Check contact flows in the Amazon Connect flow language.');
  flow
    .command('validate')
    .description(
      'Validate a flow: shape, identifiers, transitions, handled errors, every path ends, no cycle, size. ' +
        'A file with %Token% placeholders is checked as a template (no hard-coded ARN, region or account).',
    )
    .argument('<file>', 'flow JSON, e.g. flows/lexdr-flow.json')
    .option('--template', 'check as a template even without tokens')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { template?: boolean; json?: boolean }) => {
      const content = read(file);
      const template = opts.template === true || flowTokens(content).length > 0;
      const r = validateFlow(content, { template });
      if (opts.json) ctx.io.out(JSON.stringify({ file, template, ...r }, null, 2));
      else {
        for (const e of r.errors) ctx.io.out(`error    ${e}`);
        for (const w of r.warnings) ctx.io.out(`warning  ${w}`);
        ctx.io.out(
          `${file}: ${r.ok ? 'valid' : 'INVALID'}${template ? ' (template)' : ''} — ${r.errors.length} error(s), ${r.warnings.length} warning(s)`,
        );
      }
      if (!r.ok) throw new CliError(`${file} is not a valid flow`, EXIT.failure);
    });
  flow
    .command('diagram')
    .description('Print a Mermaid flowchart of a flow (paste into any Markdown that renders Mermaid).')
    .argument('<file>', 'flow JSON')
    .action((file: string) => {
      let doc;
      try {
        doc = parseFlow(read(file));
      } catch (e) {
        throw new UsageError(`${file}: ${(e as Error).message}`);
      }
      ctx.io.out(flowToMermaid(doc));
    });
}
