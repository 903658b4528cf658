/**
 * moto's server (`moto_server`, Python moto 5.2.1, preinstalled on these machines): a second implementation of the AWS
 * APIs that nobody here wrote, started on a free loopback port for one test file and stopped after it. It serves
 * CloudFormation, SSM, SNS, KMS and STS the way the SDK clients expect; every region is its own, from the region each
 * request is signed for.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface Moto {
  url: string;
  /** Forgets every resource (moto's reset API). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A free loopback port (the OS picks one; it is released before moto binds it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts moto_server and resolves once it answers, within `deadlineMs`. */
export async function startMoto(o: { deadlineMs?: number } = {}): Promise<Moto> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Its own process group, so that stopping it stops the Python process behind the pyenv shim too.
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const killed = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 3000);
    await exited(child);
    clearTimeout(killed);
  };
  const deadline = Date.now() + (o.deadlineMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${url} within ${o.deadlineMs ?? 20_000} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async reset() {
      const res = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`moto reset: HTTP ${res.status}`);
    },
    close: stop,
  };
}

/**
 * Sets `AWS_ENDPOINT_URL_<SERVICE>` variables (the AWS SDKs' per-service endpoints) for the CLI run in this process,
 * and returns the environment the CLI's Io is given; `restore()` puts process.env back.
 */
export function awsEndpoints(endpoints: Record<string, string>): { env: Record<string, string>; restore(): void } {
  const env = Object.fromEntries(
    Object.entries(endpoints).map(([service, url]) => [`AWS_ENDPOINT_URL_${service}`, url]),
  );
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return {
    env,
    restore() {
      for (const [k, v] of Object.entries(before)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}
