/**
 * The wiring audit: every service-to-service edge of a synthesized app, found by walking its templates (never from a
 * list kept by hand), and for each edge whether both sides allow it — the caller's role (its trust policy and the
 * IAM policies attached to it, in any stack of the app) and the callee's resource or key policy.
 *
 * Edges: an EventBridge Scheduler schedule → its state machine; a state machine → every Lambda function in its
 * definition, every DynamoDB table of a direct integration, CloudWatch `PutMetricData`; an alarm → its SNS topic →
 * the topic's KMS key; a Lex V2 alias → its code-hook Lambda; an Amazon Connect instance → the Lambda functions it
 * invokes; an ECS task → the secrets of its containers; an AwsCustomResource → the DynamoDB table of its SDK calls;
 * and the references between stacks (`Fn::ImportValue`, CDK's cross-region references through SSM).
 *
 * Where the templates cannot say (a condition on a key the audit does not model, a resource outside the app) the edge
 * is accepted and the reason listed in `accepted`; anything the audit does not understand is listed in `unhandled`.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { ModelStack, ResourceRef } from './cfn-model';
import { CfnModel, crossStackReferences, partitionOf, where } from './cfn-model';
import type { PolicyRequest, PolicyStatement, RequestContext, RequestPrincipal, SourcedStatement } from './iam-eval';
import { decide, wildcardMatch } from './iam-eval';

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

/** Audits every edge of a synthesized app. */
export function auditAssembly(assembly: CloudAssembly): WiringReport {
  return auditWiring(CfnModel.of(assembly));
}

export function auditWiring(model: CfnModel): WiringReport {
  return new WiringAudit(model).run();
}

const ok = (detail: string): Side => ({ ok: true, detail });
const broken = (detail: string): Side => ({ ok: false, detail });
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Identity {
  readonly statements: SourcedStatement[];
  /** Managed policies the templates do not hold (AWS managed): their statements are unknown. */
  readonly external: string[];
}

/** A parsed Lambda ARN: the unqualified function ARN and the qualifier, if any. */
function splitFunctionArn(arn: string): { base: string; qualifier?: string } {
  const parts = arn.split(':');
  return parts.length > 7 ? { base: parts.slice(0, 7).join(':'), qualifier: parts.slice(7).join(':') } : { base: arn };
}

class WiringAudit {
  private readonly edges: Edge[] = [];
  private readonly unhandled: string[] = [];
  private readonly identities = new Map<string, Identity>();

  constructor(private readonly model: CfnModel) {}

  run(): WiringReport {
    this.schedules();
    this.stateMachines();
    this.alarms();
    this.lexAliases();
    this.connect();
    this.ecsTasks();
    this.customResources();
    this.references();
    const counts = Object.fromEntries(EDGE_KINDS.map((k) => [k, 0])) as Record<EdgeKind, number>;
    for (const e of this.edges) counts[e.kind] += 1;
    return {
      edges: this.edges,
      broken: this.edges.filter((e) => !edgeOk(e)),
      counts,
      unhandled: [...new Set(this.unhandled)],
      accepted: [...new Set(this.edges.flatMap((e) => e.accepted))],
    };
  }

  private add(edge: Edge): void {
    const key = (e: Edge) => `${e.kind}|${e.from}|${e.to}|${e.actions.join(',')}`;
    if (!this.edges.some((e) => key(e) === key(edge))) this.edges.push(edge);
  }

  // ---------------------------------------------------------------- policies

  private statements(stack: ModelStack, document: unknown, source: string): SourcedStatement[] {
    const doc = this.model.val(stack, document);
    if (!isObject(doc)) return [];
    return list(doc.Statement).map((s) => ({ statement: s as PolicyStatement, source }));
  }

