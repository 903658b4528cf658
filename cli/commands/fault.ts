/**
 * `lexdr fault <target> <mode>`: inject (or clear with `none`) a fault into a local Lex region, or into one of
 * lexdr's own parts — the probe function, the health-check function, the table. Local only.
 */
import type { Command } from 'commander';
import type { CliContext } from '../lib/context';
import { withTarget } from '../lib/context';
import { TargetNotFoundError, UsageError } from '../lib/errors';
import type { GlobalOptions } from '../lib/target';
import { CONTROL_PLANE_TARGETS, modesOf } from '../../local/fault-modes';
import type { ControlPlaneTarget } from '../../local/fault-modes';
import { TOKEN_HEADER } from '../../local/http';
import { LEX_FAULT_HELP, LEX_FAULT_MODES } from '../../local/lex/types';
import type { FaultMode } from '../../local/lex/types';

// A region's modes are the local Lex regions' own list (local/lex/types.ts: no runtime imports).
export const FAULT_MODES = LEX_FAULT_MODES;
export type { FaultMode };
const MODE_HELP = LEX_FAULT_HELP;

export interface FaultOptions {
  latency?: string;
}

export function parseFault(region: string, mode: string, regions: readonly string[], latency?: string) {
  if (!regions.includes(region))
    throw new UsageError(
      `target "${region}": not a region of the local system (${regions.join(', ')}) nor one of ${CONTROL_PLANE_TARGETS.join(', ')}`,
    );
  if (!(FAULT_MODES as readonly string[]).includes(mode))
    throw new UsageError(`mode "${mode}": must be one of ${FAULT_MODES.join(', ')}`);
  let latencyMs: number | undefined;
  if (latency !== undefined) {
    if (mode !== 'slow') throw new UsageError(`--latency only applies to mode slow (got mode ${mode})`);
    latencyMs = Number(latency);
    if (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > 600_000)
      throw new UsageError(`--latency "${latency}": must be a whole number of milliseconds 0–600000`);
  }
  return { mode: mode as FaultMode, ...(latencyMs !== undefined ? { latencyMs } : {}) };
}

const isControlPlane = (t: string): t is ControlPlaneTarget => (CONTROL_PLANE_TARGETS as readonly string[]).includes(t);

/** A fault of one of lexdr's own parts, through the local system's control API. */
async function controlPlaneFault(
  ctx: CliContext,
  control: string | undefined,
  token: string | undefined,
  target: ControlPlaneTarget,
  mode: string,
) {
  const modes = modesOf(target);
  if (!Object.prototype.hasOwnProperty.call(modes, mode))
    throw new UsageError(`mode "${mode}" for ${target}: must be one of ${Object.keys(modes).join(', ')}`);
  if (!control) throw new UsageError('the local system lists no control endpoint: restart `npm start`');
  let res: Response;
  try {
    res = await fetch(`${control}/faults/${target}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(token ? { [TOKEN_HEADER]: token } : {}) },
      body: JSON.stringify({ mode }),
    });
  } catch (err) {
    throw new TargetNotFoundError(
      `the local control API at ${control} is not reachable (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}): is \`npm start\` running?`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (res.status === 400 || res.status === 404) throw new UsageError(body.message ?? `${target} refused the fault`);
  if (!res.ok) throw new Error(`PUT ${control}/faults/${target}: HTTP ${res.status} ${body.message ?? ''}`);
  ctx.io.out(
    mode === 'none'
      ? `${target}: fault cleared.`
      : `${target}: fault "${mode}" injected — ${modes[mode]}. lexdr must keep callers where they are: \`lexdr status\` says whether the health check can see.`,
  );
}

export function register(program: Command, ctx: CliContext): void {
  const partModes = CONTROL_PLANE_TARGETS.map(
    (t) =>
      `  ${t}\n${Object.entries(modesOf(t))
        .map(([m, h]) => `    ${m.padEnd(12)}${h}`)
        .join('\n')}`,
  ).join('\n');
  program
    .command('fault')
    .description(
      `Inject a fault into a local Lex region, or into lexdr itself (${CONTROL_PLANE_TARGETS.join(', ')}); mode "none" clears it. Local system only.`,
    )
    .argument('<target>', `a region of the local system (e.g. us-east-1), or ${CONTROL_PLANE_TARGETS.join(', ')}`)
    .argument('<mode>', `for a region: ${FAULT_MODES.join(' | ')}; for lexdr's parts: see below`)
    .option('--latency <ms>', 'delay of mode slow, in milliseconds')
    .addHelpText(
      'after',
      `\nRegion modes:\n${FAULT_MODES.map((m) => `  ${m.padEnd(12)}${MODE_HELP[m]}`).join('\n')}\n\nlexdr's own parts:\n${partModes}\n\nThe next health-check cycle sees it: \`lexdr status\` shows the counters move.`,
    )
    .action(async (region: string, mode: string, opts: FaultOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (g.aws) throw new UsageError('fault injection works on the local system only; on AWS run `lexdr drill`');
      await withTarget(ctx, { ...g, local: true }, {}, async (t) => {
        if (isControlPlane(region)) {
          if (opts.latency !== undefined) throw new UsageError(`--latency only applies to a region's mode slow`);
          return controlPlaneFault(ctx, t.local?.control, t.local?.token, region, mode);
        }
        const fault = parseFault(region, mode, t.regions ?? [], opts.latency);
        const lexUrl = t.local?.lex[region];
        if (!lexUrl) throw new UsageError(`the local system has no Lex endpoint for ${region}`);
        // Through the control server, with the per-start token; an endpoints file without one: the region itself.
        const control = t.local?.control;
        const url = control ? `${control}/dashboard/api/fault/${region}` : `${lexUrl}/_lexdr/fault`;
        const token = t.local?.token;
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'PUT',
            headers: { 'content-type': 'application/json', ...(token ? { [TOKEN_HEADER]: token } : {}) },
            body: JSON.stringify(fault),
          });
        } catch (err) {
          throw new TargetNotFoundError(
            `the local system at ${url} is not reachable (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}): is \`npm start\` running?`,
          );
        }
        const body = (await res.json().catch(() => ({}))) as { mode?: string; message?: string; latencyMs?: number };
        if (res.status === 400) throw new UsageError(body.message ?? 'the local region refused the fault');
        if (!res.ok) throw new Error(`PUT ${url}: HTTP ${res.status} ${body.message ?? ''}`);
        ctx.io.out(
          fault.mode === 'none'
            ? `${region}: fault cleared; Lex answers normally.`
            : `${region}: fault "${body.mode}"${body.latencyMs !== undefined ? ` (${body.latencyMs} ms)` : ''} injected — ${MODE_HELP[fault.mode]}. The next health-check cycle sees it.`,
        );
      });
    });
}
