/**
 * A small, predictable NLU for the local Lex regions: intent matching on the definition's sample
 * utterances and slot filling from slot-type values, synonyms and simple dates and times. It is not
 * Lex's model; it is deterministic so tests can rely on it.
 */
import type { BotDefinition, IntentDefinition, SlotDefinition } from '../../bot/definition';
import { FALLBACK_INTENT } from '../../bot/definition';

export interface SlotValue {
  originalValue: string;
  interpretedValue: string;
  resolvedValues: string[];
}

export interface IntentScore {
  name: string;
  /** 0–1, two decimals. */
  score: number;
}

export interface Classification {
  /** The winning intent, or FallbackIntent when nothing reaches the locale's confidence threshold. */
  intent: string;
  /** The winner's score; undefined for FallbackIntent (Lex gives it no score). */
  confidence?: number;
  /** Every non-fallback intent, best first. */
  scores: IntentScore[];
}

/** Lower case, punctuation dropped (apostrophes and colons kept), single spaces. */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’`]/g, "'")
    .replace(/[^a-z0-9':\s-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const tokens = (s: string): string[] => (s === '' ? [] : s.split(' '));

/** Score of one utterance against one sample utterance (slot references `{X}` are ignored). */
export function utteranceScore(text: string, sample: string): number {
  const u = normalise(text);
  const s = normalise(sample.replace(/\{[^{}]+\}/g, ' '));
  if (u === '' || s === '') return 0;
  if (u === s) return 1;
  if (` ${u} `.includes(` ${s} `)) return 0.9;
  if (` ${s} `.includes(` ${u} `)) return 0.8;
  const a = new Set(tokens(u));
  const b = new Set(tokens(s));
  let common = 0;
  for (const t of a) if (b.has(t)) common += 1;
  return (0.85 * (2 * common)) / (a.size + b.size);
}

/** Picks the intent for an utterance; below the locale's threshold it is FallbackIntent. */
export function classify(text: string, def: BotDefinition): Classification {
  const scores = def.intents
    .filter((i) => i.parentIntentSignature !== 'AMAZON.FallbackIntent')
    .map((i) => ({
      name: i.name,
      score: round(Math.max(0, ...i.sampleUtterances.map((s) => utteranceScore(text, s)))),
    }))
    .sort((x, y) => y.score - x.score || x.name.localeCompare(y.name));
  const best = scores[0];
  if (!best || best.score < def.locale.nluConfidenceThreshold || best.score === 0)
    return { intent: FALLBACK_INTENT, scores };
  return { intent: best.name, confidence: best.score, scores };
}

const round = (n: number): number => Math.round(n * 100) / 100;

/** Words that confirm / decline a ConfirmIntent prompt. */
const NO = /\b(no|nope|nah|not|don't|dont|cancel|stop|negative|never)\b/;
const YES = /\b(yes|yeah|yep|yup|sure|ok|okay|correct|right|confirm|confirmed|absolutely|fine|good|great|please do)\b/;

export function yesNo(text: string): 'yes' | 'no' | undefined {
  const t = normalise(text);
  if (NO.test(t)) return 'no';
  if (YES.test(t)) return 'yes';
  return undefined;
}

/**
 * Fills slots of `intent` from `text`. `focus` is the slot being elicited: it may take looser matches
 * (a bare hour for a time, any text for a free-form built-in type).
 */
export function extractSlots(
  text: string,
  intent: IntentDefinition,
  def: BotDefinition,
  now: number,
  focus?: string,
): Record<string, SlotValue> {
  const found: Record<string, SlotValue> = {};
  for (const slot of intent.slots) {
    const v = extractSlot(text, slot, def, now, slot.name === focus);
    if (v) found[slot.name] = v;
  }
  return found;
}

function extractSlot(
  text: string,
  slot: SlotDefinition,
  def: BotDefinition,
  now: number,
  focused: boolean,
): SlotValue | undefined {
  const t = normalise(text);
  switch (slot.slotTypeName) {
    case 'AMAZON.Date': {
      const d = parseDate(t, now);
      return d && { originalValue: d.original, interpretedValue: d.iso, resolvedValues: [d.iso] };
    }
    case 'AMAZON.Time': {
      const tm = parseTime(t, focused);
      return tm && { originalValue: tm.original, interpretedValue: tm.hhmm, resolvedValues: [tm.hhmm] };
    }
    case 'AMAZON.Number': {
      const m = /\b\d+(\.\d+)?\b/.exec(t);
      return m ? { originalValue: m[0], interpretedValue: m[0], resolvedValues: [m[0]] } : undefined;
    }
    default:
      break;
  }
  const type = def.slotTypes.find((s) => s.name === slot.slotTypeName);
  if (!type) {
    // Other built-ins (AMAZON.FreeFormInput, AMAZON.AlphaNumeric, ...): take the answer as said.
    return focused && t !== ''
      ? { originalValue: text.trim(), interpretedValue: text.trim(), resolvedValues: [] }
      : undefined;
  }
  for (const v of type.values) {
    for (const phrase of [v.value, ...v.synonyms]) {
      const p = normalise(phrase);
      if (p !== '' && ` ${t} `.includes(` ${p} `)) {
        const interpreted = type.resolutionStrategy === 'TOP_RESOLUTION' ? v.value : phrase;
        return { originalValue: phrase, interpretedValue: interpreted, resolvedValues: [v.value] };
      }
    }
  }
  return undefined;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAY_MS = 86_400_000;

const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** AMAZON.Date: today, tomorrow, day after tomorrow, weekday names (the next one), ISO dates, "november 20". Dates are UTC. */
export function parseDate(t: string, now: number): { iso: string; original: string } | undefined {
  const iso = /\b(\d{4})-(\d{2})-(\d{2})\b/.exec(t);
  if (iso) return { iso: iso[0], original: iso[0] };
  const rel = /\b(day after tomorrow|tomorrow|today|tonight)\b/.exec(t);
  if (rel?.[1]) {
    const days = rel[1] === 'day after tomorrow' ? 2 : rel[1] === 'tomorrow' ? 1 : 0;
    return { iso: isoDate(now + days * DAY_MS), original: rel[1] };
  }
  const wd = new RegExp(`\\b(${WEEKDAYS.join('|')})\\b`).exec(t);
  if (wd?.[1]) {
    const target = WEEKDAYS.indexOf(wd[1]);
    const today = new Date(now).getUTCDay();
    const ahead = (target - today + 7) % 7 || 7;
    return { iso: isoDate(now + ahead * DAY_MS), original: wd[1] };
  }
  const md = new RegExp(`\\b(${MONTHS.join('|')}) (\\d{1,2})(?:st|nd|rd|th)?\\b`).exec(t);
  if (md?.[1] && md[2]) {
    const month = MONTHS.indexOf(md[1]);
    const day = Number(md[2]);
    const year = new Date(now).getUTCFullYear();
    let ms = Date.UTC(year, month, day);
    if (ms < Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate()))
      ms = Date.UTC(year + 1, month, day);
    return { iso: isoDate(ms), original: md[0] };
  }
  return undefined;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** AMAZON.Time: "10 am", "5:30 pm", "17:30", "noon", "midnight"; a bare hour only when the slot is being elicited. */
export function parseTime(t: string, allowBareHour: boolean): { hhmm: string; original: string } | undefined {
  if (/\bnoon\b/.test(t)) return { hhmm: '12:00', original: 'noon' };
  if (/\bmidnight\b/.test(t)) return { hhmm: '00:00', original: 'midnight' };
  const ampm = /\b(\d{1,2})(?::(\d{2}))? ?(am|pm|a m|p m)\b/.exec(t);
  if (ampm?.[1]) {
    let h = Number(ampm[1]);
    const m = Number(ampm[2] ?? '0');
    if (h < 1 || h > 12 || m > 59) return undefined;
    const pm = (ampm[3] ?? '').startsWith('p');
    if (h === 12) h = pm ? 12 : 0;
    else if (pm) h += 12;
    return { hhmm: `${pad(h)}:${pad(m)}`, original: ampm[0] };
  }
  const h24 = /\b(\d{1,2}):(\d{2})\b/.exec(t);
  if (h24?.[1] && h24[2]) {
    const h = Number(h24[1]);
    const m = Number(h24[2]);
    if (h > 23 || m > 59) return undefined;
    return { hhmm: `${pad(h)}:${pad(m)}`, original: h24[0] };
  }
  if (allowBareHour) {
    const bare = /^(?:at )?(\d{1,2})(?: o'?clock)?$/.exec(t);
    const h = Number(bare?.[1]);
    if (bare && h >= 0 && h <= 23) return { hhmm: `${pad(h)}:00`, original: bare[0] };
  }
  return undefined;
}
