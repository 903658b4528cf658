/**
 * The hysteresis: what one round of probe results means for each region's counters and for the active region.
 * Leave a region after failThreshold failed observations, return to a better one after recoverThreshold passes,
 * honour an operator's pin while its region is healthy, `err` only when every region was reached and failed.
 *
 * Only what reached Lex is an observation. A probe that could not run (the probe function throttled, erroring or
 * timed out; an access or request error of lexdr's own) moves no counter: lexdr's failures never move callers.
 */
import type { ActiveDrill, Blind, DrItem, RegionChange, RegionHealth } from './dr-item';
import { ERR, freshHealth, freshItem } from './dr-item';
import type { ProbeReason, ProbeResult } from './probe-core';
import type { Settings } from './settings';

/** Reasons that say nothing of Lex: lexdr could not probe (its function, its permissions, its request). */
const NOT_OBSERVED: readonly ProbeReason[] = ['probe-error', 'access-denied', 'client-error'];
/** Whether a probe result observed Lex (passed, or failed in a way a caller would meet too). */
export const observedLex = (p: Pick<ProbeResult, 'ok' | 'reason'>): boolean => p.ok || !NOT_OBSERVED.includes(p.reason);

/** The probe looked at the recognised intent (NLU, PostText, a StartConversation text turn, or speech). */
export const isNluProbe = (p: Pick<ProbeResult, 'method'>) =>
  p.method === 'nlu' || p.method === 'v1-posttext' || p.method === 'stream' || p.method === 'speech';

export interface RegionVerdict {
  region: string;
  /** Probed in this round at all. */
  probed: boolean;
  /** The round observed the region: every bot's probe reached Lex, or one reached it and failed. */
  observed: boolean;
  ok: boolean;
  reason: string;
  detail: string;
  /** The NLU outcome of this round in the region, when NLU probes ran there and reached Lex. */
  nlu?: 'pass' | 'fail';
}

/** A region passes a round when every bot passes there; it fails when any bot's probe reached Lex and failed. */
export function verdicts(
  settings: Settings,
  probes: readonly ProbeResult[],
  prev: Record<string, RegionHealth> = {},
): RegionVerdict[] {
  return settings.regions.map((region) => {
    const mine = probes.filter((p) => p.region === region);
    const base = { region, probed: mine.length > 0 };
    const nluRan = mine.filter((p) => isNluProbe(p) && observedLex(p));
    const nlu = nluRan.some((p) => p.reason === 'wrong-intent')
      ? ('fail' as const)
      : nluRan.length > 0 && nluRan.every((p) => p.ok)
        ? ('pass' as const)
        : undefined;
    const withNlu = nlu ? { nlu } : {};
    if (mine.length === 0) return { ...base, observed: false, ok: false, reason: 'not-probed', detail: '' };
    const failed = mine.find((p) => !p.ok && observedLex(p));
    if (failed)
      return {
        ...base,
        observed: true,
        ok: false,
        reason: failed.reason,
        detail: `${failed.bot}: ${failed.detail ?? failed.reason}`,
        ...withNlu,
      };
    const blind = mine.find((p) => !observedLex(p));
    if (blind)
      return {
        ...base,
        observed: false,
        ok: false,
        reason: blind.reason,
        detail: `${blind.bot}: ${blind.detail ?? blind.reason}`,
        ...withNlu,
      };
    // Every probe passed; a wrong intent seen earlier stays in force until an NLU probe passes here.
    if (prev[region]?.nluFailed && nlu !== 'pass')
      return {
        ...base,
        observed: true,
        ok: false,
        reason: 'wrong-intent',
        detail: 'the latest NLU probe recognised the wrong intent; re-checking',
      };
    return { ...base, observed: true, ok: true, reason: 'ok', detail: '', ...withNlu };
  });
}

/**
 * A region's counters after one round; `observation` is the round's id (see cycle-plan `observationId`). `reported`:
 * callers reported this region failing in a burst that started this round — a failed probe then completes the
 * failThreshold (the burst stands for every failed observation but the last, which only a probe adds); a passing
 * probe clears it as always.
 */
