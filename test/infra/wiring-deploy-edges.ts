/**
 * The wiring audit's edges that CloudFormation follows at deploy time (wiring-audit.ts): an AwsCustomResource → the
 * DynamoDB table of its SDK calls, and the references between stacks (`Fn::ImportValue`, CDK's cross-region
 * references through SSM).
 */
import { crossStackReferences } from './cfn-model';
import type { ResourceRef } from './cfn-template';
import { isObject, partitionOf, where } from './cfn-template';
import type { PolicyRequest } from './iam-eval';
import type { AuditContext } from './wiring-context';
import type { Side } from './wiring-edge';
import { broken, ok } from './wiring-edge';

// ---------------------------------------------------------------- AwsCustomResource → DynamoDB

/** AwsCustomResource → DynamoDB: its provider's role may make each SDK call. */
export function customResources(audit: AuditContext): void {
  const { model } = audit;
  const custom = model.resources((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource');
  for (const cr of custom) {
    const { stack } = cr;
    const p = cr.res.Properties ?? {};
    const calls: { phase: string; call: Record<string, unknown> }[] = [];
    for (const phase of ['Create', 'Update', 'Delete']) {
      if (p[phase] === undefined) continue;
      try {
        const call = JSON.parse(model.str(stack, p[phase])) as unknown;
        if (isObject(call) && typeof call.service === 'string' && typeof call.action === 'string')
          calls.push({ phase, call });
      } catch {
        // Not an AwsCustomResource SDK call.
      }
    }
    if (calls.length === 0) continue;
    const fn = model.findByAtt('AWS::Lambda::Function', 'Arn', model.str(stack, p.ServiceToken));
    const roleArn = fn ? model.str(fn.stack, fn.res.Properties?.Role) : '(provider not in the app)';
    for (const { phase, call } of calls) {
      const service = String(call.service)
        .replace(/^@aws-sdk\/client-/, '')
        .replace(/-/g, '')
        .toLowerCase();
      const action = String(call.action).replace(/Command$/, '');
      const iamAction = `${service}:${action.charAt(0).toUpperCase()}${action.slice(1)}`;
      const params = (call.parameters ?? {}) as Record<string, unknown>;
      if (service !== 'dynamodb' || !/^dynamodb:(GetItem|PutItem|UpdateItem|DeleteItem)$/.test(iamAction)) {
        audit.unhandled.push(`${where(cr)} (${phase}): ${call.service}.${call.action}, which the audit does not know`);
        continue;
      }
      if (typeof params.TableName !== 'string') {
        audit.unhandled.push(`${where(cr)} (${phase}): no table name in the call`);
        continue;
      }
      const region = typeof call.region === 'string' ? call.region : stack.region;
      const tableArn = audit.callee.tableArn(stack, params.TableName, region);
      const table = model.findByAtt('AWS::DynamoDB::Table', 'Arn', tableArn);
      const leading = audit.callee.leadingKey(tableArn, params);
      const requests: Omit<PolicyRequest, 'principal'>[] = [
        {
          action: iamAction,
          resource: tableArn,
          context: leading !== undefined ? { 'dynamodb:LeadingKeys': [leading] } : {},
        },
      ];
      const cmk = table ? audit.callee.tableKey(table) : undefined;
      if (cmk) requests.push({ action: 'kms:Decrypt', resource: audit.callee.keyArn(cmk), context: {} });
      const caller = fn
        ? audit.caller.roleAllows(roleArn, 'lambda.amazonaws.com', {}, requests)
        : {
            side: broken(`the provider ${model.str(stack, p.ServiceToken)} is not a function of the app`),
            accepted: [],
          };
      const callee = audit.callee.tableSide(table, tableArn, iamAction, { arn: roleArn, account: stack.account }, cmk);
      audit.add({
        kind: 'custom-resource→dynamodb',
        from: where(cr),
        to: table ? where(table) : tableArn,
        actions: [iamAction, ...(cmk ? ['kms:Decrypt'] : [])],
        caller: caller.side,
        callee: callee.side,
        accepted: [...caller.accepted, ...callee.accepted],
      });
    }
  }
}

// ---------------------------------------------------------------- references between stacks

/** References between stacks: every import is exported, every cross-region read is written. */
export function references(audit: AuditContext): void {
  const { model } = audit;
  for (const stack of model.stacks) {
    const { imports, crossRegion } = crossStackReferences(model, stack);
    for (const name of new Set(imports.map((i) => i.name))) {
      const found = model.findExport(stack, name);
      audit.add({
        kind: 'cross-stack-reference',
        from: stack.stackName,
        to: found ? `${found.stack.stackName} export ${name}` : `export ${name}`,
        actions: ['Fn::ImportValue'],
        caller: ok('CloudFormation resolves the import at deploy time'),
        callee: found
          ? ok(`exported by ${found.stack.stackName}`)
          : broken(`no stack of the app exports "${name}" in ${stack.account}/${stack.region}`),
        accepted: [],
      });
    }
    const seen = new Set<string>();
    for (const { reader, name } of crossRegion) {
      if (seen.has(`${reader}|${name}`)) continue;
      seen.add(`${reader}|${name}`);
      const readerRef = model.resource(stack, reader)!;
      const props = (readerRef.res.Properties?.ReaderProps ?? {}) as { imports?: Record<string, unknown> };
      const parameterArn = `arn:${partitionOf(stack.region)}:ssm:${stack.region}:${stack.account}:parameter${name}`;
      const provider = (r: ResourceRef) =>
        model.findByAtt('AWS::Lambda::Function', 'Arn', model.str(r.stack, r.res.Properties?.ServiceToken));
      const readerFn = provider(readerRef);
      const caller = !(name in (props.imports ?? {}))
        ? {
            side: broken(`${where(readerRef)} reads ${name} but does not import it (ReaderProps.imports)`),
            accepted: [],
          }
        : readerFn
          ? audit.caller.roleAllows(
              model.str(readerFn.stack, readerFn.res.Properties?.Role),
              'lambda.amazonaws.com',
              {},
              [
                { action: 'ssm:AddTagsToResource', resource: parameterArn, context: {} },
                { action: 'ssm:RemoveTagsFromResource', resource: parameterArn, context: {} },
              ],
            )
          : { side: broken(`the provider of ${where(readerRef)} is not a function of the app`), accepted: [] };
      const writer = model.findCrossRegionExport(stack.account, stack.region, name);
      let callee: { side: Side; accepted: string[] };
      if (!writer)
        callee = { side: broken(`no cross-region export writer writes ${name} to ${stack.region}`), accepted: [] };
      else {
        const writerRef = model
          .resources('Custom::CrossRegionExportWriter')
          .find(
            (w) =>
              w.stack === writer.stack &&
              name in (((w.res.Properties?.WriterProps ?? {}) as { exports?: object }).exports ?? {}),
          )!;
        const writerFn = provider(writerRef);
        callee = writerFn
          ? audit.caller.roleAllows(
              model.str(writerFn.stack, writerFn.res.Properties?.Role),
              'lambda.amazonaws.com',
              {},
              [
                { action: 'ssm:PutParameter', resource: parameterArn, context: {} },
                { action: 'ssm:DeleteParameters', resource: parameterArn, context: {} },
              ],
            )
          : { side: broken(`the provider of ${where(writerRef)} is not a function of the app`), accepted: [] };
        if (callee.side.ok) callee = { ...callee, side: ok(`written by ${where(writerRef)}: ${callee.side.detail}`) };
      }
      audit.add({
        kind: 'cross-region-reference',
        from: where(readerRef),
        to: `${name} (${stack.region})`,
        actions: ['ssm:AddTagsToResource', 'ssm:PutParameter'],
        caller: caller.side,
        callee: callee.side,
        accepted: [...caller.accepted, ...callee.accepted],
      });
    }
  }
}
