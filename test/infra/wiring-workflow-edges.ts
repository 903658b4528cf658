/**
 * The wiring audit's edges of the health-check workflow (wiring-audit.ts): an EventBridge Scheduler schedule → its
 * state machine; a state machine → every Lambda function in its definition, every DynamoDB table of a direct
 * integration, CloudWatch `PutMetricData`.
 */
import { isObject, where } from './cfn-template';
import type { PolicyRequest, RequestContext } from './iam-eval';
import type { AuditContext } from './wiring-context';
import { broken, list, ok, splitFunctionArn } from './wiring-edge';

/** Scheduler → state machine: the schedule's role may start it. */
export function schedules(audit: AuditContext): void {
  const { model } = audit;
  for (const schedule of model.resources('AWS::Scheduler::Schedule')) {
    const { stack } = schedule;
    const target = (schedule.res.Properties?.Target ?? {}) as Record<string, unknown>;
    const arn = model.str(stack, target.Arn);
    if (!/^arn:[^:]+:states:/.test(arn)) {
      audit.unhandled.push(`${where(schedule)}: schedule target ${arn} (only state machines are audited)`);
      continue;
    }
    const machine = model.findByRef('AWS::StepFunctions::StateMachine', arn);
    const scheduleArn = model.attOf(schedule, 'Arn');
    const { side, accepted } = audit.caller.roleAllows(
      model.str(stack, target.RoleArn),
      'scheduler.amazonaws.com',
      { 'aws:SourceAccount': stack.account, 'aws:SourceArn': scheduleArn },
      [{ action: 'states:StartExecution', resource: arn, context: {} }],
    );
    audit.add({
      kind: 'scheduler→state-machine',
      from: where(schedule),
      to: machine ? where(machine) : arn,
      actions: ['states:StartExecution'],
      caller: side,
      callee: machine
        ? ok('Step Functions has no resource policy: the role decides')
        : broken(`${arn} is not a state machine of the app`),
      accepted,
    });
  }
}

