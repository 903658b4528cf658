/**
 * What lexdr knows of each Amazon Connect flow-language action type it uses: the errors Connect documents for it
 * (every one must be handled), whether it takes Conditions, whether it ends the flow, and its parameter rules.
 * Source: the "Amazon Connect Flow language" action reference (docs.aws.amazon.com/connect/latest/APIReference/
 * flow-language-actions.html), one page per action. The validator and the simulator both read this table.
 */

export type FlowErrorType = 'NoMatchingError' | 'NoMatchingCondition' | 'InputTimeLimitExceeded' | 'QueueAtCapacity';

export interface ActionTypeInfo {
  /** Errors the action can raise, as documented. A flow must route each of them. */
  readonly errors: readonly FlowErrorType[];
  /** Whether `Transitions.Conditions` is supported. */
  readonly conditions: boolean;
  /**
   * `end`: the action ends the flow (no NextAction);
   * `queue`: success places the contact in queue and ends the flow, only its errors continue it;
   * `continue`: success follows NextAction, which is required.
   */
  readonly ends: 'end' | 'queue' | 'continue';
  /** Parameter rules: returns problems found in `Parameters` (empty when fine). */
  readonly checkParameters: (p: Record<string, unknown>) => string[];
  /** The documentation page's name, for messages. */
  readonly docPage: string;
}

/**
 * How `InvokeLambdaFunction` runs. SYNCHRONOUS: the contact waits for the answer (≤ the time limit), which lands in
 * `$.External`. ASYNCHRONOUS: the contact goes on at once; the answer is only read back by a later "Load Lambda
 * result" step, so the invocation leaves nothing in `$.External` the flow can count on.
 */
export const INVOCATION_TYPES = ['SYNCHRONOUS', 'ASYNCHRONOUS'] as const;
export type InvocationType = (typeof INVOCATION_TYPES)[number];

/** An `InvokeLambdaFunction`'s InvocationType; absent counts as SYNCHRONOUS (the flow designer's default). */
export function invocationTypeOf(parameters: Record<string, unknown>): InvocationType {
  return parameters.InvocationType === 'ASYNCHRONOUS' ? 'ASYNCHRONOUS' : 'SYNCHRONOUS';
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const present = (p: Record<string, unknown>, k: string) => p[k] !== undefined;

/** A "single valid JSONPath identifier" as the flow language uses them (e.g. `$.External.lexRegion`). */
export const JSONPATH_REF = /^\$\.[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9_-]+)*$/;

/** At most one of the prompt kinds (PromptId, Text, SSML, Media): the docs say each excludes the others. */
function onePrompt(p: Record<string, unknown>, required: boolean): string[] {
  const kinds = ['PromptId', 'Text', 'SSML', 'Media'].filter((k) => present(p, k));
  if (kinds.length > 1) return [`takes one of PromptId, Text, SSML or Media, got ${kinds.join(' and ')}`];
  if (required && kinds.length === 0) return ['needs a prompt: one of PromptId, Text, SSML or Media'];
  for (const k of ['PromptId', 'Text', 'SSML']) {
    if (present(p, k) && (!isStr(p[k]) || p[k] === '')) return [`${k} must be a non-empty string`];
  }
  return [];
}

function noParameters(p: Record<string, unknown>): string[] {
  const keys = Object.keys(p);
  return keys.length ? [`expects no parameters, got ${keys.join(', ')}`] : [];
}

