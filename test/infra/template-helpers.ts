/** Helpers for reading synthesized templates in infra tests. */
import type { Template } from 'aws-cdk-lib/assertions';

/**
 * Flattens a CloudFormation value to a readable string: `Fn::Join` joined, `AWS::Partition` → `aws`, other refs as
 * `<Ref:X>`, `Fn::GetAtt` as `<X.Attr>`, imports as `<import:Name>`, so tests can compare exact ARNs.
 */
export function flat(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flat).join(sep);
    }
    if ('Ref' in o) return o.Ref === 'AWS::Partition' ? 'aws' : `<Ref:${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::ImportValue' in o) return `<import:${flat(o['Fn::ImportValue'])}>`;
  }
  return JSON.stringify(v);
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

/** Every statement of every `AWS::IAM::Policy` attached to a role whose logical ID starts with `rolePrefix`. */
export function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) =>
      ((p.Properties.Roles ?? []) as { Ref: string }[]).some(
        (r) => typeof r.Ref === 'string' && r.Ref.startsWith(rolePrefix),
      ),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The statement with this Sid (exactly one). */
export function statement(template: Template, rolePrefix: string, sid: string): Statement {
  const found = statementsOf(template, rolePrefix).filter((s) => s.Sid === sid);
  if (found.length !== 1) throw new Error(`expected one statement ${sid} on ${rolePrefix}*, found ${found.length}`);
  return found[0]!;
}

/** A statement's resources as flat strings. */
export function resources(s: Statement): string[] {
  return (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(flat);
}

/** A statement's actions as a sorted list. */
export function actions(s: Statement): string[] {
  return (Array.isArray(s.Action) ? s.Action : [s.Action]).slice().sort();
}

/** The logical ID of the one resource of a type whose ID starts with a prefix. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}