/** State machine → Lambda / DynamoDB / CloudWatch: its role may make every call of its definition. */
export function stateMachines(audit: AuditContext): void {
  const { model } = audit;
  for (const machine of model.resources('AWS::StepFunctions::StateMachine')) {
    const { stack } = machine;
    const p = machine.res.Properties ?? {};
    let text: string;
    if (p.DefinitionString !== undefined) text = model.str(stack, p.DefinitionString);
    else if (p.Definition !== undefined) text = JSON.stringify(model.val(stack, p.Definition));
    else {
      audit.unhandled.push(`${where(machine)}: definition outside the template (DefinitionS3Location)`);
      continue;
    }
    for (const [name, value] of Object.entries((p.DefinitionSubstitutions ?? {}) as Record<string, unknown>))
      text = text.split('${' + name + '}').join(model.str(stack, value));
    let definition: unknown;
    try {
      definition = JSON.parse(text);
    } catch (e) {
      audit.unhandled.push(`${where(machine)}: definition is not JSON after substitution (${(e as Error).message})`);
      continue;
    }
    const machineArn = model.refOf(machine);
    const roleArn = model.str(stack, p.RoleArn);
    const trustContext = { 'aws:SourceAccount': stack.account, 'aws:SourceArn': machineArn };
    const role = (requests: Omit<PolicyRequest, 'principal'>[]) =>
      audit.caller.roleAllows(roleArn, 'states.amazonaws.com', trustContext, requests);

    const functions = new Map<string, string[]>();
    // Per table and action: the partition keys the states write, unless one names its key at run time.
    const tables = new Map<string, { tableArn: string; action: string; keys: string[]; keyAtRunTime: boolean }>();
    const metrics = new Map<string, string[]>();
    const note = <T>(m: Map<string, T[]>, k: string, v: T) => m.set(k, [...(m.get(k) ?? []), v]);

    for (const [stateName, state] of states(definition)) {
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource ?? '');
      const params = (state.Parameters ?? state.Arguments ?? {}) as Record<string, unknown>;
      const integration = /^arn:[^:]+:states:::([^.]+)(\..+)?$/.exec(resource)?.[1];
      if (/^arn:[^:]+:lambda:/.test(resource)) note(functions, resource, stateName);
      else if (integration === 'lambda:invoke') {
        if (typeof params.FunctionName === 'string')
          note(functions, model.functionArn(stack, params.FunctionName), stateName);
        else audit.unhandled.push(`${where(machine)}: state "${stateName}" invokes a function named at run time`);
      } else if (integration && /^dynamodb:(getItem|putItem|updateItem|deleteItem)$/.test(integration)) {
        const action = `dynamodb:${integration.charAt(9).toUpperCase()}${integration.slice(10)}`;
        if (typeof params.TableName !== 'string') {
          audit.unhandled.push(`${where(machine)}: state "${stateName}" names its table at run time`);
          continue;
        }
        const tableArn = audit.callee.tableArn(stack, params.TableName);
        const key = `${tableArn} ${action}`;
        const entry = tables.get(key) ?? { tableArn, action, keys: [], keyAtRunTime: false };
        const leading = audit.callee.leadingKey(tableArn, params);
        if (leading === undefined) entry.keyAtRunTime = true;
        else entry.keys.push(leading);
        tables.set(key, entry);
      } else if (integration === 'aws-sdk:cloudwatch:putMetricData') {
        note(metrics, typeof params.Namespace === 'string' ? params.Namespace : '', stateName);
      } else {
        audit.unhandled.push(`${where(machine)}: state "${stateName}" uses ${resource}, which the audit does not know`);
      }
    }
    // Every Lambda function ARN anywhere in the definition must be invocable too.
    for (const m of text.matchAll(/arn:aws[a-z-]*:lambda:[^:"\s]+:[^:"\s]+:function:[^"\s,}]+/g))
      if (!functions.has(m[0])) note(functions, m[0], '(named in the definition)');

    for (const [fnArn, stateNames] of functions) {
      const { side, accepted } = role([{ action: 'lambda:InvokeFunction', resource: fnArn, context: {} }]);
      const fn = model.findByAtt('AWS::Lambda::Function', 'Arn', splitFunctionArn(fnArn).base);
      const sameAccount = fnArn.split(':')[4] === stack.account;
      audit.add({
        kind: 'state-machine→lambda',
        from: where(machine),
        to: fn ? where(fn) : fnArn,
        actions: ['lambda:InvokeFunction'],
        caller: side,
        callee: !fn
          ? broken(`${fnArn} (states ${stateNames.join(', ')}) is not a function of the app`)
          : sameAccount
            ? ok('same account: the role decides')
            : audit.callee.permissionAllows(fnArn, { arn: roleArn, account: stack.account }, undefined, undefined).side,
        accepted,
      });
    }
    for (const { tableArn, action, keys, keyAtRunTime } of tables.values()) {
      const context: RequestContext = keyAtRunTime ? {} : { 'dynamodb:LeadingKeys': keys };
      const table = model.findByAtt('AWS::DynamoDB::Table', 'Arn', tableArn);
      const requests: Omit<PolicyRequest, 'principal'>[] = [{ action, resource: tableArn, context }];
      const cmk = table ? audit.callee.tableKey(table) : undefined;
      if (cmk) requests.push({ action: 'kms:Decrypt', resource: audit.callee.keyArn(cmk), context: {} });
      const { side, accepted } = role(requests);
      const callee = audit.callee.tableSide(table, tableArn, action, { arn: roleArn, account: stack.account }, cmk);
      audit.add({
        kind: 'state-machine→dynamodb',
        from: where(machine),
        to: table ? where(table) : tableArn,
        actions: [action, ...(cmk ? ['kms:Decrypt'] : [])],
        caller: side,
        callee: callee.side,
        accepted: [...accepted, ...callee.accepted],
      });
    }
    for (const [namespace] of metrics) {
      const context: RequestContext = namespace ? { 'cloudwatch:namespace': namespace } : {};
      const { side, accepted } = role([{ action: 'cloudwatch:PutMetricData', resource: '*', context }]);
      audit.add({
        kind: 'state-machine→cloudwatch',
        from: where(machine),
        to: `cloudwatch namespace ${namespace || '(set at run time)'}`,
        actions: ['cloudwatch:PutMetricData'],
        caller: side,
        callee: ok('CloudWatch metrics have no resource policy'),
        accepted,
      });
    }
  }
}

/** Every state of an ASL document, with its name, nested ones (Map, Parallel) included. */
function states(definition: unknown): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  const walk = (machine: unknown) => {
    if (!isObject(machine) || !isObject(machine.States)) return;
    for (const [name, state] of Object.entries(machine.States)) {
      if (!isObject(state)) continue;
      out.push([name, state]);
      walk(state.ItemProcessor);
      walk(state.Iterator);
      for (const branch of list(state.Branches)) walk(branch);
    }
  };
  walk(definition);
  return out;
}
