/** What every command file gets: the output, the target resolver and the shape of a command module. */
import type { Command } from 'commander';
import type { Io } from './io';
import type { GlobalOptions, ResolveOptions, Target } from './target';
import { resolveTarget } from './target';

export interface CliContext {
  io: Io;
  /** Connects the target chosen by the global options (closed by the caller). */
  target(g: GlobalOptions, o?: ResolveOptions): Promise<Target>;
}

/** A command file: `export function register(program, ctx)` adds its command to the program. */
export type Register = (program: Command, ctx: CliContext) => void;

export function defaultContext(io: Io): CliContext {
  return { io, target: (g, o) => resolveTarget(g, io, o) };
}

/** Runs `f` with a connected target and closes it afterwards. */
export async function withTarget<T>(
  ctx: CliContext,
  g: GlobalOptions,
  o: ResolveOptions,
  f: (t: Target) => Promise<T>,
): Promise<T> {
  const t = await ctx.target(g, o);
  try {
    return await f(t);
  } finally {
    t.close();
  }
}
