/**
 * A read-only model of a synthesized CDK app for tests that reason across its templates: every stack's template with
 * its account and region, and a resolver that turns CloudFormation values (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`,
 * `Fn::Select`/`Fn::Split`, `Fn::ImportValue` of another stack's `Export`, CDK's cross-region references through SSM,
 * `{{resolve:ssm:…}}`) into strings. What CloudFormation only knows at deploy time (a generated name, an ID) becomes a
 * token `«Stack|LogicalId.Attr»`, the same token wherever the same value is referenced, so ARNs built in different
 * stacks compare equal when they name the same resource.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

/** A resource of a template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** The parts of a template the model reads. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>;
  readonly Parameters?: Record<string, { readonly Type: string; readonly Default?: unknown }>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Conditions?: Record<string, unknown>;
}

/** One stack of the app: its template, where it deploys. */
export interface ModelStack {
  readonly stackName: string;
  /** The account, or `«AWS::AccountId»` for an environment-agnostic stack. */
  readonly account: string;
  /** The region, or `«AWS::Region»` for an environment-agnostic stack. */
  readonly region: string;
  readonly template: CfnTemplate;
}

/** A resource and the stack it is in. */
export interface ResourceRef {
  readonly stack: ModelStack;
  readonly id: string;
  readonly res: CfnResource;
}

/** `Stack/LogicalId`, how a resource is named in reports. */
export const where = (r: ResourceRef): string => `${r.stack.stackName}/${r.id}`;

/** A value CloudFormation only knows at deploy time. */
export const token = (s: string): string => `«${s}»`;

/** The stacks of a synthesized assembly. */
export function modelStacks(assembly: CloudAssembly): ModelStack[] {
  return assembly.stacks.map((s) => ({
    stackName: s.stackName,
    account: s.environment.account === 'unknown-account' ? token('AWS::AccountId') : s.environment.account,
    region: s.environment.region === 'unknown-region' ? token('AWS::Region') : s.environment.region,
    template: s.template as CfnTemplate,
  }));
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The one intrinsic function of a value (`{"Fn::Join": …}`), if it is one. */
function intrinsic(v: unknown): [string, unknown] | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  const k = keys[0]!;
  return k === 'Ref' || k === 'Condition' || k.startsWith('Fn::') ? [k, v[k]] : undefined;
}

const IN_PROGRESS = Symbol('in progress');

/** The whole app: its stacks, and a resolver of their values. */
export class CfnModel {
  private readonly memo = new Map<string, unknown>();
  private readonly exportIndex = new Map<string, { stack: ModelStack; value: unknown }>();
  private readonly writerIndex = new Map<string, { stack: ModelStack; value: unknown }>();
  private readonly parameterIndex = new Map<string, { stack: ModelStack; value: unknown }>();

  constructor(public readonly stacks: readonly ModelStack[]) {
    for (const stack of stacks) {
      for (const out of Object.values(stack.template.Outputs ?? {})) {
        if (out.Export)
          this.exportIndex.set(this.exportKey(stack, this.str(stack, out.Export.Name)), { stack, value: out.Value });
      }
      for (const { res } of this.resourcesOf(stack)) {
        const p = res.Properties ?? {};
        if (res.Type === 'Custom::CrossRegionExportWriter') {
          const props = (p.WriterProps ?? {}) as { region?: unknown; exports?: Record<string, unknown> };
          const region = this.str(stack, props.region);
          for (const [name, value] of Object.entries(props.exports ?? {}))
            this.writerIndex.set(`${stack.account}|${region}|${name}`, { stack, value });
        }
        if (res.Type === 'AWS::SSM::Parameter' && p.Name !== undefined)
          this.parameterIndex.set(`${stack.account}|${stack.region}|${this.str(stack, p.Name)}`, {
            stack,
            value: p.Value,
          });
      }
    }
  }

  static of(assembly: CloudAssembly): CfnModel {
    return new CfnModel(modelStacks(assembly));
  }

