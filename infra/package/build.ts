/**
 * Builds the npm package's `dist/` (`npm pack` runs it as `prepack`): the construct library compiled to JavaScript
 * with its declarations (tsconfig.build.json, from infra/index.ts), the files it reads at synth (the health-check ASL,
 * the contact flow templates) beside the compiled code that reads them, the shipped handlers pre-bundled into
 * `dist/assets/<name>/`, and the Twilio bridge pre-built into `dist/assets/twilio-bridge/`. A user's app then needs
 * neither esbuild nor the TypeScript sources.
 *
 *   npx tsx infra/package/build.ts
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleBridge } from './bundle-bridge';
import { bundleHandlers } from './bundle-handlers';

const ROOT = join(__dirname, '..', '..');
export const DIST = join(ROOT, 'dist');
/**
 * What was bundled: each handler's asset hash as NodejsFunction computed it (a fingerprint of the bundle's files). A
 * function built from the package's pre-bundled asset gets the same hash exactly when it deploys the same files.
 */
export const BUNDLE_MANIFEST = join(DIST, 'assets', 'manifest.json');

/** Copies the `.json` files of a project folder into the same folder of dist/ (where the compiled code reads them). */
function copyJson(folder: string): void {
  mkdirSync(join(DIST, folder), { recursive: true });
  for (const f of readdirSync(join(ROOT, folder)).filter((n) => n.endsWith('.json')))
    cpSync(join(ROOT, folder, f), join(DIST, folder, f));
}

export function build(log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): void {
  rmSync(DIST, { recursive: true, force: true });
  log('lexdr package: compiling (tsconfig.build.json)');
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc', { paths: [ROOT] }), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  copyJson('statemachine');
  copyJson('flows');
  log('lexdr package: bundling the handlers');
  const bundled = bundleHandlers(join(DIST, 'assets'));
  const manifest = Object.fromEntries(Object.entries(bundled).map(([name, b]) => [name, { assetHash: b.assetHash }]));
  writeFileSync(BUNDLE_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  log('lexdr package: building the Twilio bridge');
  bundleBridge(join(DIST, 'assets', 'twilio-bridge'));
}

if (require.main === module) build();
