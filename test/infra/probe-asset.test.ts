/**
 * The probe's and the health check's assets as `cdk synth` builds them, bundling on. The probe carries its own Lex V1
 * runtime client (Lex V1 is past its end of support; the Lambda runtime promises no particular client), bundled
 * apart with everything it needs and loaded only by a V1 probe; the health check carries and requires no Lex client.
 * The probe's asset is then run as Lambda runs it, in a fresh node whose NODE_PATH stands in for the runtime's SDK,
 * against a local Lex region.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { orderFlowers } from '../../bot';
import type { ProbeEvent, ProbeResult } from '../../core/probe-core';
import { LEX_V1_PACKAGE } from '../../core/lex-v1';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { localBotIds, startLocalLexRegion } from '../../local/lex';
import type { LocalLexRegion } from '../../local/lex';
import { logicalId } from './template-helpers';

const ROOT = join(__dirname, '..', '..');
const REGION = 'us-east-1';
/** The V1 client's service ID: a string of its code that survives minification. */
const V1_CODE = '"Lex Runtime Service"';
let outdir: string;
let probeDir: string;
let healthCheckDir: string;
let lex: LocalLexRegion;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'lexdr-probe-assets-'));
  const config = parseConfig({ connectRegion: REGION, regions: [REGION, 'us-west-2'] });
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': ['Lexdr-HealthCheck-*'] } });
  const { healthCheck } = buildApp(config, { app, account: '111111111111', nag: false });
  app.synth();
  const template = Template.fromStack(healthCheck);
  const assetDir = (fnPrefix: string) => {
    const fn = template.toJSON().Resources[logicalId(template, 'AWS::Lambda::Function', fnPrefix)];
    return join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
  };
  probeDir = assetDir('ProbeFunction');
  healthCheckDir = assetDir('HealthCheckFunction');
  lex = await startLocalLexRegion({
    region: REGION,
    bots: [
      { definition: orderFlowers(), ...localBotIds(REGION, 'OrderFlowers'), botName: 'OrderFlowers', botAlias: 'live' },
    ],
  });
}, 120_000);

afterAll(async () => {
  await lex?.close();
  rmSync(outdir, { recursive: true, force: true });
});

