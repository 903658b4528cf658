/**
 * The Twilio bridge pre-built for the npm package, which has no sources to build twilio/Dockerfile from: that
 * Dockerfile's own build stage (its esbuild command and the .wasm it copies) run here, and its runtime stage written as
 * the package's Dockerfile, copying the result. Read from twilio/Dockerfile, so the two cannot drift apart.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { BundleError } from './bundle-handlers';

const ROOT = join(__dirname, '..', '..');
const DOCKERFILE = join(ROOT, 'twilio', 'Dockerfile');
/** Where the Dockerfile's build stage writes its output (`/src/dist`), relative to its work dir. */
const BUILD_OUT = 'dist';

/** The Dockerfile's build steps: the esbuild arguments and the files it copies into its output. */
export interface BridgeBuild {
  readonly esbuildArgs: string[];
  readonly copies: { from: string; to: string }[];
  /** The runtime stage, copying the output from the build context instead of the build stage. */
  readonly runtimeDockerfile: string;
}

/** Reads the bridge's build from twilio/Dockerfile; throws BundleError if its shape is not the one expected. */
export function readBridgeBuild(dockerfile = readFileSync(DOCKERFILE, 'utf8')): BridgeBuild {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  const run = /^RUN npx esbuild (.+)$/m.exec(joined);
  if (!run) throw new BundleError(`${DOCKERFILE}: no "RUN npx esbuild …" line`);
  const [bundle, ...rest] = run[1]!.split('&&').map((s) => s.trim());
  const esbuildArgs = bundle!.split(/\s+/);
  if (!esbuildArgs.includes(`--outfile=${BUILD_OUT}/main.js`))
    throw new BundleError(`${DOCKERFILE}: the esbuild command does not write ${BUILD_OUT}/main.js`);
  const copies = rest.map((step) => {
    const m = /^cp (\S+) (\S+)$/.exec(step);
    if (!m || !m[2]!.startsWith(`${BUILD_OUT}/`))
      throw new BundleError(`${DOCKERFILE}: unexpected build step "${step}"`);
    return { from: m[1]!, to: m[2]!.slice(BUILD_OUT.length + 1) };
  });
  const stages = dockerfile.split(/^(?=FROM )/m);
  const runtime = stages[stages.length - 1]!;
  const copyFromBuild = /^COPY --from=build (--chown=\S+ )?\/src\/dist\/ \.\/$/m;
  if (!copyFromBuild.test(runtime)) throw new BundleError(`${DOCKERFILE}: the runtime stage does not copy /src/dist/`);
  const runtimeDockerfile =
    "# The lexdr Twilio bridge, pre-built when the lexdr package was packed: the runtime stage of lexdr's\n" +
    "# twilio/Dockerfile, copying the bundle built by that Dockerfile's build stage.\n" +
    runtime.replace(copyFromBuild, (_, chown: string | undefined) => `COPY ${chown ?? ''}. ./`);
  return { esbuildArgs, copies, runtimeDockerfile };
}

/** Builds the bridge into `outDir` (main.js, the copied files, Dockerfile). */
export function bundleBridge(outDir: string): void {
  const build = readBridgeBuild();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const esbuild = join(dirname(require.resolve('esbuild/package.json', { paths: [ROOT] })), 'bin', 'esbuild');
  const args = build.esbuildArgs.map((a) =>
    a === `--outfile=${BUILD_OUT}/main.js` ? `--outfile=${join(outDir, 'main.js')}` : a,
  );
  execFileSync(esbuild, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  for (const { from, to } of build.copies) copyFileSync(join(ROOT, from), join(outDir, to));
  writeFileSync(join(outDir, 'Dockerfile'), build.runtimeDockerfile);
  // `COPY . ./` takes the bundle and the .wasm, not the build's own files.
  writeFileSync(join(outDir, '.dockerignore'), 'Dockerfile\n.dockerignore\n');
}
