/**
 * `lexdr flow validate|diagram FILE`: check a contact flow (template or rendered) without Amazon Connect.
 * `lexdr flow render`: the shipped flow filled with this deployment's values, for a manual import into Connect.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { flowToMermaid } from '../../flows/diagram';
import { parseFlow } from '../../flows/flow-schema';
import { LEXDR_FLOW_FILE, flowTokens, loadFlowTemplate, renderFlow } from '../../flows/template';
import { lexdrFlowTokens } from '../../flows/tokens';
import { validateFlow } from '../../flows/validate';
import { ConfigError, parseConfig, readConfigFile } from '../../infra/config';
import type { LexdrConfig } from '../../infra/config';
import { buildSettings } from '../../infra/settings';
import type { CliContext } from '../lib/context';
import { HEALTH_CHECK_OUTPUTS } from '../../core/contract';
import { stackOutput } from '../lib/dr-table';
import { CliError, EXIT, UsageError } from '../lib/errors';
import type { GlobalOptions } from '../lib/target';

interface RenderOptions {
  lookupFunctionArn?: string;
  reportFunctionArn?: string;
  agentQueueArn?: string;
  apologyText?: string;
  bot?: string;
  output?: string;
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/;

/** The config with the flags' values, validated by the config schema (its messages name the key and the value). */
function flowConfig(o: RenderOptions): LexdrConfig {
  let config: LexdrConfig;
  try {
    config = readConfigFile();
    return parseConfig(
      {
        ...config,
        ...(o.agentQueueArn !== undefined && { agentQueueArn: o.agentQueueArn }),
        ...(o.apologyText !== undefined && { apologyText: o.apologyText }),
      },
      'cdk.json "lexdr" context with --agent-queue-arn / --apology-text',
    );
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** Renders `flows/lexdr-flow.json` for the configured deployment; the flow names no bot ID (the lookup answers it). */
export function renderLexdrFlow(
  config: LexdrConfig,
  v: { lookupFunctionArn: string; reportFunctionArn: string; agentQueueArn: string; botName?: string },
): string {
  // The lexdr flow's tokens need the bots' names and the probe's intent, not their IDs: placeholder IDs suffice.
  const settings = buildSettings(config, () => ({ botId: 'UNUSED', botAliasId: 'UNUSED' }), '000000000000');
  return renderFlow(
    loadFlowTemplate(LEXDR_FLOW_FILE),
    lexdrFlowTokens(settings, {
      lookupFunctionArn: v.lookupFunctionArn,
      reportFunctionArn: v.reportFunctionArn,
      agentQueueArn: v.agentQueueArn,
      ...(config.apologyText !== undefined && { apologyText: config.apologyText }),
      ...(v.botName !== undefined && { botName: v.botName }),
    }),
  );
}

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
    .command('render')
    .description(
      `Render flows/${LEXDR_FLOW_FILE} with this deployment's values (cdk.json and the flags) for a manual import into Amazon Connect; checked before it is written.`,
    )
    .option(
      '--lookup-function-arn <arn>',
      'ARN of the lookup Lambda (default with --aws: the stack output LookupFunctionArn)',
    )
    .option(
      '--report-function-arn <arn>',
      "ARN of the report Lambda, told of callers' bot failures (default with --aws: the stack output ReportFunctionArn)",
    )
    .option('--agent-queue-arn <arn>', 'queue for callers no bot can serve (default: agentQueueArn in cdk.json)')
    .option(
      '--apology-text <text>',
      'what callers hear before an agent (default: apologyText in cdk.json, or the built-in text)',
    )
    .option('--bot <name>', 'the configured bot the flow talks to (default: the first)')
    .option('-o, --output <file>', 'write the flow here (default: print it)')
    .addHelpText(
      'after',
      '\nExample: lexdr --aws --region us-east-1 flow render --agent-queue-arn arn:aws:connect:…/queue/… -o lexdr-flow.rendered.json',
    )
    .action(async (opts: RenderOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const config = flowConfig(opts);
      let lookupFunctionArn = opts.lookupFunctionArn;
      if (lookupFunctionArn === undefined && g.aws)
        lookupFunctionArn = await stackOutput(g, ctx.io, config.connectRegion, HEALTH_CHECK_OUTPUTS.lookupFunctionArn);
      if (lookupFunctionArn === undefined)
        throw new UsageError(
          'no lookup function: pass --lookup-function-arn ARN (the stack output LookupFunctionArn), or --aws to read it from the stack',
        );
      if (!LAMBDA_ARN.test(lookupFunctionArn))
        throw new UsageError(
          `--lookup-function-arn "${lookupFunctionArn}": must be a Lambda function ARN such as arn:aws:lambda:us-east-1:123456789012:function:name`,
        );
      let reportFunctionArn = opts.reportFunctionArn;
      if (reportFunctionArn === undefined && g.aws)
        reportFunctionArn = await stackOutput(g, ctx.io, config.connectRegion, HEALTH_CHECK_OUTPUTS.reportFunctionArn);
      if (reportFunctionArn === undefined)
        throw new UsageError(
          'no report function: pass --report-function-arn ARN (the stack output ReportFunctionArn), or --aws to read it from the stack',
        );
      if (!LAMBDA_ARN.test(reportFunctionArn))
        throw new UsageError(
          `--report-function-arn "${reportFunctionArn}": must be a Lambda function ARN such as arn:aws:lambda:us-east-1:123456789012:function:name`,
        );
      if (!config.agentQueueArn)
        throw new UsageError('no agent queue: pass --agent-queue-arn ARN (or set agentQueueArn in cdk.json)');
      if (opts.bot !== undefined && !config.bots.some((b) => b.name === opts.bot))
        throw new UsageError(
          `--bot "${opts.bot}": not a configured bot (${config.bots.map((b) => b.name).join(', ')})`,
        );
      const content = renderLexdrFlow(config, {
        lookupFunctionArn,
        reportFunctionArn,
        agentQueueArn: config.agentQueueArn,
        ...(opts.bot !== undefined && { botName: opts.bot }),
      });
      const check = validateFlow(content);
      for (const e of check.errors) ctx.io.err(`error    ${e}`);
      for (const w of check.warnings) ctx.io.err(`warning  ${w}`);
      if (!check.ok) throw new CliError('the rendered flow is not valid; nothing written', EXIT.failure);
      if (!opts.output) return ctx.io.out(content);
      const path = isAbsolute(opts.output) ? opts.output : join(ctx.io.cwd, opts.output);
      try {
        writeFileSync(path, content);
      } catch (e) {
        throw new UsageError(`cannot write ${opts.output}: ${(e as Error).message}`);
      }
      ctx.io.out(
        `Wrote ${opts.output}: ${LEXDR_FLOW_FILE} for Connect ${config.connectRegion}, valid (${check.warnings.length} warning(s)).`,
      );
      ctx.io.out(
        'Import it in the Amazon Connect console: Flows → Create flow → ▾ next to Save → Import, then Publish.',
      );
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