  private exportKey(stack: ModelStack, name: string): string {
    return `${stack.account}|${stack.region}|${name}`;
  }

  /** Every resource of a stack. */
  resourcesOf(stack: ModelStack): ResourceRef[] {
    return Object.entries(stack.template.Resources ?? {}).map(([id, res]) => ({ stack, id, res }));
  }

  /** Every resource of the app whose type matches. */
  resources(type: string | ((type: string) => boolean)): ResourceRef[] {
    const test = typeof type === 'string' ? (t: string) => t === type : type;
    return this.stacks.flatMap((s) => this.resourcesOf(s).filter((r) => test(r.res.Type)));
  }

  /** The resource a logical ID names in a stack. */
  resource(stack: ModelStack, id: string): ResourceRef | undefined {
    const res = stack.template.Resources?.[id];
    return res ? { stack, id, res } : undefined;
  }

  /** The export `name` in `stack`'s account and region, if a stack of the app declares it. */
  findExport(stack: ModelStack, name: string): { stack: ModelStack; value: unknown } | undefined {
    return this.exportIndex.get(this.exportKey(stack, name));
  }

  /** The value a cross-region export writer stores under an SSM parameter `name` in `region` of `account`. */
  findCrossRegionExport(
    account: string,
    region: string,
    name: string,
  ): { stack: ModelStack; value: unknown } | undefined {
    return this.writerIndex.get(`${account}|${region}|${name}`);
  }

  /** The resource of a type (in any stack) whose `Ref` resolves to `value`. */
  findByRef(type: string, value: string): ResourceRef | undefined {
    return this.resources(type).find((r) => this.refOf(r) === value);
  }

  /** The resource of a type (in any stack) whose attribute resolves to `value`. */
  findByAtt(type: string, attr: string, value: string): ResourceRef | undefined {
    return this.resources(type).find((r) => this.attOf(r, attr) === value);
  }

  refOf(r: ResourceRef): string {
    return this.ref(r.stack, r.id);
  }

  attOf(r: ResourceRef, attr: string): string {
    return this.att(r.stack, r.id, attr);
  }

  /** A value as a string (structures as JSON, with every intrinsic resolved). */
  str(stack: ModelStack, v: unknown): string {
    const r = this.val(stack, v);
    if (typeof r === 'string') return r;
    if (r === undefined || r === NO_VALUE) return '';
    return JSON.stringify(r);
  }

