import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findEndpointsFile, processAlive, runningElsewhere } from '../../local/endpoints-file';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lexdr-endpoints-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const write = (o: object) => {
  mkdirSync(join(root, '.lexdr'), { recursive: true });
  writeFileSync(join(root, '.lexdr', 'local.json'), JSON.stringify(o));
};
/** A pid that is not running: a child that has exited. */
const deadPid = () =>
  spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();

describe('the endpoints file', () => {
  it('is found from any folder below the checkout, and not above it', () => {
    write({ control: 'http://127.0.0.1:4600' });
    const deep = join(root, 'cli', 'commands', 'x');
    mkdirSync(deep, { recursive: true });
    expect(findEndpointsFile(deep)).toBe(join(root, '.lexdr', 'local.json'));
    expect(findEndpointsFile(root)).toBe(join(root, '.lexdr', 'local.json'));
    expect(findEndpointsFile(tmpdir())).toBeUndefined();
  });

  it('refuses a second start while the system that wrote it runs, and names it', () => {
    write({ pid: process.ppid, control: 'http://127.0.0.1:4600' });
    expect(processAlive(process.ppid)).toBe(true);
    expect(runningElsewhere(join(root, '.lexdr', 'local.json'))).toMatch(
      new RegExp(`already running from this checkout \\(pid ${process.ppid}, http://127.0.0.1:4600\\)`),
    );
  });

  it('lets a start take over a file whose writer has stopped, or its own, or one without an owner', () => {
    const file = join(root, '.lexdr', 'local.json');
    const dead = Number(deadPid());
    expect(processAlive(dead)).toBe(false);
    write({ pid: dead });
    expect(runningElsewhere(file)).toBeUndefined();
    write({ pid: process.pid });
    expect(runningElsewhere(file)).toBeUndefined();
    write({});
    expect(runningElsewhere(file)).toBeUndefined();
    expect(runningElsewhere(join(root, 'none.json'))).toBeUndefined();
  });
});
