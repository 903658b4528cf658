/**
 * The caller's side of an edge (wiring-audit.ts): the role it calls with trusts the calling service, and the IAM
 * policies attached to the role, in any stack of the app, allow every request.
 */
import type { CfnModel } from './cfn-model';
import type { ResourceRef } from './cfn-template';
import { where } from './cfn-template';
import type { PolicyRequest, RequestContext, SourcedStatement } from './iam-eval';
import { decide } from './iam-eval';
import type { Side } from './wiring-edge';
import { broken, list, ok, policyStatements } from './wiring-edge';

interface Identity {
  readonly statements: SourcedStatement[];
  /** Managed policies the templates do not hold (AWS managed): their statements are unknown. */
  readonly external: string[];
}

/** Decides the caller's side of edges made with a role; what it learns of a role is kept for the next edge. */
export class CallerSide {
  private readonly identities = new Map<string, Identity>();

  constructor(private readonly model: CfnModel) {}

  /** Every statement attached to a role, from any stack of the app. */
  private identity(role: ResourceRef): Identity {
    const key = where(role);
    const cached = this.identities.get(key);
    if (cached) return cached;
    const names = new Set([this.model.refOf(role), this.model.attOf(role, 'Arn')]);
    const p = role.res.Properties ?? {};
    const statements: SourcedStatement[] = [];
    for (const inline of list(p.Policies) as { PolicyDocument?: unknown; PolicyName?: unknown }[])
      statements.push(
        ...policyStatements(this.model, role.stack, inline.PolicyDocument, `${key}/${String(inline.PolicyName)}`),
      );
    const managed = new Map<string, ResourceRef>();
    for (const policy of this.model.resources((t) => t === 'AWS::IAM::Policy' || t === 'AWS::IAM::ManagedPolicy')) {
      const pp = policy.res.Properties ?? {};
      if (policy.res.Type === 'AWS::IAM::ManagedPolicy') managed.set(this.model.refOf(policy), policy);
      const roles = list(pp.Roles).map((r) => this.model.str(policy.stack, r));
      if (roles.some((r) => names.has(r)))
        statements.push(...policyStatements(this.model, policy.stack, pp.PolicyDocument, where(policy)));
    }
    for (const policy of this.model.resources('AWS::IAM::RolePolicy')) {
      const pp = policy.res.Properties ?? {};
      if (names.has(this.model.str(policy.stack, pp.RoleName)))
        statements.push(...policyStatements(this.model, policy.stack, pp.PolicyDocument, where(policy)));
    }
    const external: string[] = [];
    for (const arnValue of list(p.ManagedPolicyArns)) {
      const arn = this.model.str(role.stack, arnValue);
      const inApp = managed.get(arn);
      if (inApp) {
        const listed = list(inApp.res.Properties?.Roles).map((r) => this.model.str(inApp.stack, r));
        if (!listed.some((r) => names.has(r)))
          statements.push(
            ...policyStatements(this.model, inApp.stack, inApp.res.Properties?.PolicyDocument, where(inApp)),
          );
      } else external.push(arn);
    }
    if (p.PermissionsBoundary !== undefined)
      external.push(`permissions boundary ${this.model.str(role.stack, p.PermissionsBoundary)} (not evaluated)`);
    const identity = { statements, external };
    this.identities.set(key, identity);
    return identity;
  }

  private roleByArn(arn: string): ResourceRef | undefined {
    return this.model.findByAtt('AWS::IAM::Role', 'Arn', arn);
  }

  /**
   * The caller's side: the role trusts `service` (with `trustContext`) and its policies allow every request.
   */
  roleAllows(
    roleArn: string,
    service: string,
    trustContext: RequestContext,
    requests: readonly Omit<PolicyRequest, 'principal'>[],
  ): { side: Side; accepted: string[] } {
    const role = this.roleByArn(roleArn);
    if (!role) return { side: broken(`role ${roleArn} is not a role of the app`), accepted: [] };
    const name = where(role);
    const accepted: string[] = [];
    const trust = decide(
      policyStatements(this.model, role.stack, role.res.Properties?.AssumeRolePolicyDocument, `${name}/trust`),
      {
        action: 'sts:AssumeRole',
        resource: roleArn,
        principal: { service },
        context: trustContext,
      },
    );
    accepted.push(...trust.accepted);
    if (!trust.allowed)
      return {
        side: broken(`${name} does not trust ${service}${trust.denied ? ` (denied by ${trust.by.join(', ')})` : ''}`),
        accepted,
      };
    const identity = this.identity(role);
    const missing: string[] = [];
    const granted: string[] = [];
    for (const r of requests) {
      const d = decide(identity.statements, r);
      accepted.push(...d.accepted);
      if (d.allowed) granted.push(...d.by);
      else missing.push(`${r.action} on ${r.resource}${d.denied ? ` (denied by ${d.by.join(', ')})` : ''}`);
    }
    if (missing.length > 0) {
      const managed = identity.external.length > 0 ? `; not evaluated: ${identity.external.join(', ')}` : '';
      return { side: broken(`${name} may not ${missing.join('; ')}${managed}`), accepted };
    }
    return { side: ok(`${name} trusts ${service}; allowed by ${[...new Set(granted)].join(', ')}`), accepted };
  }
}
