/**
 * The endpoints file `npm start` writes (`.lexdr/local.json`): one per checkout, owned by the process that wrote it.
 * A second `npm start` in the same checkout refuses while the first runs (they would share the data directory), and
 * only the owner removes the file when it stops. The CLI finds the file from any folder of the checkout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const ENDPOINTS_FILE = join('.lexdr', 'local.json');

/** Whether a process is alive (signal 0 checks without signalling; EPERM means it exists under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The `.lexdr/local.json` in `from` or the nearest folder above it that has one; undefined when none does. */
export function findEndpointsFile(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, ENDPOINTS_FILE);
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The pid recorded in an endpoints file, if any (unreadable or older files have none). */
export function ownerOf(file: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Why a new `npm start` must not take over `file`: another live system owns it; undefined when it may. */
export function runningElsewhere(file: string, self = process.pid): string | undefined {
  if (!existsSync(file)) return undefined;
  const pid = ownerOf(file);
  if (pid === undefined || pid === self || !processAlive(pid)) return undefined;
  let control = '';
  try {
    control = (JSON.parse(readFileSync(file, 'utf8')) as { control?: string }).control ?? '';
  } catch {
    // unreadable: the pid is enough
  }
  return `a lexdr local system is already running from this checkout (pid ${pid}${control ? `, ${control}` : ''}): use it (\`npx lexdr status\`), or stop it (Ctrl-C in its terminal) before starting another — two systems would share ${dirname(file)}`;
}
