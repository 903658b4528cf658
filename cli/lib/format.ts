/** Durations, times, plain-text tables and region changes for the CLI's output. */
import type { RegionChange } from '../../core/dr-item';
import { reportedText } from '../../local/report-view';
import { UsageError } from './errors';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `2h`, `7d` → milliseconds; throws UsageError naming the flag and the value. */
export function parseDuration(text: string, flag: string, o: { min?: number; max?: number } = {}): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} "${text}": must be a duration such as 90s, 30m, 2h or 7d`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (o.min !== undefined && ms < o.min) throw new UsageError(`${flag} "${text}": must be at least ${formatMs(o.min)}`);
  if (o.max !== undefined && ms > o.max) throw new UsageError(`${flag} "${text}": must be at most ${formatMs(o.max)}`);
  return ms;
}

export function formatMs(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h}h` : `${Math.round(h / 24)}d`;
}

/** "3m ago" / "in 25m". */
export function relative(iso: string | undefined, now: Date): string {
  if (!iso) return '-';
  const d = Date.parse(iso) - now.getTime();
  if (Number.isNaN(d)) return iso;
  return d >= 0 ? `in ${formatMs(d)}` : `${formatMs(-d)} ago`;
}

/** Left-aligned columns separated by two spaces. */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths = all.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return all
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * One line per region change: when, from → to, its reason and detail — for a change callers' reports started, who
 * reported and the probe that confirmed it (its detail says the same in a sentence).
 */
export function changeLine(c: Pick<RegionChange, 'at' | 'from' | 'to' | 'reason' | 'drill' | 'detail' | 'reported'>) {
  const what = c.reported ? reportedText(c.reported) : c.detail;
  return `${c.at}  ${c.from} → ${c.to}  ${c.reason}${c.drill ? ' (drill)' : ''}: ${what}`;
}
