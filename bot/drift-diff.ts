/**
 * Drift check, differences: every difference between two bots in canonical form, by path, and the differences as
 * text.
 */
import type { JsonObject, JsonValue, NormalisedBotModel } from './drift-normalise';

/**
 * One difference: where (`intents.OrderFlowers.slots.FlowerType.valueElicitationSetting…`, list items as `[n]`, keys
 * that are not plain names as `["St. Patrick's"]`) and the value on each side, under that side's label; `null`
 * means absent on that side. For a list of plain values (sample utterances, synonyms) each value present on one side
 * only is one difference at the list's path.
 */
export interface BotDifference {
  path: string;
  [label: string]: JsonValue | null;
}

/** Two names for the two sides, e.g. `['us-east-1', 'us-west-2']`. */
export type DiffLabels = readonly [string, string];

/** Every difference between two canonical bots, in path order; empty when they are the same. */
export function diffBotModels(a: NormalisedBotModel, b: NormalisedBotModel, labels: DiffLabels): BotDifference[] {
  checkLabels(labels);
  const out: BotDifference[] = [];
  diffValues(a as unknown as JsonValue, b as unknown as JsonValue, '', labels, out);
  return out;
}

function checkLabels([la, lb]: DiffLabels): void {
  if (la === lb || la === 'path' || lb === 'path' || la === '' || lb === '')
    throw new Error(`diff labels "${la}" and "${lb}": must be two different non-empty names other than "path"`);
}

export function diffValues(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  path: string,
  labels: DiffLabels,
  out: BotDifference[],
): void {
  if (equal(a, b)) return;
  const push = (x: JsonValue | undefined, y: JsonValue | undefined) =>
    out.push({ path: path || '(bot)', [labels[0]]: x ?? null, [labels[1]]: y ?? null } as BotDifference);
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      diffValues(a[key], b[key], joinPath(path, key), labels, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.every(isScalar) && b.every(isScalar)) {
      const onlyA = a.filter((x) => !b.includes(x));
      const onlyB = b.filter((x) => !a.includes(x));
      for (const x of onlyA) push(x, undefined);
      for (const y of onlyB) push(undefined, y);
      if (onlyA.length === 0 && onlyB.length === 0) push(a, b); // same values, another order or count
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffValues(a[i], b[i], `${path}[${i}]`, labels, out);
    return;
  }
  push(a, b);
}

export function joinPath(path: string, key: string): string {
  const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return path === '' ? part : part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
}

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

export function isScalar(v: JsonValue): boolean {
  return typeof v !== 'object';
}

function equal(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => k in bo && equal(ao[k], bo[k]));
}

/** The differences as text: a summary line, then each path with the value on each side. */
export function formatBotDifferences(differences: readonly BotDifference[], labels: DiffLabels): string {
  const [la, lb] = labels;
  if (differences.length === 0) return `${la} and ${lb}: no differences.`;
  const width = Math.max(la.length, lb.length) + 1;
  const show = (v: JsonValue | null | undefined) => (v === null || v === undefined ? '(absent)' : JSON.stringify(v));
  const lines = [`${la} and ${lb}: ${differences.length} difference${differences.length === 1 ? '' : 's'}`];
  for (const d of differences)
    lines.push('', d.path, `  ${`${la}:`.padEnd(width)} ${show(d[la])}`, `  ${`${lb}:`.padEnd(width)} ${show(d[lb])}`);
  return lines.join('\n');
}