export function nextHealth(
  prev: RegionHealth,
  v: RegionVerdict,
  s: Settings,
  observation: number,
  reported = false,
): RegionHealth {
  if (!v.observed || observation <= prev.seen) return prev;
  const nluFailed = v.nlu === 'fail' ? true : v.nlu === 'pass' ? false : prev.nluFailed;
  const next: RegionHealth = v.ok
    ? { fails: 0, passes: Math.min(prev.passes + 1, s.recoverThreshold), reason: 'ok', seen: observation, nluFailed }
    : {
        // A slow answer (over the latency budget) is a failure, but not one that confirms callers' reports alone: a
        // busy moment must not move everyone. Errors, timeouts and wrong intents do.
        fails: reported && v.reason !== 'slow' ? s.failThreshold : Math.min(prev.fails + 1, s.failThreshold),
        passes: 0,
        reason: v.reason,
        seen: observation,
        nluFailed,
      };
  // Saturated counters that did not move keep the stored item as it is (steady state writes nothing); a repeat of
  // this observation could not move them either.
  const same =
    next.fails === prev.fails &&
    next.passes === prev.passes &&
    next.reason === prev.reason &&
    next.nluFailed === prev.nluFailed;
  return same ? prev : next;
}

export type ProposedChange = Omit<RegionChange, 'at' | 'execution' | 'cycle' | 'drill' | 'version'>;

export interface Evaluation {
  item: DrItem;
  write: 'none' | 'health' | 'switch';
  change: ProposedChange | null;
  pinBroken: boolean;
  verdicts: RegionVerdict[];
  /** The active region failed and no other qualified, but some region could not be observed: callers stay put. */
  held: boolean;
}

export interface EvaluateOptions {
  /** The drill to decide with (its regions count as failed). */
  drill?: ActiveDrill | null;
  /** The drill to keep in the item (null when this round ends it). @default the drill decided with */
  keepDrill?: ActiveDrill | null;
  /** The round's observation id. @default one more than any seen (every round counts) */
  observation?: number;
  /** Whether this round probed every region (a cycle's first round) and so may update `blind`. @default true */
  fullRound?: boolean;
  /** The region callers reported failing, when a burst of their reports started this round. */
  reportedRegion?: string;
}

