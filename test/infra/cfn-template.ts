/**
 * Loading a synthesized CDK app for the model of its templates (cfn-model.ts): the parts of a template the model
 * reads, every stack with the account and region it deploys to, how a resource is named in reports, how a value the
 * model cannot know is written (a token), and how an intrinsic function is recognized.
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

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The one intrinsic function of a value (`{"Fn::Join": …}`), if it is one. */
export function intrinsic(v: unknown): [string, unknown] | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  const k = keys[0]!;
  return k === 'Ref' || k === 'Condition' || k.startsWith('Fn::') ? [k, v[k]] : undefined;
}
