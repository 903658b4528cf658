/**
 * Contact flows are templates: `flows/*.json` with `%Token%` placeholders, filled from deployment values by a
 * global replace. Values are JSON-escaped, so any text (quotes, backslashes, new lines) lands as a string.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The folder holding the flow templates. */
export const FLOWS_DIR = __dirname;

/** The two templates shipped with lexdr. */
export const LEXDR_FLOW_FILE = 'lexdr-flow.json';
export const LEGACY_FLOWER_DR_FLOW_FILE = 'legacy-flower-dr-flow.json';

/** What each token of the shipped templates stands for (for the stack and the README). */
export const TOKEN_DESCRIPTIONS: Readonly<Record<string, string>> = {
  LookupFunctionArn: 'ARN of the lookup Lambda function (the lookup)',
  ReportFunctionArn: 'ARN of the report Lambda function: told, without waiting, of each bot failure a caller meets',
  BotName: 'name of the bot the lookup answers for (a configured bot name)',
  BotIntent: "the bot's intent that counts as a completed conversation (e.g. the probe's expectedIntent)",
  AgentQueueArn: 'ARN of the Amazon Connect queue that takes callers when no bot can',
  ApologyText: 'what callers hear before they are put through to an agent',
  ConnectRegion: 'legacy flow: the Connect region, passed to the lookup as `region`',
  PrimaryRegion: 'the primary bot region (first configured region): where callers go when the lookup fails',
  SecondaryRegion: 'the secondary bot region: tried next when the lookup and the primary bot both fail',
  PrimaryBotAliasArn: 'Lex V2 bot alias ARN in the primary region, used when the lookup fails',
  SecondaryBotAliasArn: 'Lex V2 bot alias ARN in the secondary region, used when the lookup and the primary bot fail',
  LegacyPrimaryAliasArn: 'legacy flow: Lex V2 bot alias ARN in the primary region',
  LegacySecondaryAliasArn: 'legacy flow: Lex V2 bot alias ARN in the secondary region',
};

const TOKEN = /%([A-Za-z][A-Za-z0-9_]*)%/g;

/** A template that cannot be loaded or rendered: names the tokens concerned. */
export class FlowTemplateError extends Error {
  override name = 'FlowTemplateError';
}

/** Reads a template from FLOWS_DIR by file name (no folders). */
export function loadFlowTemplate(fileName: string): string {
  if (basename(fileName) !== fileName || !fileName.endsWith('.json'))
    throw new FlowTemplateError(`flow template "${fileName}": give a .json file name inside ${FLOWS_DIR}`);
  return readFileSync(join(FLOWS_DIR, fileName), 'utf8');
}

/** The distinct `%Token%` names of a template, in order of first appearance. */
export function flowTokens(template: string): string[] {
  return [...new Set([...template.matchAll(TOKEN)].map((m) => m[1]!))];
}

export interface RenderOptions {
  /** Accept values for tokens the template does not use (one value map shared by several templates). */
  readonly allowUnusedValues?: boolean;
}

/**
 * Replaces every `%Token%` with its value, JSON-escaped for a string context. Throws FlowTemplateError when a
 * token has no value (leftover) or a value names no token of the template (unknown), and when the result is not
 * valid JSON.
 */
export function renderFlow(template: string, tokens: Record<string, string>, options: RenderOptions = {}): string {
  const used = flowTokens(template);
  const missing = used.filter((t) => !Object.prototype.hasOwnProperty.call(tokens, t));
  if (missing.length > 0)
    throw new FlowTemplateError(
      `flow template has no value for ${missing.map((t) => `%${t}%`).join(', ')} (values given: ${Object.keys(tokens).join(', ') || 'none'})`,
    );
  const unknown = Object.keys(tokens).filter((t) => !used.includes(t));
  if (unknown.length > 0 && !options.allowUnusedValues)
    throw new FlowTemplateError(
      `unknown flow token ${unknown.map((t) => `%${t}%`).join(', ')}: the template uses only ${used.map((t) => `%${t}%`).join(', ') || 'no tokens'}`,
    );
  const bad = used.filter((t) => typeof tokens[t] !== 'string');
  if (bad.length > 0) throw new FlowTemplateError(`flow token values must be strings: ${bad.join(', ')}`);
  const out = template.replace(TOKEN, (_, name: string) => JSON.stringify(tokens[name]!).slice(1, -1));
  const left = flowTokens(out);
  if (left.length > 0)
    throw new FlowTemplateError(
      `rendered flow still holds ${left.map((t) => `%${t}%`).join(', ')} (a value holds a token)`,
    );
  try {
    JSON.parse(out);
  } catch (e) {
    throw new FlowTemplateError(`rendered flow is not valid JSON (a token outside a string?): ${(e as Error).message}`);
  }
  return out;
}
