/**
 * The contract between the CLI and the deployed stack: every stack output `lexdr --aws` reads exists in the
 * synthesized template, and the outputs table of docs/configuration.md lists exactly the template's outputs (and says
 * which the CLI reads). Renaming an output on either side fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { CLI_READS_OUTPUTS, HEALTH_CHECK_OUTPUTS } from '../../core/contract';

const config = parseConfig({
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  bots: [{ name: 'OrderFlowers', source: 'code' }],
  metricNamespace: 'lexdr-contract',
});
const { healthCheck } = buildApp(config, {
  app: new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
  account: '111111111111',
  nag: false,
});
const outputs = Template.fromStack(healthCheck).toJSON().Outputs as Record<string, { Value: unknown }>;
const DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');

/** The outputs table of docs/configuration.md: output name → "Read by lexdr --aws" (yes/no). */
/** Every TypeScript file of the CLI. */
function cliSources(dir = join(__dirname, '..', '..', 'cli')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? cliSources(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [readFileSync(join(dir, e.name), 'utf8')]
        : [],
  );
}

function documentedOutputs(): Record<string, string> {
  const start = DOC.indexOf('Outputs of the health-check stack');
  expect(start).toBeGreaterThan(-1);
  const rows: Record<string, string> = {};
  const lines = DOC.slice(start).split('\n');
  let inTable = false;
  for (const line of lines) {
    if (line.startsWith('|')) inTable = true;
    else if (inTable) break;
    const m = /^\| `([A-Za-z]+)`\s*\|.*\|\s*(yes|no)\s*\|$/.exec(line);
    if (m) rows[m[1]!] = m[2]!;
  }
  return rows;
}

describe('CLI ↔ stack contract', () => {
  it.each(CLI_READS_OUTPUTS)('the stack emits %s, which the CLI reads', (name) => {
    expect(Object.keys(outputs)).toContain(name);
  });

  it('the stack emits exactly the outputs of core/contract.ts', () => {
    expect(Object.keys(outputs).sort()).toEqual(Object.values(HEALTH_CHECK_OUTPUTS).sort());
  });

  it('the plain outputs carry the configured values the CLI falls back on', () => {
    expect(outputs[HEALTH_CHECK_OUTPUTS.metricNamespace]!.Value).toBe('lexdr-contract');
    expect(outputs[HEALTH_CHECK_OUTPUTS.connectRegion]!.Value).toBe('us-east-1');
    expect(outputs[HEALTH_CHECK_OUTPUTS.regions]!.Value).toBe('us-east-1,us-west-2');
  });

  it("docs/configuration.md's outputs table lists every output of the stack, and which ones the CLI reads", () => {
    const rows = documentedOutputs();
    expect(Object.keys(rows).sort()).toEqual(Object.keys(outputs).sort());
    for (const [name, read] of Object.entries(rows))
      expect(`${name}: ${read}`).toBe(
        `${name}: ${(CLI_READS_OUTPUTS as readonly string[]).includes(name) ? 'yes' : 'no'}`,
      );
  });

  it('the CLI source reads stack outputs only through the shared names, and reads each it says it reads', () => {
    const source = cliSources().join('\n');
    // An output read by a literal name: `outputOf(outputs, 'X')`, `OutputKey === 'X'`, `out('X')`, `value('X')`.
    const literal = source.match(/(outputOf\([^,)]*,\s*|OutputKey\s*===\s*|\bout\(|\bvalue\()'[A-Z][A-Za-z]*'/g) ?? [];
    expect(literal).toEqual([]);
    for (const name of CLI_READS_OUTPUTS) {
      const key = Object.entries(HEALTH_CHECK_OUTPUTS).find(([, v]) => v === name)![0];
      expect(source).toMatch(new RegExp(`\\b(O|HEALTH_CHECK_OUTPUTS)\\.${key}\\b`));
    }
  });
});