const requiresOf = (code: string) => [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
/** How often `needle` occurs in `code` (a count, so that a failure does not print a whole bundle). */
const occurrences = (code: string, needle: string) => code.split(needle).length - 1;

test('the probe’s asset holds the Lex V1 client beside its bundle, at the lock file’s version, and only it', () => {
  const code = readFileSync(join(probeDir, 'index.js'), 'utf8');
  // The bundle requires it by name (once, at its first use) and does not contain it …
  expect(requiresOf(code).filter((r) => r === LEX_V1_PACKAGE)).toHaveLength(1);
  expect(occurrences(code, V1_CODE)).toBe(0);
  // … and that name resolves inside the asset: the runtime's copy, if it still has one, is never used.
  expect(require.resolve(LEX_V1_PACKAGE, { paths: [probeDir] })).toBe(
    join(probeDir, 'node_modules', LEX_V1_PACKAGE, 'index.js'),
  );
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string }>;
  };
  const manifest = JSON.parse(readFileSync(join(probeDir, 'node_modules', LEX_V1_PACKAGE, 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(manifest.version).toBe(lock.packages[`node_modules/${LEX_V1_PACKAGE}`]!.version);
  // The V2 client and Smithy stay the runtime's: required by the bundle, absent from the asset.
  expect(requiresOf(code)).toEqual(
    expect.arrayContaining(['@aws-sdk/client-lex-runtime-v2', '@smithy/node-http-handler']),
  );
  expect(readdirSync(join(probeDir, 'node_modules'))).toEqual(['@aws-sdk']);
  expect(readdirSync(join(probeDir, 'node_modules', '@aws-sdk'))).toEqual(['client-lex-runtime-service']);
});

test('the Lex V1 client in the probe’s asset is self-contained: it requires no SDK or Smithy package', () => {
  const chunk = readFileSync(join(probeDir, 'node_modules', LEX_V1_PACKAGE, 'index.js'), 'utf8');
  expect(occurrences(chunk, V1_CODE)).toBeGreaterThan(0);
  const external = requiresOf(chunk).filter((r) => !r.startsWith('node:'));
  // The optional CRT signer is named only inside an error message ("…calling [require("@aws-sdk/signature-v4-crt");]").
  expect(external.filter((r) => r !== '@aws-sdk/signature-v4-crt')).toEqual([]);
  for (const at of [...chunk.matchAll(/require\("@aws-sdk\/signature-v4-crt"\)/g)].map((m) => m.index))
    expect(chunk.slice(at - 1, at)).toBe('[');
});

test('the health check’s asset neither holds nor requires a Lex runtime client', () => {
  const code = readFileSync(join(healthCheckDir, 'index.js'), 'utf8');
  expect(occurrences(code, LEX_V1_PACKAGE)).toBe(0);
  expect(occurrences(code, '@aws-sdk/client-lex-runtime-v2')).toBe(0);
  expect(occurrences(code, V1_CODE)).toBe(0);
  expect(existsSync(join(healthCheckDir, 'node_modules'))).toBe(false);
});

const ids = localBotIds(REGION, 'OrderFlowers');
const event = (method: ProbeEvent['target']['method']): ProbeEvent => ({
  target: {
    bot: 'OrderFlowers',
    region: REGION,
    ...ids,
    localeId: 'en_US',
    method,
    v1: { botName: 'OrderFlowers', botAlias: 'live' },
  },
  spec: {
    utterance: 'I would like to order some flowers',
    expectedIntent: 'OrderFlowers',
    expectedSlot: 'FlowerType',
    timeoutMs: 5000,
    latencyBudgetMs: 5000,
  },
});

interface Phase {
  results: ProbeResult[];
  /** Files of the V1 client in the process's module cache after the phase's probes. */
  v1Files: string[];
}

/**
 * Loads the probe's asset in a fresh node and runs each phase's probes in turn, noting after each which files of the
 * V1 client are loaded, and every module the V1 client in the asset asked for that is not Node's own.
 */
async function coldProbe(phases: ProbeEvent[][]): Promise<{ phases: Phase[]; fromChunk: string[] }> {
  const chunk = join(probeDir, 'node_modules', LEX_V1_PACKAGE, 'index.js');
  const script = `
    const Module = require('node:module');
    const fromChunk = [];
    const load = Module._load;
    Module._load = function (request, parent, ...rest) {
      if (parent && parent.filename === ${JSON.stringify(chunk)} && !Module.isBuiltin(request)) fromChunk.push(request);
      return load.call(this, request, parent, ...rest);
    };
    const { handler } = require(${JSON.stringify(join(probeDir, 'index.js'))});
    (async () => {
      const phases = [];
      for (const events of ${JSON.stringify(phases)}) {
        const results = [];
        for (const e of events) results.push(await handler(e));
        const v1Files = Object.keys(require.cache).filter((f) => f.includes(${JSON.stringify(LEX_V1_PACKAGE)}));
        phases.push({ results, v1Files });
      }
      process.stdout.write('RESULTS ' + JSON.stringify({ phases, fromChunk }));
    })();`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    env: {
      ...process.env,
      // The runtime's SDK: what the bundle leaves external resolves here, as it does from /var/runtime on Lambda.
      NODE_PATH: join(ROOT, 'node_modules'),
      LEXDR_LEX_ENDPOINTS: JSON.stringify({ [REGION]: lex.url }),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    encoding: 'utf8',
  });
  return JSON.parse(stdout.slice(stdout.lastIndexOf('RESULTS ') + 'RESULTS '.length)) as {
    phases: Phase[];
    fromChunk: string[];
  };
}

test('the deployed probe loads the V1 client only for a V1 probe, and then the copy in its asset', async () => {
  const before = { ...lex.stats() };
  const { phases, fromChunk } = await coldProbe([
    [event('liveness'), event('nlu'), event('stream')],
    [event('v1-putsession'), event('v1-posttext')],
  ]);
  const [v2, v1] = phases;
  expect(v2!.results.map((r) => [r.method, r.reason])).toEqual([
    ['liveness', 'ok'],
    ['nlu', 'ok'],
    ['stream', 'ok'],
  ]);
  expect(v2!.v1Files).toEqual([]);
  expect(v1!.results.map((r) => [r.method, r.reason])).toEqual([
    ['v1-putsession', 'ok'],
    ['v1-posttext', 'ok'],
  ]);
  expect(v1!.v1Files).toEqual([join(probeDir, 'node_modules', LEX_V1_PACKAGE, 'index.js')]);
  // What it needed to call Lex (signing, credentials from the environment, HTTP) came from inside it.
  expect(fromChunk).toEqual([]);
  // The V1 calls reached the region.
  const after = lex.stats();
  for (const api of ['V1.PutSession', 'V1.PostText']) expect((after[api] ?? 0) - (before[api] ?? 0)).toBe(1);
}, 30_000);