/** One round of probe results applied to the stored item. */
export function evaluate(
  settings: Settings,
  stored: DrItem | null,
  probes: readonly ProbeResult[],
  now: Date,
  o: EvaluateOptions = {},
): Evaluation {
  const regions = settings.regions;
  const primary = regions[0]!;
  const prev: DrItem = stored ?? freshItem(settings.connectRegion, regions);
  const drill = o.drill ?? null;
  const keepDrill = o.keepDrill === undefined ? drill : o.keepDrill;
  const observation = o.observation ?? Math.max(0, ...regions.map((r) => prev.regionHealth[r]?.seen ?? 0)) + 1;
  // While a drill is active, its regions count as failed in every execution, whatever their probes said.
  const effective = drill
    ? probes.map((p) =>
        drill.failRegions.includes(p.region) && (p.ok || !observedLex(p))
          ? { ...p, ok: false, reason: 'drill' as const, detail: `failed by the drill of ${drill.execution}` }
          : p,
      )
    : probes;
  const prevHealth = Object.fromEntries(regions.map((r) => [r, prev.regionHealth[r] ?? freshHealth()]));
  const vs = verdicts(settings, effective, prevHealth);
  const health: Record<string, RegionHealth> = {};
  for (const v of vs)
    health[v.region] = nextHealth(prevHealth[v.region]!, v, settings, observation, v.region === o.reportedRegion);
  const stillOk = (r: string) => health[r]!.fails < settings.failThreshold;
  const upNow = (r: string) => health[r]!.fails === 0 && health[r]!.passes >= 1;
  const recovered = (r: string) => health[r]!.passes >= settings.recoverThreshold;
  const rank = (r: string) => (recovered(r) ? 0 : upNow(r) ? 1 : 2);
  /** The best region to move to: under failThreshold (or, `mustBeUp`, passing now), recovered first, then priority. */
  const best = (except: readonly string[], mustBeUp = false): string | undefined =>
    regions
      .filter((r) => !except.includes(r) && (mustBeUp ? upNow(r) : stillOk(r)))
      .sort((a, b) => rank(a) - rank(b) || regions.indexOf(a) - regions.indexOf(b))[0];
  const why = (r: string) => {
    const v = vs.find((x) => x.region === r)!;
    return `${r} failed ${health[r]!.fails} consecutive probe(s): ${health[r]!.reason}${v.observed && v.detail ? ` (${v.detail})` : ''}`;
  };
  // err only when this round reached Lex in every region and every region failed.
  const allReachedAndFailed = vs.every((v) => v.observed && !v.ok);
  let held = false;
  /** Where to go when `from` must be left and `best` found nothing: err, or stay when lexdr could not see. */
  const noneQualifies = (from: string): string => {
    if (allReachedAndFailed) return ERR;
    held = true;
    return from;
  };

  const current = prev.lexRegion === ERR || regions.includes(prev.lexRegion) ? prev.lexRegion : null;
  let pin =
    prev.pin && Date.parse(prev.pin.until) > now.getTime() && regions.includes(prev.pin.region) ? prev.pin : null;
  let pinBroken = false;
  let to = current ?? primary;
  let change: ProposedChange | null = null;

  if (current === null) {
    to = best([], true) ?? best([]) ?? primary;
    change = { from: prev.lexRegion, to, reason: 'config', detail: `${prev.lexRegion} is not a configured region` };
  } else if (pin && stillOk(pin.region)) {
    to = pin.region;
    if (to !== current)
      change = { from: current, to, reason: 'pinned', detail: `pinned by ${pin.by} until ${pin.until}: ${pin.reason}` };
  } else {
    if (pin) {
      pinBroken = true;
      const broken = pin;
      pin = null;
      if (current === broken.region || (current !== ERR && !stillOk(current))) {
        const target = best([broken.region, ...(current !== ERR && !stillOk(current) ? [current] : [])]);
        to = target ?? noneQualifies(current);
        change = {
          from: current,
          to,
          reason: 'pin-broken',
          detail: `pinned region ${why(broken.region)}; pin by ${broken.by} removed`,
        };
      }
    }
    if (!change) {
      if (current === ERR) {
        const up = best([], true);
        if (up) change = { from: ERR, to: up, reason: 'recovered', detail: `${up} passed its probe` };
        to = up ?? ERR;
      } else if (!stillOk(current)) {
        const target = best([current]);
        to = target ?? noneQualifies(current);
        if (target) change = { from: current, to: target, reason: 'failover', detail: why(current) };
        else if (to === ERR)
          change = {
            from: current,
            to: ERR,
            reason: 'no-healthy-region',
            detail: vs.map((v) => `${v.region}: ${v.reason}`).join(', '),
          };
      } else {
        const better = regions.slice(0, regions.indexOf(current)).find(recovered);
        if (better) {
          to = better;
          change = {
            from: current,
            to: better,
            reason: 'failback',
            detail: `${better} passed ${health[better]!.passes} consecutive probes`,
          };
        }
      }
    }
  }
  if (change && change.from === change.to) change = null;

  const fullRound = o.fullRound ?? true;
  const blindRegions = vs.filter((v) => v.probed && !v.observed).map((v) => v.region);
  let blind: Blind | null = prev.blind;
  if (fullRound) {
    blind =
      blindRegions.length === 0
        ? null
        : prev.blind && prev.blind.regions.join() === blindRegions.join()
          ? prev.blind
          : {
              since: prev.blind?.since ?? now.toISOString(),
              regions: blindRegions,
              detail: vs
                .filter((v) => blindRegions.includes(v.region))
                .map((v) => `${v.region}: ${v.detail}`)
                .join('; '),
            };
  }

  const item: DrItem = { ...prev, lexRegion: to, regionHealth: health, pin, drill: keepDrill, blind };
  const healthChanged =
    JSON.stringify(health) !== JSON.stringify(prevHealth) ||
    pinBroken ||
    (prev.pin !== null) !== (pin !== null) ||
    JSON.stringify(keepDrill) !== JSON.stringify(prev.drill ?? null) ||
    JSON.stringify(blind) !== JSON.stringify(prev.blind ?? null);
  const write = change ? 'switch' : healthChanged || stored === null ? 'health' : 'none';
  return { item, write, change, pinBroken, verdicts: vs, held };
}
