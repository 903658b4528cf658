/**
 * Does a resource policy (an SNS topic policy, a KMS key policy) let an AWS service principal do something? The
 * evaluation IAM documents for resource-based policies, for the one case lexdr needs — a service principal
 * (`cloudwatch.amazonaws.com`) calling an action on a resource with a known request context: an explicit Deny wins,
 * else an Allow grants, else the request is implicitly denied. `lexdr preflight` asks it of the alarm topic and its
 * key; the local CloudWatch asks it before it publishes an alarm's notification, as CloudWatch would be refused.
 *
 * A condition on a key the context does not hold, or an operator this evaluator does not know, makes the statement's
 * outcome `unknown`, never a guess.
 */

export interface ServiceRequest {
  /** The calling service principal, e.g. `cloudwatch.amazonaws.com`. */
  service: string;
  /** e.g. `sns:Publish`. */
  action: string;
  /** ARN of the resource. */
  resource: string;
  /** The request context by condition key (keys are case-insensitive): `aws:SourceAccount`, `aws:SourceArn`, … */
  context: Record<string, string>;
}

export type PolicyDecision =
  /** An Allow statement applies and no Deny does. */
  | { effect: 'allow'; statement: string }
  /** A Deny statement applies. */
  | { effect: 'deny'; statement: string }
  /** No statement applies: implicitly denied. */
  | { effect: 'none' }
  /** Whether a statement applies depends on something this evaluator cannot tell. */
  | { effect: 'unknown'; statement: string; reason: string };

interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The policy is not a JSON policy document. */
export class PolicyDocumentError extends Error {
  override name = 'PolicyDocumentError';
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM wildcards: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

function principalMatches(principal: unknown, service: string): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const p = principal as Record<string, unknown>;
  if (list(p.AWS).includes('*')) return true;
  return list(p.Service).some((s) => typeof s === 'string' && s.toLowerCase() === service.toLowerCase());
}

type Tri = true | false | 'unknown';

/** One condition operator over one key: true, false, or unknown (operator or key not known). */
function conditionHolds(operator: string, key: string, expected: unknown, ctx: Map<string, string>): Tri {
  let op = operator;
  if (/^For(Any|All)Value:/i.test(op)) return 'unknown';
  const ifExists = /IfExists$/.test(op);
  if (ifExists) op = op.slice(0, -'IfExists'.length);
  const values = list(expected).map(String);
  const actual = ctx.get(key.toLowerCase());
  if (op === 'Null') {
    const isNull = actual === undefined;
    return values.some((v) => v.toLowerCase() === String(isNull));
  }
  if (actual === undefined) return ifExists ? true : 'unknown';
  const any = (f: (v: string) => boolean) => values.some(f);
  switch (op) {
    case 'StringEquals':
    case 'ArnEquals':
      return any((v) => v === actual);
    case 'StringNotEquals':
    case 'ArnNotEquals':
      return !any((v) => v === actual);
    case 'StringEqualsIgnoreCase':
      return any((v) => v.toLowerCase() === actual.toLowerCase());
    case 'StringNotEqualsIgnoreCase':
      return !any((v) => v.toLowerCase() === actual.toLowerCase());
    case 'StringLike':
    case 'ArnLike':
      return any((v) => wildcardMatch(v, actual));
    case 'StringNotLike':
    case 'ArnNotLike':
      return !any((v) => wildcardMatch(v, actual));
    case 'Bool':
      return any((v) => v.toLowerCase() === actual.toLowerCase());
    default:
      return 'unknown';
  }
}

function conditionsHold(conditions: Statement['Condition'], ctx: Map<string, string>): Tri {
  let result: Tri = true;
  for (const [operator, keys] of Object.entries(conditions ?? {})) {
    for (const [key, expected] of Object.entries(keys ?? {})) {
      const r = conditionHolds(operator, key, expected, ctx);
      if (r === false) return false;
      if (r === 'unknown') result = 'unknown';
    }
  }
  return result;
}

/** Whether a statement applies to the request: true, false, or unknown (and why). */
function applies(s: Statement, req: ServiceRequest, ctx: Map<string, string>): Tri {
  if (s.NotPrincipal !== undefined) return 'unknown';
  if (!principalMatches(s.Principal, req.service)) return false;
  const actionIn = (patterns: unknown) =>
    list(patterns).some((p) => typeof p === 'string' && wildcardMatch(p, req.action, true));
  if (s.Action !== undefined ? !actionIn(s.Action) : s.NotAction !== undefined ? actionIn(s.NotAction) : true)
    return false;
  const resourceIn = (patterns: unknown) =>
    list(patterns).some((p) => typeof p === 'string' && wildcardMatch(p, req.resource));
  if (
    s.Resource !== undefined ? !resourceIn(s.Resource) : s.NotResource !== undefined ? resourceIn(s.NotResource) : false
  )
    return false;
  return conditionsHold(s.Condition, ctx);
}

/** Parses a policy document (JSON text or object); throws PolicyDocumentError. */
export function parsePolicy(policy: unknown): Statement[] {
  let doc: unknown = policy;
  if (typeof policy === 'string') {
    try {
      doc = JSON.parse(policy);
    } catch {
      throw new PolicyDocumentError('the policy is not JSON');
    }
  }
  const statements = list((doc as { Statement?: unknown } | null)?.Statement);
  if (statements.length === 0) throw new PolicyDocumentError('the policy has no Statement');
  return statements as Statement[];
}

/** Evaluates a resource policy for a service principal's request. */
export function evaluateServiceRequest(policy: unknown, req: ServiceRequest): PolicyDecision {
  const ctx = new Map(Object.entries(req.context).map(([k, v]) => [k.toLowerCase(), v]));
  const statements = parsePolicy(policy);
  const name = (s: Statement, i: number) => s.Sid || `#${i + 1}`;
  let allow: string | undefined;
  let denyUnknown: string | undefined;
  let allowUnknown: string | undefined;
  for (const [i, s] of statements.entries()) {
    const r = applies(s, req, ctx);
    if (r === false) continue;
    if (s.Effect === 'Deny') {
      if (r === true) return { effect: 'deny', statement: name(s, i) };
      denyUnknown ??= name(s, i);
    } else if (s.Effect === 'Allow') {
      if (r === true) allow ??= name(s, i);
      else allowUnknown ??= name(s, i);
    }
  }
  if (denyUnknown)
    return { effect: 'unknown', statement: denyUnknown, reason: 'a Deny whose conditions cannot be evaluated here' };
  if (allow) return { effect: 'allow', statement: allow };
  if (allowUnknown)
    return { effect: 'unknown', statement: allowUnknown, reason: 'an Allow whose conditions cannot be evaluated here' };
  return { effect: 'none' };
}

/** The request context CloudWatch has when an alarm's action publishes to an SNS topic (and SNS uses its key). */
export function alarmPublishContext(account: string, alarmArn: string): Record<string, string> {
  return {
    'aws:SourceAccount': account,
    'aws:SourceArn': alarmArn,
    // SNS's own key in its default topic policy.
    'AWS:SourceOwner': account,
    'aws:SecureTransport': 'true',
    'aws:PrincipalServiceName': 'cloudwatch.amazonaws.com',
    'aws:PrincipalIsAWSService': 'true',
  };
}
