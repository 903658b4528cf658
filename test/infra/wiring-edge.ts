/**
 * The wiring audit's vocabulary (wiring-audit.ts): the kinds of edge, an edge and its two sides, the report, and the
 * small readers of template values both sides and every edge finder use.
 */
import type { CfnModel } from './cfn-model';
import type { ModelStack } from './cfn-template';
import { isObject } from './cfn-template';
import type { PolicyStatement, RequestPrincipal, SourcedStatement } from './iam-eval';

export const EDGE_KINDS = [
  'scheduler→state-machine',
  'state-machine→lambda',
  'state-machine→dynamodb',
  'state-machine→cloudwatch',
  'alarm→sns',
  'sns→kms',
  'lex→lambda',
  'connect→lambda',
  'ecs-task→secret',
  'custom-resource→dynamodb',
  'fis→lambda',
  'fis→cloudwatch',
  'cross-stack-reference',
  'cross-region-reference',
] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

/** One side of an edge: whether it allows the call, and why (or why not). */
export interface Side {
  readonly ok: boolean;
  readonly detail: string;
}

export interface Edge {
  readonly kind: EdgeKind;
  /** The caller, `Stack/LogicalId`. */
  readonly from: string;
  /** The callee: `Stack/LogicalId` when it is in the app, else its ARN or name. */
  readonly to: string;
  readonly actions: readonly string[];
  /** The caller's side: its role's trust and policies (or how a service calls without a role). */
  readonly caller: Side;
  /** The callee's side: its resource policy, key policy, permission or association. */
  readonly callee: Side;
  /** Conditions and resources taken to allow the call without being evaluated. */
  readonly accepted: readonly string[];
}

export const edgeOk = (e: Edge): boolean => e.caller.ok && e.callee.ok;

export interface WiringReport {
  readonly edges: readonly Edge[];
  readonly broken: readonly Edge[];
  readonly counts: Readonly<Record<EdgeKind, number>>;
  /** What the audit found and could not audit (an unknown integration, a dynamic function name…). */
  readonly unhandled: readonly string[];
  /** Every condition or resource accepted without evaluation, once. */
  readonly accepted: readonly string[];
}

/** An edge as one line, for failure messages. */
export function describeEdge(e: Edge): string {
  const side = (name: string, s: Side) => `${name} ${s.ok ? 'ok' : 'BROKEN'}: ${s.detail}`;
  return `${e.kind} ${e.from} → ${e.to} [${e.actions.join(', ')}]\n    ${side('caller', e.caller)}\n    ${side('callee', e.callee)}`;
}

export const ok = (detail: string): Side => ({ ok: true, detail });
export const broken = (detail: string): Side => ({ ok: false, detail });
export const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A parsed Lambda ARN: the unqualified function ARN and the qualifier, if any. */
export function splitFunctionArn(arn: string): { base: string; qualifier?: string } {
  const parts = arn.split(':');
  return parts.length > 7 ? { base: parts.slice(0, 7).join(':'), qualifier: parts.slice(7).join(':') } : { base: arn };
}

export function principalName(p: RequestPrincipal): string {
  return p.service ?? p.arn ?? p.account ?? 'the caller';
}

/** The statements of a policy document in a template, each with where it comes from. */
export function policyStatements(
  model: CfnModel,
  stack: ModelStack,
  document: unknown,
  source: string,
): SourcedStatement[] {
  const doc = model.val(stack, document);
  if (!isObject(doc)) return [];
  return list(doc.Statement).map((s) => ({ statement: s as PolicyStatement, source }));
}
