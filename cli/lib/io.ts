/** Where the CLI writes and how it asks: the real terminal, or a recorder in tests. */
import { createInterface } from 'node:readline/promises';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (progress lines are redrawn in place). */
  isTTY: boolean;
  /** Whether stdin is a terminal (confirmation prompts are possible). */
  interactive: boolean;
  /** Asks a yes/no question on the terminal. */
  confirm(question: string): Promise<boolean>;
  /** Redraws the current progress line (terminal only). */
  progress(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export function nodeIo(): Io {
  let drawn = false;
  const clear = () => {
    if (drawn) process.stdout.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    out: (t) => {
      clear();
      process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
    },
    err: (t) => {
      clear();
      process.stderr.write(t.endsWith('\n') ? t : `${t}\n`);
    },
    isTTY: Boolean(process.stdout.isTTY),
    interactive: Boolean(process.stdin.isTTY),
    confirm: async (q) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        const a = await rl.question(`${q} [y/N] `);
        return /^y(es)?$/i.test(a.trim());
      } finally {
        rl.close();
      }
    },
    progress: (t) => {
      if (!process.stdout.isTTY) return;
      process.stdout.write(`\r\x1b[2K${t}`);
      drawn = true;
    },
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}
