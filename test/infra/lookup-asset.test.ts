/**
 * The lookup's asset as `cdk synth` builds it, bundling on (the other infra tests skip it): its bundle leaves the
 * Powertools logger out, and the logger it requires at its first log entry is installed beside it, at the lock
 * file's version.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { logicalId } from './template-helpers';

const ROOT = join(__dirname, '..', '..');
const LOGGER = '@aws-lambda-powertools/logger';
let outdir: string;
let assetDir: (fnPrefix: string) => string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'lexdr-assets-'));
  const config = parseConfig({ connectRegion: 'us-east-1', regions: ['us-east-1', 'us-west-2'] });
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': ['Lexdr-HealthCheck-*'] } });
  const { healthCheck } = buildApp(config, { app, account: '111111111111', nag: false });
  app.synth();
  const template = Template.fromStack(healthCheck);
  assetDir = (fnPrefix) => {
    const fn = template.toJSON().Resources[logicalId(template, 'AWS::Lambda::Function', fnPrefix)];
    const key = String(fn.Properties.Code.S3Key);
    return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
  };
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

test('the lookup requires its logger from beside its bundle, installed at the lock file’s version', () => {
  const dir = assetDir('LookupFunction');
  const code = readFileSync(join(dir, 'index.js'), 'utf8');
  expect(code).toContain(`require("${LOGGER}")`);
  expect(code).not.toContain('LogFormatter');
  const resolved = require.resolve(LOGGER, { paths: [dir] });
  expect(resolved.startsWith(join(dir, 'node_modules'))).toBe(true);
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string }>;
  };
  const installed = JSON.parse(readFileSync(join(dir, 'node_modules', LOGGER, 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(installed.version).toBe(lock.packages[`node_modules/${LOGGER}`]!.version);
});

test('the other functions bundle their logger (they log on every call): no logger beside them', () => {
  for (const fn of ['HealthCheckFunction', 'ProbeFunction']) {
    const dir = assetDir(fn);
    expect(existsSync(join(dir, 'index.js'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules', LOGGER))).toBe(false);
    expect(readFileSync(join(dir, 'index.js'), 'utf8')).not.toContain(`require("${LOGGER}")`);
  }
});
