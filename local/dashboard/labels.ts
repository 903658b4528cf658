/**
 * What a region card says about a region, from the lexDR item's counters and the active region — pure, shared by the
 * page and its tests. "recovering" is only a region the workflow would fail back to: higher in priority than the
 * active region, passing, and short of `recoverThreshold` consecutive passes. A region that never failed (or one
 * below the active region in priority) is healthy whatever its pass count: passes only gate a failback.
 */
export type RegionKind = 'unknown' | 'failing' | 'recovering' | 'healthy';

export interface RegionLabel {
  kind: RegionKind;
  text: string;
}

export function regionLabel(
  h: { fails: number; passes: number; reason: string } | undefined,
  region: string,
  regions: readonly string[],
  active: string | null,
  recoverThreshold: number,
): RegionLabel {
  if (!h) return { kind: 'unknown', text: 'no data' };
  if (h.fails > 0) return { kind: 'failing', text: `failing: ${h.reason}` };
  const activeIndex = active === null ? -1 : regions.indexOf(active);
  const waitsForFailback = activeIndex > regions.indexOf(region) && h.passes < recoverThreshold;
  if (waitsForFailback)
    return { kind: 'recovering', text: `recovering: ${h.passes}/${recoverThreshold} passes to fail back` };
  return { kind: 'healthy', text: 'healthy' };
}

/** The header's active-region pill: text, CSS class and the note beside it. */
export function activeView(
  active: string | null,
  primary: string | undefined,
): { text: string; cls: string; note: string } {
  if (active === null) return { text: 'no item yet', cls: '', note: 'the health check has not written lexDR yet' };
  if (active === 'err') return { text: 'err', cls: 'err', note: 'no healthy region' };
  return active === primary
    ? { text: active, cls: '', note: 'primary' }
    : { text: active, cls: 'secondary', note: 'not the primary' };
}

export function thresholdsText(t: { cadenceSeconds: number; failThreshold: number; recoverThreshold: number }): string {
  return `· cadence ${t.cadenceSeconds}s · fail over after ${t.failThreshold} failures · fail back after ${t.recoverThreshold} passes`;
}
