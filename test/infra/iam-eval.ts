/**
 * Enough of IAM's policy evaluation to tell whether a synthesized policy allows one request: wildcards in actions
 * (case-insensitive) and resources, `NotAction`/`NotResource`, principals of resource and key policies, explicit Deny,
 * and the condition operators lexdr's templates use. A condition on a key the request context does not model is
 * accepted — the statement is taken to apply — and reported, so a reader can see what was not evaluated.
 */

/** A policy statement as written in a template (values resolved to strings). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** A statement and where it comes from (`Stack/PolicyId`), for reports. */
export interface SourcedStatement {
  readonly statement: PolicyStatement;
  readonly source: string;
}

/**
 * Request context keys: a string or list is the key's value; `null` means the key is known to be absent. A key not
 * listed is not modelled: conditions on it are accepted and reported.
 */
export type RequestContext = Readonly<Record<string, string | readonly string[] | null>>;

/** Who makes a request to a resource policy: a service, or an IAM principal (role ARN) of an account. */
export interface RequestPrincipal {
  readonly service?: string;
  readonly arn?: string;
  readonly account?: string;
}

export interface PolicyRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: RequestContext;
  /** For resource and key policies; identity policies have no principal element. */
  readonly principal?: RequestPrincipal;
}

export interface Decision {
  readonly allowed: boolean;
  readonly denied: boolean;
  /** The statements that allowed (or denied) it, as `source#Sid`. */
  readonly by: readonly string[];
  /** Conditions taken to hold without being evaluated. */
  readonly accepted: readonly string[];
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

const regexCache = new Map<string, RegExp>();

/** IAM wildcard match: `*` any run of characters (colons and slashes included), `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? 'i' : 'c'}${pattern}`;
  let re = regexCache.get(key);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, ignoreCase ? 'si' : 's');
    regexCache.set(key, re);
  }
  return re.test(value);
}

const actionMatches = (patterns: string[], action: string) => patterns.some((p) => wildcardMatch(p, action, true));
const resourceMatches = (patterns: string[], resource: string) => patterns.some((p) => wildcardMatch(p, resource));

/** Whether a `Principal` element names the requester (`true`), or not. */
export function principalMatches(principal: unknown, who: RequestPrincipal): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const p = principal as Record<string, unknown>;
  if (who.service && list(p.Service).includes(who.service)) return true;
  if (who.arn || who.account) {
    for (const a of list(p.AWS)) {
      if (a === '*') return true;
      if (who.arn && a === who.arn) return true;
      // The account (`123…` or `arn:…:iam::123…:root`) delegates to the account's own IAM policies.
      const account = /^\d{12}$/.test(a) ? a : /^arn:[^:]+:iam::([^:]+):root$/.exec(a)?.[1];
      if (account !== undefined && account === who.account) return true;
    }
  } else if (list(p.AWS).includes('*')) return true;
  return false;
}

type Outcome = { holds: boolean; accepted: string[] };

/** One condition block: every operator and key must hold. */
export function evaluateCondition(condition: PolicyStatement['Condition'], context: RequestContext): Outcome {
  const accepted: string[] = [];
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const r = evaluateOne(operator, key, list(expected), context);
      if (r === 'unknown') accepted.push(`${operator} ${key} ${JSON.stringify(expected)}`);
      else if (!r) return { holds: false, accepted };
    }
  }
  return { holds: true, accepted };
}

function evaluateOne(operator: string, key: string, expected: string[], context: RequestContext): boolean | 'unknown' {
  const m = /^(ForAllValues:|ForAnyValue:)?(.+?)(IfExists)?$/.exec(operator)!;
  const [, set, base, ifExists] = m;
  const entry = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase());
  if (base === 'Null') {
    if (!entry) return 'unknown';
    const absent = entry[1] === null;
    return expected.some((e) => (e.toLowerCase() === 'true') === absent);
  }
  const negated = /Not/.test(base!);
  const compare = comparator(base!);
  if (!compare) return 'unknown';
  if (!entry) return 'unknown';
  const value = entry[1];
  if (value === null) {
    if (ifExists || set === 'ForAllValues:') return true;
    return negated;
  }
  const values = list(value);
  const any = (v: string) => expected.some((e) => compare(e, v));
  let positive: boolean;
  if (set === 'ForAllValues:') positive = values.every(any);
  else positive = values.some(any);
  return negated ? !positive : positive;
}

function comparator(base: string): ((expected: string, actual: string) => boolean) | undefined {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
      return (e, a) => e === a;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return (e, a) => e.toLowerCase() === a.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
    case 'ArnEquals':
    case 'ArnNotEquals':
    case 'ArnLike':
    case 'ArnNotLike':
      return (e, a) => wildcardMatch(e, a);
    case 'Bool':
      return (e, a) => e.toLowerCase() === a.toLowerCase();
    default:
      return undefined;
  }
}

/**
 * Evaluates statements for one request: an applicable Deny wins; otherwise an applicable Allow allows. With
 * `principal`, statements are read as a resource (or key) policy and must name the requester.
 */
export function decide(statements: readonly SourcedStatement[], request: PolicyRequest): Decision {
  const by: string[] = [];
  const deniedBy: string[] = [];
  const denyNotes: string[] = [];
  const allowNotes: string[] = [];
  let unconditionalAllow = false;
  for (const { statement: s, source } of statements) {
    if (s.Action !== undefined && !actionMatches(list(s.Action), request.action)) continue;
    if (s.NotAction !== undefined && actionMatches(list(s.NotAction), request.action)) continue;
    if (s.Action === undefined && s.NotAction === undefined) continue;
    // Key policies name `*` (the key itself); identity policies must list the resource.
    if (s.Resource !== undefined && !resourceMatches(list(s.Resource), request.resource)) continue;
    if (s.NotResource !== undefined && resourceMatches(list(s.NotResource), request.resource)) continue;
    if (request.principal) {
      if (s.Principal !== undefined && !principalMatches(s.Principal, request.principal)) continue;
      if (s.NotPrincipal !== undefined && principalMatches(s.NotPrincipal, request.principal)) continue;
      if (s.Principal === undefined && s.NotPrincipal === undefined) continue;
    }
    const c = evaluateCondition(s.Condition, request.context);
    if (!c.holds) continue;
    const name = `${source}${s.Sid ? `#${s.Sid}` : ''}`;
    if (s.Effect === 'Deny') {
      if (c.accepted.length > 0) {
        // A Deny whose condition cannot be evaluated: taken not to apply, and said so.
        denyNotes.push(...c.accepted.map((a) => `Deny ${name} assumed not to apply: ${a}`));
        continue;
      }
      deniedBy.push(name);
    } else {
      by.push(name);
      if (c.accepted.length === 0) unconditionalAllow = true;
      allowNotes.push(...c.accepted.map((a) => `${name}: ${a}`));
    }
  }
  if (deniedBy.length > 0) return { allowed: false, denied: true, by: deniedBy, accepted: denyNotes };
  // An Allow that needed no assumption makes the others' assumptions irrelevant.
  const accepted = by.length === 0 ? [] : [...denyNotes, ...(unconditionalAllow ? [] : allowNotes)];
  return { allowed: by.length > 0, denied: false, by, accepted };
}
