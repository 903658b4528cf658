/** Runs the lexdr CLI in-process with a recording Io, for the CLI integration tests. */
import { run } from '../../cli/main';
import { defaultContext } from '../../cli/lib/context';
import type { Io } from '../../cli/lib/io';

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