  /** Every statement attached to a role, from any stack of the app. */
  private identity(role: ResourceRef): Identity {
    const key = where(role);
    const cached = this.identities.get(key);
    if (cached) return cached;
    const names = new Set([this.model.refOf(role), this.model.attOf(role, 'Arn')]);
    const p = role.res.Properties ?? {};
    const statements: SourcedStatement[] = [];
    for (const inline of list(p.Policies) as { PolicyDocument?: unknown; PolicyName?: unknown }[])
      statements.push(...this.statements(role.stack, inline.PolicyDocument, `${key}/${String(inline.PolicyName)}`));
    const managed = new Map<string, ResourceRef>();
    for (const policy of this.model.resources((t) => t === 'AWS::IAM::Policy' || t === 'AWS::IAM::ManagedPolicy')) {
      const pp = policy.res.Properties ?? {};
      if (policy.res.Type === 'AWS::IAM::ManagedPolicy') managed.set(this.model.refOf(policy), policy);
      const roles = list(pp.Roles).map((r) => this.model.str(policy.stack, r));
      if (roles.some((r) => names.has(r)))
        statements.push(...this.statements(policy.stack, pp.PolicyDocument, where(policy)));
    }
    for (const policy of this.model.resources('AWS::IAM::RolePolicy')) {
      const pp = policy.res.Properties ?? {};
      if (names.has(this.model.str(policy.stack, pp.RoleName)))
        statements.push(...this.statements(policy.stack, pp.PolicyDocument, where(policy)));
    }
    const external: string[] = [];
    for (const arnValue of list(p.ManagedPolicyArns)) {
      const arn = this.model.str(role.stack, arnValue);
      const inApp = managed.get(arn);
      if (inApp) {
        const listed = list(inApp.res.Properties?.Roles).map((r) => this.model.str(inApp.stack, r));
        if (!listed.some((r) => names.has(r)))
          statements.push(...this.statements(inApp.stack, inApp.res.Properties?.PolicyDocument, where(inApp)));
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
  private roleAllows(
    roleArn: string,
    service: string,
    trustContext: RequestContext,
    requests: readonly Omit<PolicyRequest, 'principal'>[],
  ): { side: Side; accepted: string[] } {
    const role = this.roleByArn(roleArn);
    if (!role) return { side: broken(`role ${roleArn} is not a role of the app`), accepted: [] };
    const name = where(role);
    const accepted: string[] = [];
    const trust = decide(this.statements(role.stack, role.res.Properties?.AssumeRolePolicyDocument, `${name}/trust`), {
      action: 'sts:AssumeRole',
      resource: roleArn,
      principal: { service },
      context: trustContext,
    });
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

  /** A KMS key's policy allows `principal` each action (a role also needs its own policies: see `roleAllows`). */
  private keyAllows(
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
    const statements = this.statements(key.stack, key.res.Properties?.KeyPolicy, `${where(key)}/KeyPolicy`);
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
  private permissionAllows(
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
  private noExplicitDeny(
    stack: ModelStack,
    document: unknown,
    source: string,
    request: PolicyRequest,
  ): { side: Side; accepted: string[] } {
    const d = decide(this.statements(stack, document, source), request);
    return d.denied
      ? { side: broken(`${source} denies ${request.action} (${d.by.join(', ')})`), accepted: [...d.accepted] }
      : { side: ok(`${source} does not deny it`), accepted: [...d.accepted] };
  }

  // ---------------------------------------------------------------- Scheduler → state machine

  private schedules(): void {
    for (const schedule of this.model.resources('AWS::Scheduler::Schedule')) {
      const { stack } = schedule;
      const target = (schedule.res.Properties?.Target ?? {}) as Record<string, unknown>;
      const arn = this.model.str(stack, target.Arn);
      if (!/^arn:[^:]+:states:/.test(arn)) {
        this.unhandled.push(`${where(schedule)}: schedule target ${arn} (only state machines are audited)`);
        continue;
      }
      const machine = this.model.findByRef('AWS::StepFunctions::StateMachine', arn);
      const scheduleArn = this.model.attOf(schedule, 'Arn');
      const { side, accepted } = this.roleAllows(
        this.model.str(stack, target.RoleArn),
        'scheduler.amazonaws.com',
        { 'aws:SourceAccount': stack.account, 'aws:SourceArn': scheduleArn },
        [{ action: 'states:StartExecution', resource: arn, context: {} }],
      );
      this.add({
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

  // ---------------------------------------------------------------- state machine → Lambda / DynamoDB / CloudWatch

  private stateMachines(): void {
    for (const machine of this.model.resources('AWS::StepFunctions::StateMachine')) {
      const { stack } = machine;
      const p = machine.res.Properties ?? {};
      let text: string;
      if (p.DefinitionString !== undefined) text = this.model.str(stack, p.DefinitionString);
      else if (p.Definition !== undefined) text = JSON.stringify(this.model.val(stack, p.Definition));
      else {
        this.unhandled.push(`${where(machine)}: definition outside the template (DefinitionS3Location)`);
        continue;
      }
      for (const [name, value] of Object.entries((p.DefinitionSubstitutions ?? {}) as Record<string, unknown>))
        text = text.split('${' + name + '}').join(this.model.str(stack, value));
      let definition: unknown;
      try {
        definition = JSON.parse(text);
      } catch (e) {
        this.unhandled.push(`${where(machine)}: definition is not JSON after substitution (${(e as Error).message})`);
        continue;
      }
      const machineArn = this.model.refOf(machine);
      const roleArn = this.model.str(stack, p.RoleArn);
      const trustContext = { 'aws:SourceAccount': stack.account, 'aws:SourceArn': machineArn };
      const role = (requests: Omit<PolicyRequest, 'principal'>[]) =>
        this.roleAllows(roleArn, 'states.amazonaws.com', trustContext, requests);

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
            note(functions, this.model.functionArn(stack, params.FunctionName), stateName);
          else this.unhandled.push(`${where(machine)}: state "${stateName}" invokes a function named at run time`);
        } else if (integration && /^dynamodb:(getItem|putItem|updateItem|deleteItem)$/.test(integration)) {
          const action = `dynamodb:${integration.charAt(9).toUpperCase()}${integration.slice(10)}`;
          if (typeof params.TableName !== 'string') {
            this.unhandled.push(`${where(machine)}: state "${stateName}" names its table at run time`);
            continue;
          }
          const tableArn = this.tableArn(stack, params.TableName);
          const key = `${tableArn} ${action}`;
          const entry = tables.get(key) ?? { tableArn, action, keys: [], keyAtRunTime: false };
          const leading = this.leadingKey(tableArn, params);
          if (leading === undefined) entry.keyAtRunTime = true;
          else entry.keys.push(leading);
          tables.set(key, entry);
        } else if (integration === 'aws-sdk:cloudwatch:putMetricData') {
          note(metrics, typeof params.Namespace === 'string' ? params.Namespace : '', stateName);
        } else {
          this.unhandled.push(
            `${where(machine)}: state "${stateName}" uses ${resource}, which the audit does not know`,
          );
        }
      }
      // Every Lambda function ARN anywhere in the definition must be invocable too.
      for (const m of text.matchAll(/arn:aws[a-z-]*:lambda:[^:"\s]+:[^:"\s]+:function:[^"\s,}]+/g))
        if (!functions.has(m[0])) note(functions, m[0], '(named in the definition)');

      for (const [fnArn, stateNames] of functions) {
        const { side, accepted } = role([{ action: 'lambda:InvokeFunction', resource: fnArn, context: {} }]);
        const fn = this.model.findByAtt('AWS::Lambda::Function', 'Arn', splitFunctionArn(fnArn).base);
        const sameAccount = fnArn.split(':')[4] === stack.account;
        this.add({
          kind: 'state-machine→lambda',
          from: where(machine),
          to: fn ? where(fn) : fnArn,
          actions: ['lambda:InvokeFunction'],
          caller: side,
          callee: !fn
            ? broken(`${fnArn} (states ${stateNames.join(', ')}) is not a function of the app`)
            : sameAccount
              ? ok('same account: the role decides')
              : this.permissionAllows(fnArn, { arn: roleArn, account: stack.account }, undefined, undefined).side,
          accepted,
        });
      }
      for (const { tableArn, action, keys, keyAtRunTime } of tables.values()) {
        const context: RequestContext = keyAtRunTime ? {} : { 'dynamodb:LeadingKeys': keys };
        const table = this.model.findByAtt('AWS::DynamoDB::Table', 'Arn', tableArn);
        const requests: Omit<PolicyRequest, 'principal'>[] = [{ action, resource: tableArn, context }];
        const cmk = table ? this.tableKey(table) : undefined;
        if (cmk) requests.push({ action: 'kms:Decrypt', resource: this.keyArn(cmk), context: {} });
        const { side, accepted } = role(requests);
        const callee = this.tableSide(table, tableArn, action, { arn: roleArn, account: stack.account }, cmk);
        this.add({
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
        this.add({
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

  private tableArn(stack: ModelStack, nameOrArn: string, region = stack.region): string {
    return nameOrArn.startsWith('arn:')
      ? nameOrArn
      : `arn:${partitionOf(region)}:dynamodb:${region}:${stack.account}:table/${nameOrArn}`;
  }

  /** The partition key value of an item or key in a DynamoDB request, when it is written in the request. */
  private leadingKey(tableArn: string, params: Record<string, unknown>): string | undefined {
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
  private tableKey(table: ResourceRef): string | undefined {
    const sse = (table.res.Properties?.SSESpecification ?? {}) as Record<string, unknown>;
    if (sse.KMSMasterKeyId === undefined) return undefined;
    const key = this.model.str(table.stack, sse.KMSMasterKeyId);
    return /alias\/aws\/dynamodb$/.test(key) ? undefined : key;
  }

  private keyArn(value: string): string {
    const key = this.findKey(value);
    return key ? this.model.attOf(key, 'Arn') : value;
  }

  /** A table's side: it is in the app, its resource policy does not deny, and its CMK's policy allows the role. */
  private tableSide(
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

  // ---------------------------------------------------------------- alarm → SNS → KMS

  private alarms(): void {
    const alarms = this.model.resources(
      (t) => t === 'AWS::CloudWatch::Alarm' || t === 'AWS::CloudWatch::CompositeAlarm',
    );
    for (const alarm of alarms) {
      const { stack } = alarm;
      const p = alarm.res.Properties ?? {};
      const targets = new Set(
        [p.AlarmActions, p.OKActions, p.InsufficientDataActions].flatMap((a) =>
          list(a).map((x) => this.model.str(stack, x)),
        ),
      );
      const alarmArn = this.model.attOf(alarm, 'Arn');
      const context: RequestContext = {
        'aws:SourceAccount': stack.account,
        'aws:SourceArn': alarmArn,
        'aws:SecureTransport': 'true',
      };
      const cloudwatch: RequestPrincipal = { service: 'cloudwatch.amazonaws.com' };
      for (const arn of targets) {
        if (!/^arn:[^:]+:sns:/.test(arn)) {
          this.unhandled.push(`${where(alarm)}: alarm action ${arn} (only SNS actions are audited)`);
          continue;
        }
        const topic = this.model.findByRef('AWS::SNS::Topic', arn);
        if (!topic) {
          this.add({
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
          ...this.model
            .resources('AWS::SNS::TopicPolicy')
            .filter((tp) => list(tp.res.Properties?.Topics).some((t) => this.model.str(tp.stack, t) === arn))
            .map((tp) => ({ ref: tp, document: tp.res.Properties?.PolicyDocument })),
          ...this.model
            .resources('AWS::SNS::TopicInlinePolicy')
            .filter((tp) => this.model.str(tp.stack, tp.res.Properties?.TopicArn) === arn)
            .map((tp) => ({ ref: tp, document: tp.res.Properties?.PolicyDocument })),
        ];
        let callee: Side;
        let accepted: string[] = [];
        if (policies.length === 0)
          callee = ok("no topic policy: SNS's default policy lets the account's alarms publish");
        else if (policies.length > 1)
          callee = broken(
            `${policies.length} topic policies (${policies.map((x) => where(x.ref)).join(', ')}): each replaces the others`,
          );
        else {
          const only = policies[0]!;
          const d = decide(this.statements(only.ref.stack, only.document, where(only.ref)), {
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
        this.add({
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
          const k = this.keyAllows(
            this.model.str(topic.stack, keyValue),
            cloudwatch,
            ['kms:Decrypt', 'kms:GenerateDataKey'],
            context,
          );
          this.add({
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

  private lexAliases(): void {
    const hooks: { from: ResourceRef; aliasArn: string; lambdaArn: unknown }[] = [];
    for (const alias of this.model.resources('AWS::Lex::BotAlias')) {
      for (const s of list(alias.res.Properties?.BotAliasLocaleSettings) as Record<string, unknown>[]) {
        const hook = (
          (s.BotAliasLocaleSetting as Record<string, unknown>)?.CodeHookSpecification as Record<string, unknown>
        )?.LambdaCodeHook as Record<string, unknown> | undefined;
        if (hook) hooks.push({ from: alias, aliasArn: this.model.attOf(alias, 'Arn'), lambdaArn: hook.LambdaArn });
      }
    }
    for (const bot of this.model.resources('AWS::Lex::Bot')) {
      const test = bot.res.Properties?.TestBotAliasSettings as Record<string, unknown> | undefined;
      for (const s of list(test?.BotAliasLocaleSettings) as Record<string, unknown>[]) {
        const hook = (
          (s.BotAliasLocaleSetting as Record<string, unknown>)?.CodeHookSpecification as Record<string, unknown>
        )?.LambdaCodeHook as Record<string, unknown> | undefined;
        const aliasArn = `arn:${partitionOf(bot.stack.region)}:lex:${bot.stack.region}:${bot.stack.account}:bot-alias/${this.model.attOf(bot, 'Id')}/TSTALIASID`;
        if (hook) hooks.push({ from: bot, aliasArn, lambdaArn: hook.LambdaArn });
      }
    }
    for (const { from, aliasArn, lambdaArn } of hooks) {
      const fnArn = this.model.functionArn(from.stack, this.model.str(from.stack, lambdaArn));
      const fn = this.model.findByAtt('AWS::Lambda::Function', 'Arn', splitFunctionArn(fnArn).base);
      const { side, accepted } = this.permissionAllows(
        fnArn,
        { service: 'lexv2.amazonaws.com' },
        aliasArn,
        from.stack.account,
      );
      this.add({
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

  private instanceArn(stack: ModelStack, value: string): string {
    return value.startsWith('arn:')
      ? value
      : `arn:${partitionOf(stack.region)}:connect:${stack.region}:${stack.account}:instance/${value}`;
  }

  private connect(): void {
    const pairs = new Map<string, { instance: string; fn: string; from: string; associated: string[] }>();
    const pair = (instance: string, fn: string, from: string) => {
      const k = `${instance}|${fn}`;
      const entry = pairs.get(k) ?? { instance, fn, from, associated: [] };
      pairs.set(k, entry);
      return entry;
    };
    for (const a of this.model.resources('AWS::Connect::IntegrationAssociation')) {
      const p = a.res.Properties ?? {};
      if (this.model.str(a.stack, p.IntegrationType) !== 'LAMBDA_FUNCTION') continue;
      const instance = this.instanceArn(a.stack, this.model.str(a.stack, p.InstanceId));
      const fn = this.model.functionArn(a.stack, this.model.str(a.stack, p.IntegrationArn));
      pair(instance, fn, where(a)).associated.push(where(a));
    }
    for (const flow of this.model.resources(
      (t) => t === 'AWS::Connect::ContactFlow' || t === 'AWS::Connect::ContactFlowModule',
    )) {
      const p = flow.res.Properties ?? {};
      const instance = this.instanceArn(flow.stack, this.model.str(flow.stack, p.InstanceArn));
      let content: { Actions?: { Identifier?: string; Type?: string; Parameters?: Record<string, unknown> }[] };
      try {
        content = JSON.parse(this.model.str(flow.stack, p.Content)) as typeof content;
      } catch {
        this.unhandled.push(`${where(flow)}: flow content is not JSON`);
        continue;
      }
      for (const action of content.Actions ?? []) {
        if (action.Type !== 'InvokeLambdaFunction') continue;
        const arn = action.Parameters?.LambdaFunctionARN;
        if (typeof arn !== 'string' || arn.startsWith('$')) {
          this.unhandled.push(`${where(flow)}: action ${action.Identifier} invokes a function named at run time`);
          continue;
        }
        pair(instance, this.model.functionArn(flow.stack, arn), where(flow));
      }
    }
    for (const { instance, fn, from, associated } of pairs.values()) {
      const f = this.model.findByAtt('AWS::Lambda::Function', 'Arn', splitFunctionArn(fn).base);
      const permission = this.permissionAllows(
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
      this.add({
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

  // ---------------------------------------------------------------- ECS task → secret / KMS

  private ecsTasks(): void {
    for (const task of this.model.resources('AWS::ECS::TaskDefinition')) {
      const { stack } = task;
      const p = task.res.Properties ?? {};
      const references: string[] = [];
      for (const c of list(p.ContainerDefinitions) as Record<string, unknown>[]) {
        for (const s of list(c.Secrets) as Record<string, unknown>[])
          references.push(this.model.str(stack, s.ValueFrom));
        const credentials = (c.RepositoryCredentials as Record<string, unknown> | undefined)?.CredentialsParameter;
        if (credentials !== undefined) references.push(this.model.str(stack, credentials));
      }
      if (references.length === 0) continue;
      const roleArn = p.ExecutionRoleArn === undefined ? undefined : this.model.str(stack, p.ExecutionRoleArn);
      for (const ref of new Set(references)) {
        const accepted: string[] = [];
        let action: string;
        let resource: string;
        let secret: ResourceRef | undefined;
        if (/^arn:[^:]+:secretsmanager:/.test(ref)) {
          action = 'secretsmanager:GetSecretValue';
          const base = ref.split(':').slice(0, 7).join(':');
          secret = this.model.findByRef('AWS::SecretsManager::Secret', base);
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
        const key = keyValue === undefined ? undefined : this.model.str(secret!.stack, keyValue);
        if (key) requests.push({ action: 'kms:Decrypt', resource: this.keyArn(key), context: {} });
        const caller = roleArn
          ? this.roleAllows(roleArn, 'ecs-tasks.amazonaws.com', { 'aws:SourceAccount': stack.account }, requests)
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
          for (const rp of this.model.resources('AWS::SecretsManager::ResourcePolicy')) {
            if (this.model.str(rp.stack, rp.res.Properties?.SecretId) !== resource) continue;
            const r = this.noExplicitDeny(rp.stack, rp.res.Properties?.ResourcePolicy, where(rp), {
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
            const k = this.keyAllows(key, { arn: roleArn, account: stack.account }, ['kms:Decrypt'], {});
            accepted.push(...k.accepted);
            if (!k.side.ok) failed = k.side;
            details.push(k.side.detail);
          }
          callee = failed ?? ok(details.join('; ') || 'no resource policy');
        }
        this.add({
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

  // ---------------------------------------------------------------- AwsCustomResource → DynamoDB

  private customResources(): void {
    const custom = this.model.resources((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource');
    for (const cr of custom) {
      const { stack } = cr;
      const p = cr.res.Properties ?? {};
      const calls: { phase: string; call: Record<string, unknown> }[] = [];
      for (const phase of ['Create', 'Update', 'Delete']) {
        if (p[phase] === undefined) continue;
        try {
          const call = JSON.parse(this.model.str(stack, p[phase])) as unknown;
          if (isObject(call) && typeof call.service === 'string' && typeof call.action === 'string')
            calls.push({ phase, call });
        } catch {
          // Not an AwsCustomResource SDK call.
        }
      }
      if (calls.length === 0) continue;
      const fn = this.model.findByAtt('AWS::Lambda::Function', 'Arn', this.model.str(stack, p.ServiceToken));
      const roleArn = fn ? this.model.str(fn.stack, fn.res.Properties?.Role) : '(provider not in the app)';
      for (const { phase, call } of calls) {
        const service = String(call.service)
          .replace(/^@aws-sdk\/client-/, '')
          .replace(/-/g, '')
          .toLowerCase();
        const action = String(call.action).replace(/Command$/, '');
        const iamAction = `${service}:${action.charAt(0).toUpperCase()}${action.slice(1)}`;
        const params = (call.parameters ?? {}) as Record<string, unknown>;
        if (service !== 'dynamodb' || !/^dynamodb:(GetItem|PutItem|UpdateItem|DeleteItem)$/.test(iamAction)) {
          this.unhandled.push(`${where(cr)} (${phase}): ${call.service}.${call.action}, which the audit does not know`);
          continue;
        }
        if (typeof params.TableName !== 'string') {
          this.unhandled.push(`${where(cr)} (${phase}): no table name in the call`);
          continue;
        }
        const region = typeof call.region === 'string' ? call.region : stack.region;
        const tableArn = this.tableArn(stack, params.TableName, region);
        const table = this.model.findByAtt('AWS::DynamoDB::Table', 'Arn', tableArn);
        const leading = this.leadingKey(tableArn, params);
        const requests: Omit<PolicyRequest, 'principal'>[] = [
          {
            action: iamAction,
            resource: tableArn,
            context: leading !== undefined ? { 'dynamodb:LeadingKeys': [leading] } : {},
          },
        ];
        const cmk = table ? this.tableKey(table) : undefined;
        if (cmk) requests.push({ action: 'kms:Decrypt', resource: this.keyArn(cmk), context: {} });
        const caller = fn
          ? this.roleAllows(roleArn, 'lambda.amazonaws.com', {}, requests)
          : {
              side: broken(`the provider ${this.model.str(stack, p.ServiceToken)} is not a function of the app`),
              accepted: [],
            };
        const callee = this.tableSide(table, tableArn, iamAction, { arn: roleArn, account: stack.account }, cmk);
        this.add({
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

  private references(): void {
    for (const stack of this.model.stacks) {
      const { imports, crossRegion } = crossStackReferences(this.model, stack);
      for (const name of new Set(imports.map((i) => i.name))) {
        const found = this.model.findExport(stack, name);
        this.add({
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
        const readerRef = this.model.resource(stack, reader)!;
        const props = (readerRef.res.Properties?.ReaderProps ?? {}) as { imports?: Record<string, unknown> };
        const parameterArn = `arn:${partitionOf(stack.region)}:ssm:${stack.region}:${stack.account}:parameter${name}`;
        const provider = (r: ResourceRef) =>
          this.model.findByAtt('AWS::Lambda::Function', 'Arn', this.model.str(r.stack, r.res.Properties?.ServiceToken));
        const readerFn = provider(readerRef);
        const caller = !(name in (props.imports ?? {}))
          ? {
              side: broken(`${where(readerRef)} reads ${name} but does not import it (ReaderProps.imports)`),
              accepted: [],
            }
          : readerFn
            ? this.roleAllows(
                this.model.str(readerFn.stack, readerFn.res.Properties?.Role),
                'lambda.amazonaws.com',
                {},
                [
                  { action: 'ssm:AddTagsToResource', resource: parameterArn, context: {} },
                  { action: 'ssm:RemoveTagsFromResource', resource: parameterArn, context: {} },
                ],
              )
            : { side: broken(`the provider of ${where(readerRef)} is not a function of the app`), accepted: [] };
        const writer = this.model.findCrossRegionExport(stack.account, stack.region, name);
        let callee: { side: Side; accepted: string[] };
        if (!writer)
          callee = { side: broken(`no cross-region export writer writes ${name} to ${stack.region}`), accepted: [] };
        else {
          const writerRef = this.model
            .resources('Custom::CrossRegionExportWriter')
            .find(
              (w) =>
                w.stack === writer.stack &&
                name in (((w.res.Properties?.WriterProps ?? {}) as { exports?: object }).exports ?? {}),
            )!;
          const writerFn = provider(writerRef);
          callee = writerFn
            ? this.roleAllows(
                this.model.str(writerFn.stack, writerFn.res.Properties?.Role),
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
        this.add({
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
}

function principalName(p: RequestPrincipal): string {
  return p.service ?? p.arn ?? p.account ?? 'the caller';
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
