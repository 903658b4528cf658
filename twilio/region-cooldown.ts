/**
 * Which regions a call tries, in order: the one the lexDR table names, the lookup's fallback, then the other
 * bot regions — those that failed recently (the task's region cooldown) last, until the health check catches up.
 */
import type { LookupAnswer } from '../core/lookup-core';

/** Remembers failed regions for a while so later turns skip them until the health check catches up. */
export class RegionCooldown {
  private readonly until = new Map<string, number>();
  constructor(
    private readonly ms: number,
    private readonly now: () => number,
  ) {}
  fail(region: string): void {
    this.until.set(region, this.now() + this.ms);
  }
  ok(region: string): void {
    this.until.delete(region);
  }
  cooling(region: string): boolean {
    return (this.until.get(region) ?? 0) > this.now();
  }
}

/** The regions to try for one turn or stream, each once: the lookup's answer first, cooling regions last. */
export function candidateRegions(answer: LookupAnswer, regions: readonly string[], cooldown: RegionCooldown): string[] {
  const order = [answer.lexRegion, answer.fallbackRegion, ...regions].filter(
    (r, i, all) => r !== '' && all.indexOf(r) === i,
  );
  return [...order.filter((r) => !cooldown.cooling(r)), ...order.filter((r) => cooldown.cooling(r))];
}
