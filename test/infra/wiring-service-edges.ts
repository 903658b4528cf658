/**
 * The wiring audit's edges where an AWS service calls as itself, with no role (wiring-audit.ts), so the callee's
 * policy decides: an alarm → its SNS topic → the topic's KMS key; a Lex V2 alias → its code-hook Lambda; an Amazon
 * Connect instance → the Lambda functions it invokes.
 */
import type { ModelStack, ResourceRef } from './cfn-template';
import { partitionOf, where } from './cfn-template';
import type { RequestContext, RequestPrincipal } from './iam-eval';
import { decide } from './iam-eval';
import type { AuditContext } from './wiring-context';
import type { Side } from './wiring-edge';
import { broken, list, ok, policyStatements, splitFunctionArn } from './wiring-edge';

/** Alarm → SNS → KMS: the topic policy lets CloudWatch publish, and the topic's key lets it encrypt. */
export function alarms(audit: AuditContext): void {
  const { model } = audit;
  const alarms = model.resources((t) => t === 'AWS::CloudWatch::Alarm' || t === 'AWS::CloudWatch::CompositeAlarm');
  for (const alarm of alarms) {
    const { stack } = alarm;
    const p = alarm.res.Properties ?? {};
    const targets = new Set(
      [p.AlarmActions, p.OKActions, p.InsufficientDataActions].flatMap((a) => list(a).map((x) => model.str(stack, x))),
    );
    const alarmArn = model.attOf(alarm, 'Arn');
    const context: RequestContext = {
      'aws:SourceAccount': stack.account,
      'aws:SourceArn': alarmArn,
      'aws:SecureTransport': 'true',
    };
    const cloudwatch: RequestPrincipal = { service: 'cloudwatch.amazonaws.com' };
    for (const arn of targets) {
      if (!/^arn:[^:]+:sns:/.test(arn)) {
        audit.unhandled.push(`${where(alarm)}: alarm action ${arn} (only SNS actions are audited)`);
        continue;
      }
      const topic = model.findByRef('AWS::SNS::Topic', arn);
      if (!topic) {
        audit.add({
          kind: 'alarm→sns',
          from: where(alarm),
          to: arn,
          actions: ['sns:Publish'],
          caller: ok('CloudWatch publishes as the service'),
          callee: ok('topic outside the app'),
          accepted: [`topic ${arn} outside the app: its policy and key are not checked`],
        });
        continue;
      }
      const policies = [
        ...model
          .resources('AWS::SNS::TopicPolicy')
          .filter((tp) => list(tp.res.Properties?.Topics).some((t) => model.str(tp.stack, t) === arn))
          .map((tp) => ({ ref: tp, document: tp.res.Properties?.PolicyDocument })),
        ...model
          .resources('AWS::SNS::TopicInlinePolicy')
          .filter((tp) => model.str(tp.stack, tp.res.Properties?.TopicArn) === arn)
          .map((tp) => ({ ref: tp, document: tp.res.Properties?.PolicyDocument })),
      ];
      let callee: Side;
      let accepted: string[] = [];
      if (policies.length === 0) callee = ok("no topic policy: SNS's default policy lets the account's alarms publish");
      else if (policies.length > 1)
        callee = broken(
          `${policies.length} topic policies (${policies.map((x) => where(x.ref)).join(', ')}): each replaces the others`,
        );
      else {
        const only = policies[0]!;
        const d = decide(policyStatements(model, only.ref.stack, only.document, where(only.ref)), {
          action: 'sns:Publish',
          resource: arn,
          principal: cloudwatch,
          context,
        });
        accepted = [...d.accepted];
        callee = d.allowed
          ? ok(`topic policy allows cloudwatch.amazonaws.com sns:Publish (${d.by.join(', ')})`)
          : broken(
              d.denied
                ? `topic policy ${where(only.ref)} denies cloudwatch.amazonaws.com sns:Publish (${d.by.join(', ')})`
                : `topic policy ${where(only.ref)} replaces SNS's default policy and no statement allows cloudwatch.amazonaws.com sns:Publish from ${alarmArn}`,
            );
      }
      audit.add({
        kind: 'alarm→sns',
        from: where(alarm),
        to: where(topic),
        actions: ['sns:Publish'],
        caller: ok('CloudWatch publishes as the service (no role)'),
        callee,
        accepted,
      });
      const keyValue = topic.res.Properties?.KmsMasterKeyId;
      if (keyValue !== undefined) {
        const k = audit.callee.keyAllows(
          model.str(topic.stack, keyValue),
          cloudwatch,
          ['kms:Decrypt', 'kms:GenerateDataKey'],
          context,
        );
        audit.add({
          kind: 'sns→kms',
          from: `${where(alarm)} via ${where(topic)}`,
          to: k.key,
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          caller: ok('CloudWatch uses the topic key as the service'),
          callee: k.side,
          accepted: k.accepted,
        });
      }
    }
  }
}

// ---------------------------------------------------------------- Lex → fulfillment Lambda

