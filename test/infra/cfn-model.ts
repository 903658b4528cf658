/**
 * A read-only model of a synthesized CDK app for tests that reason across its templates: every stack's template with
 * its account and region, and a resolver that turns CloudFormation values (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`,
 * `Fn::Select`/`Fn::Split`, `Fn::ImportValue` of another stack's `Export`, CDK's cross-region references through SSM,
 * `{{resolve:ssm:…}}`) into strings. What CloudFormation only knows at deploy time (a generated name, an ID) becomes a
 * token `«Stack|LogicalId.Attr»`, the same token wherever the same value is referenced, so ARNs built in different
 * stacks compare equal when they name the same resource.
 *
 * The stacks are loaded by cfn-template.ts; what `Ref` and `Fn::GetAtt` return for each resource type is in
 * cfn-physical-values.ts.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { functionArn, physicalValue } from './cfn-physical-values';
import type { ModelStack, ResourceRef } from './cfn-template';
import { intrinsic, isObject, modelStacks, partitionOf, token } from './cfn-template';

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
    return this.memoized(`${stack.stackName}|${name}|Ref`, () => physicalValue(this, stack, name, 'Ref'));
  }

  att(stack: ModelStack, id: string, attr: string): string {
    return this.memoized(`${stack.stackName}|${id}|${attr}`, () => physicalValue(this, stack, id, attr));
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

  /**
   * A Lambda function reference (name, partial or full ARN, possibly qualified) as a full ARN, in the region and
   * account of `stack` unless it says otherwise.
   */
  functionArn(stack: ModelStack, ref: string): string {
    return functionArn(stack, ref);
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