  /** A value with every intrinsic function resolved (to strings, or lists for `Fn::Split`/`Fn::GetAZs`). */
  val(stack: ModelStack, v: unknown): unknown {
    if (typeof v === 'string') return this.dynamicReferences(stack, v);
    if (Array.isArray(v)) return v.map((x) => this.val(stack, x)).filter((x) => x !== NO_VALUE);
    const fn = intrinsic(v);
    if (fn) return this.intrinsic(stack, fn[0], fn[1]);
    if (isObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const r = this.val(stack, x);
        if (r !== NO_VALUE) out[k] = r;
      }
      return out;
    }
    return v;
  }

  private intrinsic(stack: ModelStack, name: string, arg: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(stack, String(arg));
      case 'Fn::GetAtt': {
        const [id, ...attr] = Array.isArray(arg) ? (arg as unknown[]).map(String) : String(arg).split('.');
        return this.att(stack, id!, attr.join('.'));
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown];
        const list = this.val(stack, parts);
        return Array.isArray(list) ? list.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(sep) : '';
      }
      case 'Fn::Sub':
        return this.sub(stack, arg);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const l = this.val(stack, list);
        const i = Number(this.val(stack, index));
        return Array.isArray(l) ? l[i] : token(`select:${i}`);
      }
      case 'Fn::Split': {
        const [sep, s] = arg as [string, unknown];
        return this.str(stack, s).split(sep);
      }
      case 'Fn::ImportValue': {
        const exportName = this.str(stack, arg);
        const found = this.findExport(stack, exportName);
        return found ? this.str(found.stack, found.value) : token(`import:${exportName}`);
      }
      case 'Fn::GetAZs': {
        const region = this.str(stack, arg) || stack.region;
        return ['a', 'b', 'c'].map((z) => `${region}${z}`);
      }
      case 'Fn::Base64':
        return this.str(stack, arg);
      case 'Fn::FindInMap': {
        const [map, k1, k2] = (arg as unknown[]).map((x) => this.str(stack, x));
        return this.val(stack, stack.template.Mappings?.[map!]?.[k1!]?.[k2!]);
      }
      case 'Fn::If': {
        const [cond, yes, no] = arg as [string, unknown, unknown];
        return this.condition(stack, cond) === false ? this.val(stack, no) : this.val(stack, yes);
      }
      case 'Fn::ToJsonString':
        return JSON.stringify(this.val(stack, arg));
      case 'Fn::Length': {
        const l = this.val(stack, arg);
        return Array.isArray(l) ? String(l.length) : token('length');
      }
      default:
        return token(`${name}:${JSON.stringify(arg)}`);
    }
  }

  /** A template condition's value, or undefined when it depends on something unknown. */
  private condition(stack: ModelStack, name: string): boolean | undefined {
    const evaluate = (c: unknown): boolean | undefined => {
      const fn = intrinsic(c);
      if (!fn) return undefined;
      const [op, args] = fn;
      const list = Array.isArray(args) ? args : [args];
      switch (op) {
        case 'Condition':
          return this.condition(stack, String(args));
        case 'Fn::Equals': {
          const [a, b] = list.map((x) => this.str(stack, x));
          return a!.includes('«') || b!.includes('«') ? undefined : a === b;
        }
        case 'Fn::Not': {
          const r = evaluate(list[0]);
          return r === undefined ? undefined : !r;
        }
        case 'Fn::And': {
          const rs = list.map(evaluate);
          return rs.includes(false) ? false : rs.includes(undefined) ? undefined : true;
        }
        case 'Fn::Or': {
          const rs = list.map(evaluate);
          return rs.includes(true) ? true : rs.includes(undefined) ? undefined : false;
        }
        default:
          return undefined;
      }
    };
    return evaluate(stack.template.Conditions?.[name]);
  }

  private sub(stack: ModelStack, arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{(!?)([^}]*)\}/g, (_, bang: string, name: string) => {
      if (bang) return '${' + name + '}';
      if (name in vars) return this.str(stack, vars[name]);
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [id, ...attr] = name.split('.');
        return this.att(stack, id!, attr.join('.'));
      }
      return this.ref(stack, name);
    });
  }

  /** `{{resolve:ssm:name}}` of a parameter an `AWS::SSM::Parameter` of the app writes in the same region. */
  private dynamicReferences(stack: ModelStack, s: string): string {
    if (!s.includes('{{resolve:ssm:')) return s;
    return s.replace(/\{\{resolve:ssm:([^}:]+)(?::\d+)?\}\}/g, (_, name: string) => this.ssmParameter(stack, name));
  }

  private ssmParameter(stack: ModelStack, name: string): string {
    const found = this.parameterIndex.get(`${stack.account}|${stack.region}|${name}`);
    return found ? this.str(found.stack, found.value) : token(`ssm:${name}`);
  }

  ref(stack: ModelStack, name: string): string {
    switch (name) {
      case 'AWS::Partition':
        return partitionOf(stack.region);
      case 'AWS::Region':
        return stack.region;
      case 'AWS::AccountId':
        return stack.account;
      case 'AWS::URLSuffix':
        return partitionOf(stack.region) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
      case 'AWS::StackName':
        return stack.stackName;
      case 'AWS::StackId':
        return token(`${stack.stackName}|AWS::StackId`);
      case 'AWS::NoValue':
        return NO_VALUE as unknown as string;
    }
    const parameter = stack.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Type.startsWith('AWS::SSM::Parameter::Value'))
        return this.ssmParameter(stack, this.str(stack, parameter.Default));
      return parameter.Default !== undefined ? this.str(stack, parameter.Default) : token(`${stack.stackName}|${name}`);
    }
    return this.memoized(`${stack.stackName}|${name}|Ref`, () => this.physical(stack, name, 'Ref'));
  }

  att(stack: ModelStack, id: string, attr: string): string {
    return this.memoized(`${stack.stackName}|${id}|${attr}`, () => this.physical(stack, id, attr));
  }

  private memoized(key: string, compute: () => string): string {
    const m = this.memo.get(key);
    if (m === IN_PROGRESS) return token(`cycle:${key}`);
    if (typeof m === 'string') return m;
    this.memo.set(key, IN_PROGRESS);
    const v = compute();
    this.memo.set(key, v);
    return v;
  }

  /** The value of `Ref` (attr `Ref`) or an attribute of a resource, shaped like what CloudFormation returns. */
  private physical(stack: ModelStack, id: string, attr: string): string {
    const res = stack.template.Resources?.[id];
    const generic = token(attr === 'Ref' ? `${stack.stackName}|${id}` : `${stack.stackName}|${id}.${attr}`);
    if (!res) return generic;
    const p = res.Properties ?? {};
    const partition = partitionOf(stack.region);
    const arn = (service: string, resource: string, regional = true) =>
      `arn:${partition}:${service}:${regional ? stack.region : ''}:${stack.account}:${resource}`;
    const named = (prop: string) =>
      p[prop] === undefined ? token(`${stack.stackName}|${id}`) : this.str(stack, p[prop]);
    const is = (...attrs: string[]) => attrs.includes(attr);
    switch (res.Type) {
      case 'AWS::Lambda::Function': {
        const name = named('FunctionName');
        if (is('Ref')) return name;
        if (is('Arn')) return arn('lambda', `function:${name}`);
        break;
      }
      case 'AWS::Lambda::Alias':
        if (is('Ref', 'AliasArn'))
          return `${this.functionArn(stack, this.str(stack, p.FunctionName))}:${named('Name')}`;
        break;
      case 'AWS::Lambda::Version':
        if (is('Ref', 'FunctionArn'))
          return `${this.functionArn(stack, this.str(stack, p.FunctionName))}:${token(`${stack.stackName}|${id}.Version`)}`;
        break;
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const name = named('TableName');
        if (is('Ref')) return name;
        if (is('Arn')) return arn('dynamodb', `table/${name}`);
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = named('StateMachineName');
        if (is('Ref', 'Arn')) return arn('states', `stateMachine:${name}`);
        if (is('Name')) return name;
        break;
      }
      case 'AWS::SNS::Topic': {
        const name = named('TopicName');
        if (is('Ref', 'TopicArn')) return arn('sns', name);
        if (is('TopicName')) return name;
        break;
      }
      case 'AWS::KMS::Key':
        if (is('Ref', 'KeyId')) return generic.replace('.KeyId', '');
        if (is('Arn')) return arn('kms', `key/${this.att(stack, id, 'KeyId')}`);
        break;
      case 'AWS::KMS::Alias':
        if (is('Ref')) return named('AliasName');
        break;
      case 'AWS::IAM::Role': {
        const name = named('RoleName');
        const path = p.Path === undefined ? '/' : this.str(stack, p.Path);
        if (is('Ref')) return name;
        if (is('Arn')) return `arn:${partition}:iam::${stack.account}:role${path}${name}`;
        break;
      }
      case 'AWS::IAM::ManagedPolicy':
        if (is('Ref', 'PolicyArn')) {
          const path = p.Path === undefined ? '/' : this.str(stack, p.Path);
          return `arn:${partition}:iam::${stack.account}:policy${path}${named('ManagedPolicyName')}`;
        }
        break;
      case 'AWS::Logs::LogGroup': {
        const name = named('LogGroupName');
        if (is('Ref')) return name;
        if (is('Arn')) return arn('logs', `log-group:${name}:*`);
        break;
      }
      case 'AWS::Lex::Bot':
        if (is('Ref', 'Id')) return token(`${stack.stackName}|${id}.Id`);
        if (is('Arn')) return arn('lex', `bot/${this.att(stack, id, 'Id')}`);
        break;
      case 'AWS::Lex::BotAlias': {
        const aliasId = token(`${stack.stackName}|${id}.BotAliasId`);
        if (is('BotAliasId')) return aliasId;
        if (is('Arn')) return arn('lex', `bot-alias/${this.str(stack, p.BotId)}/${aliasId}`);
        if (is('Ref')) return `${aliasId}|${this.str(stack, p.BotId)}`;
        break;
      }
      case 'AWS::SecretsManager::Secret':
        if (is('Ref', 'Id'))
          return arn('secretsmanager', `secret:${named('Name')}-${token(`${stack.stackName}|${id}.Suffix`)}`);
        break;
      case 'AWS::SSM::Parameter':
        if (is('Ref')) return named('Name');
        if (is('Value')) return this.str(stack, p.Value);
        break;
      case 'AWS::Scheduler::Schedule':
        if (is('Arn'))
          return arn(
            'scheduler',
            `schedule/${p.GroupName === undefined ? 'default' : this.str(stack, p.GroupName)}/${named('Name')}`,
          );
        break;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm': {
        // CloudFormation names an unnamed alarm `<stack>-<logical ID>-<suffix>`.
        const name =
          p.AlarmName === undefined ? `${stack.stackName}-${id}-${token('suffix')}` : this.str(stack, p.AlarmName);
        if (is('Ref')) return name;
        if (is('Arn')) return arn('cloudwatch', `alarm:${name}`);
        break;
      }
      case 'Custom::CrossRegionExportReader': {
        // `Fn::GetAtt` [reader, <SSM parameter name>]: the value a writer in another region stored in this region.
        const found = this.findCrossRegionExport(stack.account, stack.region, attr);
        return found ? this.str(found.stack, found.value) : token(`cross-region:${attr}`);
      }
    }
    return generic;
  }

  /**
   * A Lambda function reference (name, partial or full ARN, possibly qualified) as a full ARN, in the region and
   * account of `stack` unless it says otherwise.
   */
  functionArn(stack: ModelStack, ref: string): string {
    if (ref.startsWith('arn:')) return ref;
    const partition = partitionOf(stack.region);
    const m = /^(\d{12}|«[^»]*»):function:(.+)$/.exec(ref);
    if (m) return `arn:${partition}:lambda:${stack.region}:${m[1]}:function:${m[2]}`;
    const f = /^function:(.+)$/.exec(ref);
    return `arn:${partition}:lambda:${stack.region}:${stack.account}:function:${f ? f[1] : ref}`;
  }
}

