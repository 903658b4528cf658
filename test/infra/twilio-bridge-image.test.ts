/**
 * The bridge's container image as the cloud assembly hands it to `cdk deploy`: built for the task's CPU whatever the
 * CPU of the machine that deploys, from a context that holds what twilio/Dockerfile copies and nothing else — so a
 * synth output folder inside the repository is not copied into itself (the ENAMETOOLONG of issue #21).
 * Synthesizes the Twilio config for real into folders inside the image's context; no Docker build.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { build as esbuild } from 'esbuild';
import { buildApp } from '../../infra/app';
import { parseConfig } from '../../infra/config';
import { STACK_NAMES } from '../../core/contract';
import { ACCOUNT, GLOBAL_RESILIENCY_BOTS, TWILIO } from './deploy-configurations';

const REPO = join(__dirname, '..', '..');

interface TemplateResource {
  Type: string;
  Properties: { RuntimePlatform?: { CpuArchitecture?: string; OperatingSystemFamily?: string } };
}

interface DockerImageSource {
  directory: string;
  dockerFile?: string;
  platform?: string;
}

/** Synthesizes the app with the Twilio config into `outdir` (esbuild bundling off, as in the other infra tests). */
function synthInto(outdir: string): CloudAssembly {
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  return buildApp(parseConfig({ bots: GLOBAL_RESILIENCY_BOTS, twilio: TWILIO }), {
    app,
    nag: false,
    account: ACCOUNT,
  }).app.synth();
}

/** The Twilio stack's Docker image assets (from its asset manifest) and the task's CPU. */
function bridgeImage(assembly: CloudAssembly, outdir: string) {
  const stackName = STACK_NAMES.twilioBridge('us-east-1');
  const manifest = JSON.parse(readFileSync(join(outdir, `${stackName}.assets.json`), 'utf8')) as {
    dockerImages?: Record<string, { source: DockerImageSource }>;
  };
  const images = Object.values(manifest.dockerImages ?? {}).map((i) => i.source);
  const template = assembly.getStackByName(stackName).template as { Resources: Record<string, TemplateResource> };
  const taskDefs = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
  return { images, taskDefs };
}

/** Every path under `dir`, relative to it, directories with a trailing slash. */
function listTree(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    const rel = relative(base, full);
    return e.isDirectory() ? [`${rel}/`, ...listTree(full, base)] : [rel];
  });
}

/** The sources of the Dockerfile's `COPY` instructions from the build context (not `COPY --from=<stage>`). */
function dockerfileCopySources(dockerfile: string): string[] {
  return readFileSync(dockerfile, 'utf8')
    .split('\n')
    .filter((line) => /^COPY\s/i.test(line) && !/--from=/.test(line))
    .flatMap((line) =>
      line
        .trim()
        .split(/\s+/)
        .slice(1)
        .filter((t) => !t.startsWith('--'))
        .slice(0, -1),
    );
}

describe('synth into a folder inside the image context (the repository root)', () => {
  // A name no deny-list of "cdk.out" catches: `cdk synth -o cdk.out.test-xyz`.
  let outdir = '';
  let assembly: CloudAssembly;
  let assetDir = '';

  beforeAll(() => {
    outdir = mkdtempSync(join(REPO, 'cdk.out.test-'));
    assembly = synthInto(outdir);
    const { images } = bridgeImage(assembly, outdir);
    expect(images).toHaveLength(1);
    assetDir = join(outdir, images[0]!.directory);
  });
  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  test('the image is built for the CPU the task pins: linux/amd64 and X86_64, from twilio/Dockerfile', () => {
    const { images, taskDefs } = bridgeImage(assembly, outdir);
    expect(images).toEqual([expect.objectContaining({ dockerFile: 'twilio/Dockerfile', platform: 'linux/amd64' })]);
    expect(taskDefs).toHaveLength(1);
    expect(taskDefs[0]!.Properties.RuntimePlatform).toEqual({
      CpuArchitecture: 'X86_64',
      OperatingSystemFamily: 'LINUX',
    });
    // One pair, whichever way it is changed: the task's CPU and the image's platform agree.
    const platformOf: Record<string, string> = { X86_64: 'linux/amd64', ARM64: 'linux/arm64' };
    expect(images[0]!.platform).toBe(platformOf[taskDefs[0]!.Properties.RuntimePlatform?.CpuArchitecture ?? '']);
  });

  test('the staged context holds no cloud assembly, and only what the Dockerfile copies', () => {
    const tree = listTree(assetDir);
    expect(tree.filter((p) => /(^|\/)(cdk\.out[^/]*|[^/]*\.out|asset\.[0-9a-f]{64})\//.test(p))).toEqual([]);
    expect(tree.filter((p) => /(^|\/)(manifest\.json|tree\.json|[^/]*\.assets\.json)$/.test(p))).toEqual([]);
    expect(tree.filter((p) => /(^|\/)(node_modules|\.git|\.lexdr|test|bench|docs|infra)\//.test(p))).toEqual([]);
    const top = readdirSync(assetDir).sort();
    expect(top).toEqual(['.dockerignore', 'core', 'package-lock.json', 'package.json', 'tsconfig.json', 'twilio']);
  });

  test('every COPY source of twilio/Dockerfile is in the staged context', () => {
    const sources = dockerfileCopySources(join(assetDir, 'twilio', 'Dockerfile'));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'twilio']));
    expect(sources.filter((s) => !existsSync(join(assetDir, s)))).toEqual([]);
    // The staged Dockerfile is the repository's.
    expect(readFileSync(join(assetDir, 'twilio', 'Dockerfile'), 'utf8')).toBe(
      readFileSync(join(REPO, 'twilio', 'Dockerfile'), 'utf8'),
    );
  });

  test('the bridge bundles from the staged context alone (every file it imports was staged)', async () => {
    const result = await esbuild({
      absWorkingDir: assetDir,
      entryPoints: ['twilio/main.ts'],
      bundle: true,
      platform: 'node',
      packages: 'external', // npm ci installs them inside the image
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toEqual(expect.arrayContaining(['twilio/main.ts', 'core/lookup-core.ts']));
    expect(inputs.filter((p) => p.startsWith('..') || p.startsWith('/'))).toEqual([]);
  });
});

test('a synth folder inside a folder the image copies is left out of the context too', () => {
  const outdir = mkdtempSync(join(REPO, 'twilio', '.cdk.out.test-'));
  try {
    const assembly = synthInto(outdir);
    const { images } = bridgeImage(assembly, outdir);
    const staged = listTree(join(outdir, images[0]!.directory));
    expect(staged).toContain('twilio/main.ts');
    expect(staged.filter((p) => p.includes('.cdk.out.test-'))).toEqual([]);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