export const ACTION_TYPES: Readonly<Record<string, ActionTypeInfo>> = {
  InvokeLambdaFunction: {
    docPage: 'interactions-invokelambdafunction',
    errors: ['NoMatchingError'],
    conditions: false,
    ends: 'continue',
    checkParameters: (p) => {
      const out: string[] = [];
      if (!isStr(p.LambdaFunctionARN) || p.LambdaFunctionARN === '') out.push('LambdaFunctionARN is required');
      // The flow-language reference allows 1–8 for both types (the console allows an asynchronous one up to 60):
      // 1–8 is valid under either reading.
      const t = p.InvocationTimeLimitSeconds;
      if (!isStr(t) || !/^[1-8]$/.test(t))
        out.push(`InvocationTimeLimitSeconds must be a static integer 1–8 (as a string), got ${JSON.stringify(t)}`);
      if (present(p, 'InvocationType') && !(INVOCATION_TYPES as readonly unknown[]).includes(p.InvocationType))
        out.push(`InvocationType must be SYNCHRONOUS or ASYNCHRONOUS, got ${JSON.stringify(p.InvocationType)}`);
      const rv = p.ResponseValidation as { ResponseType?: unknown } | undefined;
      if (present(p, 'ResponseValidation') && rv?.ResponseType !== 'STRING_MAP' && rv?.ResponseType !== 'JSON')
        out.push(`ResponseValidation.ResponseType must be STRING_MAP or JSON, got ${JSON.stringify(rv?.ResponseType)}`);
      const attrs = p.LambdaInvocationAttributes;
      if (attrs !== undefined) {
        if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs))
          out.push('LambdaInvocationAttributes must be an object of strings');
        else if (Object.values(attrs).some((v) => !isStr(v)))
          out.push('LambdaInvocationAttributes values must be strings');
      }
      return out;
    },
  },
  Compare: {
    docPage: 'flow-control-actions-compare',
    errors: ['NoMatchingCondition'],
    conditions: true,
    ends: 'continue',
    checkParameters: (p) =>
      isStr(p.ComparisonValue) && JSONPATH_REF.test(p.ComparisonValue)
        ? []
        : [
            `ComparisonValue must be a single JSONPath identifier such as "$.External.x", got ${JSON.stringify(p.ComparisonValue)}`,
          ],
  },
  UpdateContactAttributes: {
    docPage: 'contact-actions-updatecontactattributes',
    errors: ['NoMatchingError'],
    conditions: false,
    ends: 'continue',
    checkParameters: (p) => {
      const out: string[] = [];
      const a = p.Attributes;
      if (a === null || typeof a !== 'object' || Array.isArray(a) || Object.keys(a).length === 0)
        out.push('Attributes must be a non-empty object');
      else
        for (const [k, v] of Object.entries(a)) {
          if (!/^[A-Za-z0-9_-]+$/.test(k)) out.push(`attribute key "${k}" may hold only letters, digits, "-" and "_"`);
          if (!isStr(v)) out.push(`attribute "${k}" must be a string`);
        }
      if (present(p, 'TargetContact') && p.TargetContact !== 'Current' && p.TargetContact !== 'Related')
        out.push(`TargetContact must be "Current" or "Related", got ${JSON.stringify(p.TargetContact)}`);
      return out;
    },
  },
  ConnectParticipantWithLexBot: {
    docPage: 'participant-actions-connectparticipantwithlexbot',
    errors: ['InputTimeLimitExceeded', 'NoMatchingError', 'NoMatchingCondition'],
    conditions: true,
    ends: 'continue',
    checkParameters: (p) => {
      const out = onePrompt(p, false);
      const v2 = p.LexV2Bot as { AliasArn?: unknown } | undefined;
      if (present(p, 'LexV2Bot') && present(p, 'LexBot')) out.push('takes LexV2Bot or LexBot, not both');
      else if (present(p, 'LexV2Bot')) {
        if (!isStr(v2?.AliasArn) || v2.AliasArn === '') out.push('LexV2Bot.AliasArn is required');
      } else if (!present(p, 'LexBot')) out.push('needs LexV2Bot: { AliasArn } (or the legacy LexBot)');
      return out;
    },
  },
  MessageParticipant: {
    docPage: 'participant-actions-messageparticipant',
    errors: ['NoMatchingError'],
    conditions: false,
    ends: 'continue',
    checkParameters: (p) => onePrompt(p, true),
  },
  UpdateContactTargetQueue: {
    docPage: 'contact-actions-updatecontacttargetqueue',
    errors: ['NoMatchingError'],
    conditions: false,
    ends: 'continue',
    checkParameters: (p) => {
      if (present(p, 'QueueId') && present(p, 'AgentId')) return ['takes QueueId or AgentId, not both'];
      const v = p.QueueId ?? p.AgentId;
      return isStr(v) && v !== '' ? [] : ['needs QueueId (a queue ID or ARN) or AgentId'];
    },
  },
  TransferContactToQueue: {
    docPage: 'contact-actions-transfercontacttoqueue',
    errors: ['QueueAtCapacity', 'NoMatchingError'],
    conditions: false,
    ends: 'queue',
    checkParameters: noParameters,
  },
  DisconnectParticipant: {
    docPage: 'participant-actions-disconnectparticipant',
    errors: [],
    conditions: false,
    ends: 'end',
    checkParameters: noParameters,
  },
};

export function actionTypeInfo(type: string): ActionTypeInfo | undefined {
  return Object.prototype.hasOwnProperty.call(ACTION_TYPES, type) ? ACTION_TYPES[type] : undefined;
}
