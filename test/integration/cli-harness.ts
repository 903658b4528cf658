/** Runs the lexdr CLI in-process with a recording Io, and starts the local system it talks to, for the CLI tests. */
import { run } from '../../cli/main';
import { defaultContext } from '../../cli/lib/context';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../../cli/lib/io';
import type { LexdrConfigInput } from '../../infra/config';
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import type { LocalSystem, LocalSystemOptions } from '../../local/system';
import { FAST, cycles, startFast } from './system-fixture';

export interface Recorded {
  code: number;
  out: string;
  err: string;
}

/** An Io that records what the CLI prints; `env` points it at a local endpoints file. */
export function recordingIo(env: Record<string, string>, cwd: string, o: Partial<Io> = {}) {
  const outs: string[] = [];
  const errs: string[] = [];
  const io: Io = {
    out: (t) => void outs.push(t),
    err: (t) => void errs.push(t),
    isTTY: false,
    interactive: false,
    confirm: async () => false,
    progress: () => undefined,
    env,
    cwd,
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    ...o,
  };
  return { io, outs, errs };
}

export async function runLexdr(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  o: Partial<Io> = {},
): Promise<Recorded> {
  const rec = recordingIo(env, cwd, o);
  const code = await run(argv, defaultContext(rec.io));
  return { code, out: rec.outs.join('\n'), err: rec.errs.join('\n') };
}

/** A fast local system with its control server and an endpoints file in a scratch folder, for the CLI to find. */
export interface CliSystem {
  sys: LocalSystem;
  control: ControlServer;
  /** The scratch folder (the CLI's cwd). */
  dir: string;
  /** The endpoints file the CLI reads (LEXDR_LOCAL_FILE). */
  file: string;
  /** The CLI's environment: the endpoints file and a short poll. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts a CliSystem and runs three cycles, so the item exists and both regions are healthy. */
export async function startCliSystem(
  prefix: string,
  config: LexdrConfigInput = FAST,
  o: Partial<LocalSystemOptions> = {},
): Promise<CliSystem> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'local.json');
  const sys = await startFast(config, o);
  const control = await startControlServer(sys);
  writeFileSync(
    file,
    JSON.stringify(
      sys.endpoints({ control: control.url, lookup: `${control.url}/lookup`, report: `${control.url}/report` }),
    ),
  );
  await cycles(sys, 3);
  return {
    sys,
    control,
    dir,
    file,
    env: { LEXDR_LOCAL_FILE: file, LEXDR_POLL_MS: '20' },
    async close() {
      await control.close();
      await sys.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
