/**
 * A fresh CDK app outside the repository that installs lexdr from its packed tarball: `npm pack` (which runs the
 * package's `prepack` build), then `npm install --offline` of the tarball into a new folder. Its runtime dependencies
 * are packed from this repository's node_modules and `aws-cdk-lib` / `constructs` (the package's peers) linked from
 * there, so the install needs neither the registry nor the repository's sources.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/** Every folder this module made, for {@link removeTemporaryFolders}. */
const made: string[] = [];
const tempFolder = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

/** Removes the folders (tarball, app) made so far. */
export function removeTemporaryFolders(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The environment of a child that is not this test run: no npm lifecycle variables, no test-only CDK context. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'CDK_CONTEXT_JSON' && k !== 'NODE_PATH'),
  );
  return { ...env, ...extra };
}

/** `npm pack` of this repository (its `prepack` builds dist/) into a new folder; the tarball's path. */
export async function packLexdr(): Promise<string> {
  const dir = tempFolder('lexdr-pack-');
  const { stdout } = await run('npm', ['pack', '--pack-destination', dir, '--json', '--loglevel=error'], {
    cwd: ROOT,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  // The build's own output goes to stderr; npm's report is the JSON array on stdout.
  const report = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as { filename: string }[];
  return join(dir, report[0]!.filename);
}

export interface PackedApp {
  /** The app's folder (outside the repository). */
  readonly dir: string;
  /** node_modules/lexdr as installed. */
  readonly lexdr: string;
}

/** A new app folder with lexdr installed from `tarball`, and the peers linked. */
export async function installInNewApp(tarball: string): Promise<PackedApp> {
  const dir = tempFolder('lexdr-app-');
  const manifest = JSON.parse(
    (await run('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })).stdout,
  ) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
  // The runtime dependencies, packed from this repository's node_modules (the versions the lock file pins).
  const deps = join(dir, 'deps');
  mkdirSync(deps);
  const names = Object.keys(manifest.dependencies ?? {});
  const packed = names.length
    ? (JSON.parse(
        (
          await run(
            'npm',
            ['pack', ...names.map((n) => `./${n}`), '--pack-destination', deps, '--json', '--ignore-scripts'],
            {
              cwd: join(ROOT, 'node_modules'),
              env: cleanEnv(),
            },
          )
        ).stdout,
      ) as { name: string; filename: string }[])
    : [];
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'contact-centre',
      version: '1.0.0',
      private: true,
      dependencies: {
        lexdr: `file:${tarball}`,
        ...Object.fromEntries(packed.map((p) => [p.name, `file:deps/${p.filename}`])),
      },
    }),
  );
  // Peers are the app's own: linked below, as an app that already has aws-cdk-lib and constructs.
  await run('npm', ['install', '--offline', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: cleanEnv(),
  });
  for (const peer of Object.keys(manifest.peerDependencies ?? {}))
    symlinkSync(join(ROOT, 'node_modules', peer), join(dir, 'node_modules', peer), 'dir');
  return { dir, lexdr: join(dir, 'node_modules', 'lexdr') };
}

/** Runs `node <script>` in the app's folder as `cdk synth` would run the app; exit code, stdout and stderr. */
export async function runNode(
  app: PackedApp,
  script: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // CDK's built-in template validation is left out, as in every test (test/setup-env.ts): cfn-lint checks templates.
    const { stdout, stderr } = await run(process.execPath, [script], {
      cwd: app.dir,
      env: cleanEnv({ CDK_VALIDATION: 'false' }),
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every file under a folder, relative to it. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out;
}

/** A JSON file of the app's folder. */
export const readJson = <T>(app: PackedApp, path: string): T =>
  JSON.parse(readFileSync(join(app.dir, path), 'utf8')) as T;