/** `Ref: AWS::NoValue`: the property is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Every `Fn::ImportValue` in a stack's template (export names resolved), and every `Fn::GetAtt` on a cross-region
 * export reader (the SSM parameter names), with where it occurs.
 */
export function crossStackReferences(
  model: CfnModel,
  stack: ModelStack,
): { imports: { name: string; at: string }[]; crossRegion: { reader: string; name: string; at: string }[] } {
  const imports: { name: string; at: string }[] = [];
  const crossRegion: { reader: string; name: string; at: string }[] = [];
  const walk = (v: unknown, at: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}/${i}`));
    if (!isObject(v)) return;
    const fn = intrinsic(v);
    if (fn?.[0] === 'Fn::ImportValue') imports.push({ name: model.str(stack, fn[1]), at });
    if (fn?.[0] === 'Fn::GetAtt') {
      const [id, ...attr] = Array.isArray(fn[1]) ? (fn[1] as unknown[]).map(String) : String(fn[1]).split('.');
      if (stack.template.Resources?.[id!]?.Type === 'Custom::CrossRegionExportReader')
        crossRegion.push({ reader: id!, name: attr.join('.'), at });
    }
    for (const [k, x] of Object.entries(v)) walk(x, `${at}/${k}`);
  };
  walk(stack.template.Resources ?? {}, 'Resources');
  walk(stack.template.Outputs ?? {}, 'Outputs');
  return { imports, crossRegion };
}
