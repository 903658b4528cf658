/**
 * `cdk synth` as an operator sees it: the feature flags the installed aws-cdk-lib recommends are all set in cdk.json
 * (so synth does not announce unconfigured flags), and a config error is one clean message, not a stack trace.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { synthMain } from '../../infra/app';
import { parseConfig } from '../../infra/config';

const ROOT = join(__dirname, '..', '..');
const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
const recommended = JSON.parse(
  readFileSync(join(ROOT, 'node_modules', 'aws-cdk-lib', 'recommended-feature-flags.json'), 'utf8'),
) as Record<string, unknown>;

/** Flags set on purpose to something else than the recommendation, and why. */
const DELIBERATE: Record<string, [unknown, string]> = {
  '@aws-cdk/core:defaultCrossStackReferences': [
    'strong',
    'bot stacks export their IDs to the health check: a bot stack must not drop an ID still in use',
  ],
};

describe('feature flags', () => {
  test('cdk.json sets every flag the installed aws-cdk-lib recommends, to the recommended value unless deliberate', () => {
    const missing = Object.keys(recommended).filter((k) => !(k in cdkJson.context));
    expect(missing).toEqual([]);
    for (const [k, v] of Object.entries(recommended))
      expect([k, cdkJson.context[k]]).toEqual([k, k in DELIBERATE ? DELIBERATE[k]![0] : v]);
  });

  test('tests synthesize with the same flags (test/setup-env.ts)', () => {
    const app = new App();
    expect(app.node.tryGetContext('@aws-cdk/aws-iam:minimizePolicies')).toBe(true);
    expect(app.node.tryGetContext('@aws-cdk/core:defaultCrossStackReferences')).toBe('strong');
  });
});

describe('the synth entry', () => {
  test('prints a config error as one message and returns 1', () => {
    const lines: string[] = [];
    const code = synthMain(
      () => parseConfig({ cadenceSeconds: 7 }, '"lexdr" context in cdk.json'),
      (s) => lines.push(s),
    );
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^lexdr: invalid "lexdr" context in cdk\.json:\n {2}cadenceSeconds: got 7; must divide 60/,
    );
    expect(lines[0]).not.toMatch(/\n\s+at /);
  });

  test('a checkout with a broken cdk.json: `tsx infra/app.ts` exits 1 with the message only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lexdr-synth-'));
    try {
      for (const d of ['core', 'infra', 'bot', 'handlers', 'statemachine', 'flows', 'twilio', 'local'])
        cpSync(join(ROOT, d), join(dir, d), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      const broken = { ...cdkJson, context: { ...cdkJson.context, lexdr: { regions: ['us-east-1', 'Mars'] } } };
      writeFileSync(join(dir, 'cdk.json'), JSON.stringify(broken));
      writeFileSync(join(dir, 'package.json'), readFileSync(join(ROOT, 'package.json')));
      writeFileSync(join(dir, 'tsconfig.json'), readFileSync(join(ROOT, 'tsconfig.json')));
      const r = await promisify(execFile)(
        process.execPath,
        [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'infra/app.ts'],
        {
          cwd: dir,
          env: { ...process.env, CDK_OUTDIR: join(dir, 'cdk.out') },
        },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('regions.1: got "Mars"; a region where Lex V2 runs');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
