/**
 * The callee's side of an edge (wiring-audit.ts): a KMS key's policy, a Lambda function's permissions, a resource
 * policy that could deny, a DynamoDB table's resource policy and key — and the table ARNs and keys a request names.
 */
import type { CfnModel } from './cfn-model';
import type { ModelStack, ResourceRef } from './cfn-template';
import { partitionOf, where } from './cfn-template';
import type { PolicyRequest, RequestContext, RequestPrincipal } from './iam-eval';
import { decide, wildcardMatch } from './iam-eval';
import type { Side } from './wiring-edge';
import { broken, list, ok, policyStatements, principalName, splitFunctionArn } from './wiring-edge';

/** Decides the callee's side of edges: the policies of keys, functions and tables of the app. */
export class CalleeSide {
  constructor(private readonly model: CfnModel) {}

  /** A KMS key's policy allows `principal` each action (a role also needs its own policies: see `roleAllows`). */
  keyAllows(
    keyValue: string,
    principal: RequestPrincipal,
    actions: readonly string[],
    context: RequestContext,
  ): { side: Side; accepted: string[]; key: string } {
    if (/(^|[:/])alias\/aws\//.test(keyValue))
      return {
        side: broken(
          `${keyValue} is an AWS managed key: its key policy cannot be changed to allow ${principalName(principal)}`,
        ),
        accepted: [],
        key: keyValue,
      };
    const key = this.findKey(keyValue);
    if (!key)
      return {
        side: ok(`key ${keyValue} is outside the app`),
        accepted: [`key ${keyValue} outside the app: its policy is not checked`],
        key: keyValue,
      };
    const keyArn = this.model.attOf(key, 'Arn');
    const statements = policyStatements(
      this.model,
      key.stack,
      key.res.Properties?.KeyPolicy,
      `${where(key)}/KeyPolicy`,
    );
    const accepted: string[] = [];
    const missing: string[] = [];
    for (const action of actions) {
      const d = decide(statements, { action, resource: keyArn, principal, context });
      accepted.push(...d.accepted);
      if (!d.allowed) missing.push(action);
    }
    return missing.length > 0
      ? {
          side: broken(
            `the key policy of ${where(key)} does not allow ${principalName(principal)} ${missing.join(', ')}`,
          ),
          accepted,
          key: where(key),
        }
      : {
          side: ok(`the key policy of ${where(key)} allows ${principalName(principal)} ${actions.join(', ')}`),
          accepted,
          key: where(key),
        };
  }

  private findKey(value: string): ResourceRef | undefined {
    const byArn = this.model.findByAtt('AWS::KMS::Key', 'Arn', value) ?? this.model.findByRef('AWS::KMS::Key', value);
    if (byArn) return byArn;
    const aliasName = value.replace(/^arn:[^:]+:kms:[^:]*:[^:]*:/, '');
    const alias = this.model.findByRef('AWS::KMS::Alias', aliasName);
    if (!alias) return undefined;
    const target = this.model.str(alias.stack, alias.res.Properties?.TargetKeyId);
    return this.model.findByAtt('AWS::KMS::Key', 'Arn', target) ?? this.model.findByRef('AWS::KMS::Key', target);
  }

  /**
   * A Lambda function's resource policy (its `AWS::Lambda::Permission`s, in any stack) lets `who` invoke `functionArn`
   * from `sourceArn` (exact qualifier: a permission on the function does not cover its aliases, and the reverse).
   */
  permissionAllows(
    functionArn: string,
    who: RequestPrincipal,
    sourceArn: string | undefined,
    sourceAccount: string | undefined,
  ): { side: Side; accepted: string[] } {
    const { base } = splitFunctionArn(functionArn);
    const fn = this.model.findByAtt('AWS::Lambda::Function', 'Arn', base);
    if (!fn) return { side: broken(`${functionArn} is not a function of the app`), accepted: [] };
    const accepted: string[] = [];
    const found: string[] = [];
    const near: string[] = [];
    for (const perm of this.model.resources('AWS::Lambda::Permission')) {
      const p = perm.res.Properties ?? {};
      const target = this.model.functionArn(perm.stack, this.model.str(perm.stack, p.FunctionName));
      if (target !== functionArn) continue;
      if (!wildcardMatch(this.model.str(perm.stack, p.Action), 'lambda:InvokeFunction', true)) continue;
      const principal = this.model.str(perm.stack, p.Principal);
      const principalOk =
        principal === '*' ||
        (who.service !== undefined && principal === who.service) ||
        (who.arn !== undefined && principal === who.arn) ||
        (who.account !== undefined &&
          !who.service &&
          (principal === who.account ||
            principal === `arn:${partitionOf(perm.stack.region)}:iam::${who.account}:root`));
      if (!principalOk) continue;
      const problems: string[] = [];
      if (p.SourceArn !== undefined) {
        const pattern = this.model.str(perm.stack, p.SourceArn);
        if (sourceArn === undefined)
          accepted.push(`${where(perm)}: SourceArn ${pattern} (the caller's ARN is unknown)`);
        else if (!wildcardMatch(pattern, sourceArn)) problems.push(`SourceArn ${pattern} is not ${sourceArn}`);
      }
      if (p.SourceAccount !== undefined && sourceAccount !== undefined) {
        const account = this.model.str(perm.stack, p.SourceAccount);
        if (account !== sourceAccount) problems.push(`SourceAccount ${account} is not ${sourceAccount}`);
      }
      if (p.PrincipalOrgID !== undefined) accepted.push(`${where(perm)}: PrincipalOrgID not evaluated`);
      if (problems.length === 0) found.push(where(perm));
      else near.push(`${where(perm)} (${problems.join('; ')})`);
    }
    if (found.length > 0) return { side: ok(`permission ${found.join(', ')}`), accepted };
    return {
      side: broken(
        `no AWS::Lambda::Permission lets ${principalName(who)} invoke ${functionArn}${sourceArn ? ` from ${sourceArn}` : ''}` +
          (near.length > 0 ? `; near misses: ${near.join(', ')}` : ''),
      ),
      accepted,
    };
  }

  /** A resource policy that would deny a same-account role (for same-account calls an Allow is not needed). */
  noExplicitDeny(
    stack: ModelStack,
    document: unknown,
    source: string,
    request: PolicyRequest,
  ): { side: Side; accepted: string[] } {
    const d = decide(policyStatements(this.model, stack, document, source), request);
    return d.denied
      ? { side: broken(`${source} denies ${request.action} (${d.by.join(', ')})`), accepted: [...d.accepted] }
      : { side: ok(`${source} does not deny it`), accepted: [...d.accepted] };
  }

  tableArn(stack: ModelStack, nameOrArn: string, region = stack.region): string {
    return nameOrArn.startsWith('arn:')
      ? nameOrArn
      : `arn:${partitionOf(region)}:dynamodb:${region}:${stack.account}:table/${nameOrArn}`;
  }

  /** The partition key value of an item or key in a DynamoDB request, when it is written in the request. */
  leadingKey(tableArn: string, params: Record<string, unknown>): string | undefined {
    const table = this.model.findByAtt('AWS::DynamoDB::Table', 'Arn', tableArn);
    if (!table) return undefined;
    const schema = list(table.res.Properties?.KeySchema) as { AttributeName?: unknown; KeyType?: unknown }[];
    const hash = schema.find((k) => k.KeyType === 'HASH')?.AttributeName;
    const item = (params.Item ?? params.Key) as Record<string, unknown> | undefined;
    const value = item?.[String(hash)] as Record<string, unknown> | undefined;
    const s = value?.S ?? value?.N;
    return typeof s === 'string' ? s : undefined;
  }

  /** The table's customer managed key, if it has one (an AWS owned or AWS managed key needs no grant). */
  tableKey(table: ResourceRef): string | undefined {
    const sse = (table.res.Properties?.SSESpecification ?? {}) as Record<string, unknown>;
    if (sse.KMSMasterKeyId === undefined) return undefined;
    const key = this.model.str(table.stack, sse.KMSMasterKeyId);
    return /alias\/aws\/dynamodb$/.test(key) ? undefined : key;
  }

  keyArn(value: string): string {
    const key = this.findKey(value);
    return key ? this.model.attOf(key, 'Arn') : value;
  }

  /** A table's side: it is in the app, its resource policy does not deny, and its CMK's policy allows the role. */
  tableSide(
    table: ResourceRef | undefined,
    tableArn: string,
    action: string,
    principal: RequestPrincipal,
    cmk: string | undefined,
  ): { side: Side; accepted: string[] } {
    if (!table)
      return {
        side: ok(`table ${tableArn} is outside the app`),
        accepted: [`table ${tableArn} outside the app: its resource policy and key are not checked`],
      };
    const details: string[] = [];
    const accepted: string[] = [];
    const policy = table.res.Properties?.ResourcePolicy as { PolicyDocument?: unknown } | undefined;
    if (policy) {
      const r = this.noExplicitDeny(table.stack, policy.PolicyDocument, `${where(table)}/ResourcePolicy`, {
        action,
        resource: tableArn,
        principal,
        context: {},
      });
      accepted.push(...r.accepted);
      if (!r.side.ok) return r;
      details.push(r.side.detail);
    } else details.push('no resource policy');
    if (cmk) {
      const k = this.keyAllows(cmk, principal, ['kms:Decrypt'], {});
      accepted.push(...k.accepted);
      if (!k.side.ok) return { side: k.side, accepted };
      details.push(k.side.detail);
    }
    return { side: ok(details.join('; ')), accepted };
  }
}
