/**
 * What the construct library loads at synth is what its package.json promises: every package the compiled library
 * imports (from infra/index.ts, through core/, bot/, flows/) is a dependency or a peer of the package. Cheap to check
 * without packing; the packed app (construct-library.test.ts) proves it by running.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = join(__dirname, '..', '..');

test('the library imports at load only its dependencies and its peers', () => {
  const { metafile } = buildSync({
    entryPoints: [join(ROOT, 'infra', 'index.ts')],
    bundle: true,
    platform: 'node',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const packageOf = (path: string) =>
    path
      .split('/')
      .slice(0, path.startsWith('@') ? 2 : 1)
      .join('/');
  const loaded = new Set(
    Object.values(metafile.inputs)
      .flatMap((i) => i.imports)
      // A `require` inside a function runs when the function does (the probe's Lex V1 client, in its own asset).
      .filter((imp) => imp.external && imp.kind !== 'require-call')
      .map((imp) => packageOf(imp.path))
      .filter((p) => !p.startsWith('node:') && !builtinModules.includes(p)),
  );
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
  };
  expect([...loaded].sort()).toEqual(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).sort());
});
