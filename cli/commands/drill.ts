/**
 * `lexdr drill --fail <region>[,<region>]`: runs a health-check execution in which the named regions count as
 * failed (no bot is touched) with StartSyncExecution — the same call on the local system and on AWS — and
 * reports what the workflow decided; `--detach` only starts it (StartExecution).
 */
import type { Command } from 'commander';
import type { CliContext } from '../lib/context';
import { withTarget } from '../lib/context';
import type { DrItem, RegionChange } from '../lib/dr-table';
import { getItem, queryHistory } from '../lib/dr-table';
import { CliError, EXIT, UsageError, explainError } from '../lib/errors';
import { formatMs, parseDuration } from '../lib/format';
import type { ExecutionStatus, GlobalOptions, Target } from '../lib/target';

export interface DrillOptions {
  fail: string;
  cycles?: string;
  reason?: string;
  wait?: boolean;
  detach?: boolean;
  timeout?: string;
  json?: boolean;
}

export interface DrillResult {
  executionArn: string;
  name: string;
  status: ExecutionStatus['status'] | 'STARTED';
  failRegions: string[];
  before: string | null;
  after: string | null;
  failedOver: boolean;
  changes: RegionChange[];
  consoleUrl?: string;
  error?: string;
  cause?: string;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function parseDrill(opts: DrillOptions, regions: readonly string[] | undefined) {
  const failRegions = [
    ...new Set(
      opts.fail
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    ),
  ];
  if (failRegions.length === 0) throw new UsageError('--fail: name at least one region, e.g. --fail us-east-1');
  if (regions?.length) {
    const bad = failRegions.filter((r) => !regions.includes(r));
    if (bad.length) throw new UsageError(`--fail ${bad.join(',')}: not a configured region (${regions.join(', ')})`);
  }
  let cycles: number | undefined;
  if (opts.cycles !== undefined) {
    cycles = Number(opts.cycles);
    if (!Number.isInteger(cycles) || cycles < 1 || cycles > 30)
      throw new UsageError(`--cycles "${opts.cycles}": must be a whole number from 1 to 30`);
  }
  if (opts.reason !== undefined && opts.reason.length > 200) throw new UsageError('--reason: at most 200 characters');
  const input = {
    drill: { failRegions, ...(opts.reason ? { reason: opts.reason } : {}) },
    ...(cycles !== undefined ? { cycles } : {}),
  };
  return { failRegions, input };
}

/** Whether the drill moved the active region off every drilled region (to `err` only if every region was drilled). */
export function failedOver(after: string | null, failRegions: readonly string[], regions: readonly string[]): boolean {
  if (after === null || failRegions.includes(after)) return false;
  if (after === 'err') return regions.length > 0 && regions.every((r) => failRegions.includes(r));
  return true;
}

function healthLine(item: DrItem | null, failRegions: readonly string[]): string {
  if (!item) return 'no lexDR item yet';
  const h = failRegions.map((r) => `${r} fails ${item.regionHealth[r]?.fails ?? 0}`).join(', ');
  return `active ${item.lexRegion} · ${h}`;
}

/**
 * Runs the drill with StartSyncExecution (the state machine is Express: DescribeExecution does not serve its
 * executions) and shows the lexDR item's counters while it runs.
 */
async function follow(
  quiet: boolean,
  ctx: CliContext,
  t: Target,
  input: unknown,
  name: string,
  failRegions: string[],
  timeoutMs: number,
): Promise<ExecutionStatus> {
  const { io } = ctx;
  const t0 = io.now().getTime();
  const abort = new AbortController();
  let end: ExecutionStatus | undefined;
  let failure: unknown;
  const sync = t.executions!.run(input, name, abort.signal).then(
    (r) => void (end = r),
    (err: unknown) => void (failure = err ?? new Error('StartSyncExecution failed')),
  );
  let last = '';
  for (let i = 0; ; i += 1) {
    if (failure !== undefined) throw explainError(failure, `state machine ${t.stateMachineArn ?? ''} on ${t.where}`);
    const item = await getItem(t).catch(() => null);
    const status = end?.status ?? 'RUNNING';
    const elapsed = formatMs(io.now().getTime() - t0);
    const line = `${status} ${elapsed} · ${healthLine(item, failRegions)}`;
    if (!quiet && io.isTTY) io.progress(`${SPINNER[i % SPINNER.length]} ${line}`);
    else if (!quiet) {
      const key = `${status} ${healthLine(item, failRegions)}`;
      if (key !== last) io.out(`  ${line}`);
      last = key;
    }
    if (end) return end;
    if (io.now().getTime() - t0 > timeoutMs) {
      abort.abort();
      await sync;
      throw new CliError(`execution ${name} still running after ${formatMs(timeoutMs)}; follow it in the console`);
    }
    await Promise.race([io.sleep(t.pollMs), sync]);
  }
}

export async function runDrill(ctx: CliContext, t: Target, opts: DrillOptions): Promise<DrillResult> {
  const { io } = ctx;
  const { failRegions, input } = parseDrill(opts, t.regions);
  const timeoutMs = parseDuration(opts.timeout ?? '10m', '--timeout', { min: 1000 });
  if (!t.executions)
    throw new UsageError(`${t.where} cannot start executions (no Step Functions endpoint): restart \`npm start\``);
  const before = await getItem(t);
  const startedAt = io.now();
  const name = t.executions.nextName();
  const base = { name, failRegions, before: before?.lexRegion ?? null };
  if (!opts.json) {
    io.out(`Drill: ${failRegions.join(', ')} count as failed in execution ${name} (no bot is touched).`);
    io.out(`Before: ${before ? before.lexRegion : 'no lexDR item'}`);
  }
  if (opts.detach) {
    let started: { executionArn: string; name: string };
    try {
      started = await t.executions.start(input, name);
    } catch (err) {
      throw explainError(err, `state machine ${t.stateMachineArn ?? ''} on ${t.where}`);
    }
    const consoleUrl = t.consoleUrl?.(started.executionArn);
    if (!opts.json) {
      if (consoleUrl) io.out(`Console: ${consoleUrl}`);
      io.out('Started; `lexdr status` (or `lexdr history`) shows the outcome.');
    }
    return {
      ...base,
      executionArn: started.executionArn,
      ...(consoleUrl ? { consoleUrl } : {}),
      status: 'STARTED',
      after: null,
      failedOver: false,
      changes: [],
    };
  }
  const end = await follow(Boolean(opts.json), ctx, t, input, name, failRegions, timeoutMs);
  const consoleUrl = t.consoleUrl?.(end.executionArn);
  const after = await getItem(t);
  const since = new Date(startedAt.getTime() - 60_000).toISOString();
  const changes = (await queryHistory(t, since)).filter((c) => c.execution === end.executionArn);
  const regions = t.regions ?? Object.keys(after?.regionHealth ?? {});
  return {
    ...base,
    executionArn: end.executionArn,
    ...(consoleUrl ? { consoleUrl } : {}),
    status: end.status,
    after: after?.lexRegion ?? null,
    failedOver: failedOver(after?.lexRegion ?? null, failRegions, regions),
    changes,
    ...(end.error ? { error: end.error } : {}),
    ...(end.cause ? { cause: end.cause } : {}),
  };
}

export function formatDrill(r: DrillResult): string {
  const lines = [`Execution ${r.name}: ${r.status}${r.error ? ` (${r.error}: ${r.cause ?? ''})` : ''}`];
  lines.push(`lexDR: ${r.before ?? '-'} → ${r.after ?? '-'}`);
  if (r.changes.length === 0) lines.push('The workflow recorded no region change in this execution.');
  for (const c of r.changes)
    lines.push(`Recorded: ${c.from} → ${c.to} (${c.reason}) at ${c.at}, cycle ${c.cycle}: ${c.detail}`);
  lines.push(
    r.failedOver
      ? `PASS: the active region moved off ${r.failRegions.join(', ')}.`
      : `The active region did not move off ${r.failRegions.join(', ')}.`,
  );
  if (r.after && r.failRegions.includes(r.after) === false && r.before && r.before !== r.after)
    lines.push('The next scheduled executions probe for real and fail back once the region passes again.');
  if (r.consoleUrl) lines.push(`Console: ${r.consoleUrl}`);
  return lines.join('\n');
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('drill')
    .description('Run a DR drill: an execution in which the named regions count as failed (no bot is touched).')
    .requiredOption('--fail <regions>', 'region(s) to treat as failed, comma-separated')
    .option('--cycles <n>', 'health-check cycles in the execution (1–30; default: one minute of cycles)')
    .option('--reason <text>', 'why (recorded with the drill)')
    .option('--wait', 'exit 1 unless the drill moved the active region off the failed region(s)')
    .option('--detach', 'start the execution and return without following it')
    .option('--timeout <duration>', 'give up following after this long', '10m')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample: lexdr drill --fail us-east-1 --cycles 3 --wait')
    .action(async (opts: DrillOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      await withTarget(ctx, g, { needsStateMachine: true }, async (t) => {
        const r = await runDrill(ctx, t, opts);
        if (opts.json) ctx.io.out(JSON.stringify(r, null, 2));
        else if (r.status !== 'STARTED') ctx.io.out(formatDrill(r));
        if (r.status !== 'SUCCEEDED' && r.status !== 'STARTED')
          throw new CliError(`execution ${r.name} ended ${r.status}${r.error ? `: ${r.error}` : ''}`, EXIT.failure);
        if (opts.wait && !r.failedOver)
          throw new CliError(`drill failed: the active region is still ${r.after ?? 'unknown'}`, EXIT.failure);
      });
    });
}
