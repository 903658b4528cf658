/**
 * The wiring audit's edges from an ECS task to the secrets of its containers (wiring-audit.ts): the execution role
 * reads each secret or parameter, and the secret's resource policy and KMS key let it.
 */
import type { ResourceRef } from './cfn-template';
import { partitionOf, where } from './cfn-template';
import type { PolicyRequest } from './iam-eval';
import type { AuditContext } from './wiring-context';
import type { Side } from './wiring-edge';
import { broken, list, ok } from './wiring-edge';

// ---------------------------------------------------------------- ECS task → secret / KMS

/** ECS task → secret / KMS: the execution role may read every secret of its containers. */
export function ecsTasks(audit: AuditContext): void {
  const { model } = audit;
  for (const task of model.resources('AWS::ECS::TaskDefinition')) {
    const { stack } = task;
    const p = task.res.Properties ?? {};
    const references: string[] = [];
    for (const c of list(p.ContainerDefinitions) as Record<string, unknown>[]) {
      for (const s of list(c.Secrets) as Record<string, unknown>[]) references.push(model.str(stack, s.ValueFrom));
      const credentials = (c.RepositoryCredentials as Record<string, unknown> | undefined)?.CredentialsParameter;
      if (credentials !== undefined) references.push(model.str(stack, credentials));
    }
    if (references.length === 0) continue;
    const roleArn = p.ExecutionRoleArn === undefined ? undefined : model.str(stack, p.ExecutionRoleArn);
    for (const ref of new Set(references)) {
      const accepted: string[] = [];
      let action: string;
      let resource: string;
      let secret: ResourceRef | undefined;
      if (/^arn:[^:]+:secretsmanager:/.test(ref)) {
        action = 'secretsmanager:GetSecretValue';
        const base = ref.split(':').slice(0, 7).join(':');
        secret = model.findByRef('AWS::SecretsManager::Secret', base);
        // IAM sees the complete ARN; a partial one (no `-xxxxxx` suffix) in a policy does not match it.
        resource = secret || /-[A-Za-z0-9]{6}$/.test(base) ? base : `${base}-XXXXXX`;
      } else {
        action = 'ssm:GetParameters';
        resource = ref.startsWith('arn:')
          ? ref
          : `arn:${partitionOf(stack.region)}:ssm:${stack.region}:${stack.account}:parameter${ref.startsWith('/') ? '' : '/'}${ref}`;
      }
      const requests: Omit<PolicyRequest, 'principal'>[] = [{ action, resource, context: {} }];
      const keyValue = secret?.res.Properties?.KmsKeyId;
      const key = keyValue === undefined ? undefined : model.str(secret!.stack, keyValue);
      if (key) requests.push({ action: 'kms:Decrypt', resource: audit.callee.keyArn(key), context: {} });
      const caller = roleArn
        ? audit.caller.roleAllows(roleArn, 'ecs-tasks.amazonaws.com', { 'aws:SourceAccount': stack.account }, requests)
        : { side: broken('the task definition has no execution role to read its secrets'), accepted: [] };
      accepted.push(...caller.accepted);
      let callee: Side;
      if (action === 'ssm:GetParameters') callee = ok('SSM parameters have no resource policy');
      else if (!secret) {
        callee = ok('secret outside the app');
        accepted.push(
          `secret ${ref} outside the app: its resource policy and KMS key are not checked (a customer managed key needs kms:Decrypt for ${roleArn})`,
        );
      } else {
        const details: string[] = [];
        let failed: Side | undefined;
        for (const rp of model.resources('AWS::SecretsManager::ResourcePolicy')) {
          if (model.str(rp.stack, rp.res.Properties?.SecretId) !== resource) continue;
          const r = audit.callee.noExplicitDeny(rp.stack, rp.res.Properties?.ResourcePolicy, where(rp), {
            action,
            resource,
            principal: { arn: roleArn, account: stack.account },
            context: {},
          });
          accepted.push(...r.accepted);
          if (!r.side.ok) failed = r.side;
          details.push(r.side.detail);
        }
        if (key && roleArn) {
          const k = audit.callee.keyAllows(key, { arn: roleArn, account: stack.account }, ['kms:Decrypt'], {});
          accepted.push(...k.accepted);
          if (!k.side.ok) failed = k.side;
          details.push(k.side.detail);
        }
        callee = failed ?? ok(details.join('; ') || 'no resource policy');
      }
      audit.add({
        kind: 'ecs-task→secret',
        from: where(task),
        to: secret ? where(secret) : ref,
        actions: [action, ...(key ? ['kms:Decrypt'] : [])],
        caller: caller.side,
        callee,
        accepted,
      });
    }
  }
}
