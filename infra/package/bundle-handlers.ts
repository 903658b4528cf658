/**
 * The shipped handlers bundled for the npm package: each through `LexdrFunction`'s own NodejsFunction path (the one
 * `cdk synth` takes in a checkout), its asset copied to `<outDir>/<name>/` — so that the package's functions run
 * exactly the code a checkout deploys, the probe's self-contained Lex V1 client and the lookup's installed logger
 * included.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { LEXDR_HANDLERS, LexdrFunction } from '../constructs/lexdr-function';
import type { LexdrHandlerName } from '../constructs/lexdr-function';

const ROOT = join(__dirname, '..', '..');

/** A bundling step that did not produce what the package needs. */
export class BundleError extends Error {
  override name = 'BundleError';
}

/** The `@aws-cdk/*` feature flags of lexdr's cdk.json: the package's bundles are made as `cdk synth` makes them. */
function featureFlags(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return Object.fromEntries(Object.entries(cdkJson.context).filter(([k]) => k.startsWith('@aws-cdk')));
}

/** Where each handler's bundle went, and CDK's fingerprint of it (its asset hash: the same files, the same hash). */
export type BundledHandlers = Record<LexdrHandlerName, { readonly dir: string; readonly assetHash: string }>;

/** Bundles every shipped handler into `<outDir>/<name>/` (index.js, and node_modules where the bundling has them). */
export function bundleHandlers(outDir: string): BundledHandlers {
  const outdir = mkdtempSync(join(tmpdir(), 'lexdr-handlers-'));
  try {
    const app = new App({ outdir, context: featureFlags() });
    const stack = new Stack(app, 'LexdrHandlers');
    const names = Object.keys(LEXDR_HANDLERS) as LexdrHandlerName[];
    const functions = names.map(
      (name) =>
        [
          name,
          new LexdrFunction(stack, name, {
            // Built from the entry: a pre-bundled asset must never be bundled from an older one.
            entry: join(ROOT, LEXDR_HANDLERS[name].entry),
            bundling: LEXDR_HANDLERS[name].bundling,
            description: name,
            memorySize: 128,
            timeout: Duration.seconds(3),
          }),
        ] as const,
    );
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Properties?: { Code?: { S3Key?: string } } }>;
    };
    const bundled = {} as Record<LexdrHandlerName, { dir: string; assetHash: string }>;
    for (const [name, fn] of functions) {
      const id = stack.getLogicalId(fn.function.node.defaultChild as never);
      const key = template.Resources[id]?.Properties?.Code?.S3Key;
      if (!key) throw new BundleError(`${name}: the synthesized function has no asset`);
      const asset = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
      if (!existsSync(join(asset, 'index.js'))) throw new BundleError(`${name}: no index.js in ${asset}`);
      const dir = join(outDir, name);
      rmSync(dir, { recursive: true, force: true });
      cpSync(asset, dir, { recursive: true });
      bundled[name] = { dir, assetHash: key.replace(/\.zip$/, '') };
    }
    return bundled;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
