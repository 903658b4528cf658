/**
 * `lexdr history`: the region changes the workflow recorded (the history table), oldest first; a change callers'
 * reports started says how many reported and which probe confirmed it (`reported` in the JSON).
 */
import type { Command } from 'commander';
import type { CliContext } from '../lib/context';
import { withTarget } from '../lib/context';
import { queryHistory } from '../lib/dr-table';
import { UsageError } from '../lib/errors';
import { parseDuration, table } from '../lib/format';
import { reportedText } from '../../local/report-view';
import type { GlobalOptions } from '../lib/target';

/** `24h` / `7d` → ISO time that long ago; an ISO date or time is taken as is. */
export function sinceIso(text: string, now: Date): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new UsageError(`--since "${text}": not a valid ISO time`);
    return new Date(t).toISOString();
  }
  return new Date(now.getTime() - parseDuration(text, '--since', { max: 400 * 86_400_000 })).toISOString();
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .description('List the region changes recorded by the health check.')
    .option('--since <duration|iso>', 'how far back: 30m, 24h, 7d or an ISO time', '24h')
    .option('--json', 'print the records as JSON')
    .action(async (opts: { since: string; json?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const since = sinceIso(opts.since, ctx.io.now());
      await withTarget(ctx, g, {}, async (t) => {
        const changes = await queryHistory(t, since);
        if (opts.json) return ctx.io.out(JSON.stringify(changes, null, 2));
        if (changes.length === 0) return ctx.io.out(`No region changes for ${t.connectRegion} since ${since}.`);
        ctx.io.out(
          table(
            changes.map((c) => [
              c.at,
              `${c.from} → ${c.to}`,
              c.reason + (c.drill ? ' (drill)' : ''),
              c.reported ? reportedText(c.reported) : c.detail,
            ]),
            ['at', 'change', 'reason', 'detail'],
          ),
        );
      });
    });
}