/** Lex → fulfillment Lambda: a permission lets the alias (or the test alias) invoke its code hook. */
export function lexAliases(audit: AuditContext): void {
  const { model } = audit;
  const hooks: { from: ResourceRef; aliasArn: string; lambdaArn: unknown }[] = [];
  for (const alias of model.resources('AWS::Lex::BotAlias')) {
    for (const s of list(alias.res.Properties?.BotAliasLocaleSettings) as Record<string, unknown>[]) {
      const hook = (
        (s.BotAliasLocaleSetting as Record<string, unknown>)?.CodeHookSpecification as Record<string, unknown>
      )?.LambdaCodeHook as Record<string, unknown> | undefined;
      if (hook) hooks.push({ from: alias, aliasArn: model.attOf(alias, 'Arn'), lambdaArn: hook.LambdaArn });
    }
  }
  for (const bot of model.resources('AWS::Lex::Bot')) {
    const test = bot.res.Properties?.TestBotAliasSettings as Record<string, unknown> | undefined;
    for (const s of list(test?.BotAliasLocaleSettings) as Record<string, unknown>[]) {
      const hook = (
        (s.BotAliasLocaleSetting as Record<string, unknown>)?.CodeHookSpecification as Record<string, unknown>
      )?.LambdaCodeHook as Record<string, unknown> | undefined;
      const aliasArn = `arn:${partitionOf(bot.stack.region)}:lex:${bot.stack.region}:${bot.stack.account}:bot-alias/${model.attOf(bot, 'Id')}/TSTALIASID`;
      if (hook) hooks.push({ from: bot, aliasArn, lambdaArn: hook.LambdaArn });
    }
  }
  for (const { from, aliasArn, lambdaArn } of hooks) {
    const fnArn = model.functionArn(from.stack, model.str(from.stack, lambdaArn));
    const fn = model.findByAtt('AWS::Lambda::Function', 'Arn', splitFunctionArn(fnArn).base);
    const { side, accepted } = audit.callee.permissionAllows(
      fnArn,
      { service: 'lexv2.amazonaws.com' },
      aliasArn,
      from.stack.account,
    );
    audit.add({
      kind: 'lex→lambda',
      from: where(from),
      to: fn ? where(fn) : fnArn,
      actions: ['lambda:InvokeFunction'],
      caller: ok('Lex V2 invokes its code hook as the service (no role)'),
      callee: side,
      accepted,
    });
  }
}

// ---------------------------------------------------------------- Amazon Connect → Lambda

function instanceArn(stack: ModelStack, value: string): string {
  return value.startsWith('arn:')
    ? value
    : `arn:${partitionOf(stack.region)}:connect:${stack.region}:${stack.account}:instance/${value}`;
}

/** Amazon Connect → Lambda: the function is associated with the instance and lets it invoke. */
export function connect(audit: AuditContext): void {
  const { model } = audit;
  const pairs = new Map<string, { instance: string; fn: string; from: string; associated: string[] }>();
  const pair = (instance: string, fn: string, from: string) => {
    const k = `${instance}|${fn}`;
    const entry = pairs.get(k) ?? { instance, fn, from, associated: [] };
    pairs.set(k, entry);
    return entry;
  };
  for (const a of model.resources('AWS::Connect::IntegrationAssociation')) {
    const p = a.res.Properties ?? {};
    if (model.str(a.stack, p.IntegrationType) !== 'LAMBDA_FUNCTION') continue;
    const instance = instanceArn(a.stack, model.str(a.stack, p.InstanceId));
    const fn = model.functionArn(a.stack, model.str(a.stack, p.IntegrationArn));
    pair(instance, fn, where(a)).associated.push(where(a));
  }
  for (const flow of model.resources(
    (t) => t === 'AWS::Connect::ContactFlow' || t === 'AWS::Connect::ContactFlowModule',
  )) {
    const p = flow.res.Properties ?? {};
    const instance = instanceArn(flow.stack, model.str(flow.stack, p.InstanceArn));
    let content: { Actions?: { Identifier?: string; Type?: string; Parameters?: Record<string, unknown> }[] };
    try {
      content = JSON.parse(model.str(flow.stack, p.Content)) as typeof content;
    } catch {
      audit.unhandled.push(`${where(flow)}: flow content is not JSON`);
      continue;
    }
    for (const action of content.Actions ?? []) {
      if (action.Type !== 'InvokeLambdaFunction') continue;
      const arn = action.Parameters?.LambdaFunctionARN;
      if (typeof arn !== 'string' || arn.startsWith('$')) {
        audit.unhandled.push(`${where(flow)}: action ${action.Identifier} invokes a function named at run time`);
        continue;
      }
      pair(instance, model.functionArn(flow.stack, arn), where(flow));
    }
  }
  for (const { instance, fn, from, associated } of pairs.values()) {
    const f = model.findByAtt('AWS::Lambda::Function', 'Arn', splitFunctionArn(fn).base);
    const permission = audit.callee.permissionAllows(
      fn,
      { service: 'connect.amazonaws.com' },
      instance,
      instance.split(':')[4],
    );
    const callee =
      associated.length === 0
        ? broken(`no AWS::Connect::IntegrationAssociation adds ${fn} to ${instance}: the flow cannot invoke it`)
        : permission.side.ok
          ? ok(`associated by ${associated.join(', ')}; ${permission.side.detail}`)
          : permission.side;
    audit.add({
      kind: 'connect→lambda',
      from: `${from} (${instance})`,
      to: f ? where(f) : fn,
      actions: ['lambda:InvokeFunction'],
      caller: ok('Amazon Connect invokes as the service (no role)'),
      callee,
      accepted: permission.accepted,
    });
  }
}
