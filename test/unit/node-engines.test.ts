/**
 * The Node versions lexdr claims (package.json `engines`) against what its installed packages demand: a package
 * whose `engines` floor is above ours is allowed only when the Node API it needs is polyfilled and named here.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Packages above our floor, and the API `local/polyfills.ts` supplies for them. */
const POLYFILLED: Record<string, string> = { 'aws-local-stepfunctions': 'Promise.withResolvers' };

/** [major, minor] of the lowest version a `>=x.y` / `^x.y` / `x.y` range admits (first alternative). */
function floor(range: string): [number, number] {
  const m = /(\d+)(?:\.(\d+))?/.exec(range.split('||')[0]!);
  if (!m) throw new Error(`unreadable range ${range}`);
  return [Number(m[1]), Number(m[2] ?? 0)];
}
const above = (a: [number, number], b: [number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

describe('Node engines', () => {
  const ours = floor(pkg.engines.node);

  it('claims Node 20.18, and the Node running the tests meets it', () => {
    expect(ours).toEqual([20, 18]);
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    expect(above(ours, [major, minor])).toBe(false);
  });

  it('every direct dependency runs on our floor, or needs only an API that the local polyfill supplies', () => {
    const higher: string[] = [];
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
      const file = join(ROOT, 'node_modules', name, 'package.json');
      if (!existsSync(file)) continue;
      const engines = (JSON.parse(readFileSync(file, 'utf8')) as { engines?: { node?: string } }).engines;
      if (engines?.node && above(floor(engines.node), ours)) higher.push(name);
    }
    expect(higher.sort()).toEqual(Object.keys(POLYFILLED).sort());
    const polyfill = readFileSync(join(ROOT, 'local', 'polyfills.ts'), 'utf8');
    for (const api of Object.values(POLYFILLED)) expect(polyfill).toContain(api.split('.').pop());
  });

  it('the polyfilled package uses no other Node 22 API', () => {
    const dir = join(ROOT, 'node_modules', 'aws-local-stepfunctions', 'build');
    const src = readdirSync(dir)
      .filter((f) => f.startsWith('main.node'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    expect(src).toContain('withResolvers');
    for (const api of ['Array.fromAsync', 'Iterator.from', 'process.getBuiltinModule', '.isSubsetOf(', '.union('])
      expect(src).not.toContain(api);
  });

  it('the README and the Node-version notes (docs/local-system.md) state the same floor', () => {
    for (const file of ['README.md', join('docs', 'local-system.md')]) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(`${file}: ${text.includes(`Node.js ≥ ${ours.join('.')}`)}`).toBe(`${file}: true`);
    }
  });
});
