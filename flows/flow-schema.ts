/** The shape of a contact flow in the Amazon Connect flow language, as lexdr reads and writes it. */
import { z } from 'zod';

export const FLOW_LANGUAGE_VERSION = '2019-10-30';
/** `AWS::Connect::ContactFlow.Content` limit. */
export const MAX_FLOW_CONTENT_CHARS = 256_000;
export const MAX_IDENTIFIER_CHARS = 50;

export const conditionSchema = z.object({
  NextAction: z.string(),
  Condition: z.object({
    Operator: z.string().min(1),
    Operands: z.array(z.string()).min(1),
  }),
});

export const errorTransitionSchema = z.object({
  NextAction: z.string(),
  ErrorType: z.string().min(1),
});

export const actionSchema = z.object({
  Identifier: z.string().min(1),
  Type: z.string().min(1),
  Parameters: z.record(z.string(), z.unknown()).default({}),
  Transitions: z
    .object({
      NextAction: z.string().optional(),
      Conditions: z.array(conditionSchema).optional(),
      Errors: z.array(errorTransitionSchema).optional(),
    })
    .default({}),
});

export const flowSchema = z.object({
  Version: z.string(),
  StartAction: z.string().min(1),
  Metadata: z.record(z.string(), z.unknown()).optional(),
  Actions: z.array(actionSchema).min(1),
});

export type FlowCondition = z.infer<typeof conditionSchema>;
export type FlowErrorTransition = z.infer<typeof errorTransitionSchema>;
export type FlowAction = z.infer<typeof actionSchema>;
export type FlowDocument = z.infer<typeof flowSchema>;

/** A flow that is not JSON or not in the flow-language shape. */
export class FlowFormatError extends Error {
  override name = 'FlowFormatError';
}

/** Parses flow content (a string or an already-parsed object); throws FlowFormatError naming the problems. */
export function parseFlow(content: string | unknown): FlowDocument {
  let json: unknown = content;
  if (typeof content === 'string') {
    try {
      json = JSON.parse(content);
    } catch (e) {
      throw new FlowFormatError(`flow is not valid JSON: ${(e as Error).message}`);
    }
  }
  const r = flowSchema.safeParse(json);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.map(String).join('.') || '(flow)'}: ${i.message}`);
    throw new FlowFormatError(`flow is not in the Connect flow-language shape: ${lines.join('; ')}`);
  }
  return r.data;
}

/** Every transition leaving an action: the success NextAction, each Condition and each Error. */
export interface FlowEdge {
  from: string;
  to: string;
  kind: 'next' | 'condition' | 'error';
  /** The condition (`Equals err`) or error type (`NoMatchingError`); empty for `next`. */
  label: string;
}

export function edgesOf(action: FlowAction): FlowEdge[] {
  const t = action.Transitions;
  const out: FlowEdge[] = [];
  if (t.NextAction) out.push({ from: action.Identifier, to: t.NextAction, kind: 'next', label: '' });
  for (const c of t.Conditions ?? [])
    out.push({
      from: action.Identifier,
      to: c.NextAction,
      kind: 'condition',
      label: `${c.Condition.Operator} ${c.Condition.Operands.join(', ')}`,
    });
  for (const e of t.Errors ?? [])
    out.push({ from: action.Identifier, to: e.NextAction, kind: 'error', label: e.ErrorType });
  return out;
}
