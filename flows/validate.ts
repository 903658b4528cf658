/**
 * Static checks of a contact flow before it reaches Amazon Connect: the flow-language shape, every transition
 * pointing at an existing action, every documented error handled, every path ending (disconnect or queue), no
 * cycle, no `$.External` read after an asynchronous Lambda invocation, no leftover token in a rendered flow, and no
 * hard-coded region, account or ARN in a template.
 */
import { ACTION_TYPES, actionTypeInfo, invocationTypeOf } from './action-types';
import type { FlowAction, FlowDocument } from './flow-schema';
import {
  FLOW_LANGUAGE_VERSION,
  MAX_FLOW_CONTENT_CHARS,
  MAX_IDENTIFIER_CHARS,
  edgesOf,
  flowSchema,
} from './flow-schema';

export interface ValidateOptions {
  /** The content is a template: `%Token%` placeholders are expected, hard-coded regions/ARNs/accounts are not. */
  readonly template?: boolean;
}

export interface FlowValidation {
  ok: boolean;
  errors: string[];
  warnings: string[];
}

const TOKEN = /%[A-Za-z][A-Za-z0-9_]*%/g;
const HARD_CODED: readonly { what: string; re: RegExp }[] = [
  { what: 'an ARN', re: /arn:aws/i },
  { what: 'an account ID', re: /(?<!\d)\d{12}(?!\d)/ },
  {
    what: 'a region name',
    re: /\b[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d\b/,
  },
];

function label(a: Pick<FlowAction, 'Identifier' | 'Type'>): string {
  return `action "${a.Identifier}" (${a.Type})`;
}

/** Every string in a JSON value, with its path. */
function strings(v: unknown, path: string, out: { path: string; value: string }[] = []) {
  if (typeof v === 'string') out.push({ path, value: v });
  else if (Array.isArray(v)) v.forEach((x, i) => strings(x, `${path}[${i}]`, out));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      const at = path ? `${path}.${k}` : k;
      out.push({ path: `${at} (key)`, value: k });
      strings(x, at, out);
    }
  return out;
}

function hardCodedValues(json: unknown, errors: string[]): void {
  const root = json as { Actions?: unknown; Metadata?: unknown };
  const check = (where: string, v: unknown) => {
    for (const s of strings(v, '')) {
      for (const h of HARD_CODED) {
        const m = h.re.exec(s.value);
        if (m)
          errors.push(
            `${where}${s.path ? ` at ${s.path.replace(/^\./, '')}` : ''}: hard-coded ${h.what} ("${m[0]}") in a template; use a %Token% placeholder`,
          );
      }
    }
  };
  if (Array.isArray(root.Actions))
    for (const a of root.Actions as Record<string, unknown>[]) {
      const id = typeof a?.Identifier === 'string' ? a.Identifier : '?';
      const type = typeof a?.Type === 'string' ? a.Type : '?';
      check(label({ Identifier: id, Type: type }), a?.Parameters);
    }
  if (root.Metadata !== undefined) check('Metadata', root.Metadata);
}

/** Finds one cycle through `start`'s reachable graph, returned as the identifiers along it. */
function findCycles(flow: FlowDocument, byId: Map<string, FlowAction>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (id: string) => {
    state.set(id, 'open');
    stack.push(id);
    const action = byId.get(id)!;
    for (const to of new Set(edgesOf(action).map((e) => e.to))) {
      if (!byId.has(to)) continue;
      const s = state.get(to);
      if (s === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to]);
      else if (s === undefined) visit(to);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const a of flow.Actions) if (!state.has(a.Identifier)) visit(a.Identifier);
  return cycles;
}

function reachableFrom(start: string, byId: Map<string, FlowAction>): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length) {
    const id = todo.pop()!;
    const a = byId.get(id);
    if (!a || seen.has(id)) continue;
    seen.add(id);
    for (const e of edgesOf(a)) todo.push(e.to);
  }
  return seen;
}

/** In an acyclic flow: the transfers that some path reaches without setting a target queue first. */
function transfersWithoutQueue(flow: FlowDocument, byId: Map<string, FlowAction>, reachable: Set<string>): string[] {
  // queueSet[id] = every path from the start to id passes an UpdateContactTargetQueue before id.
  const order: string[] = [];
  const seen = new Set<string>();
  const dfs = (id: string) => {
    if (seen.has(id) || !byId.has(id)) return;
    seen.add(id);
    for (const e of edgesOf(byId.get(id)!)) dfs(e.to);
    order.push(id);
  };
  dfs(flow.StartAction);
  order.reverse();
  const queueSet = new Map<string, boolean>([[flow.StartAction, false]]);
  for (const id of order) {
    const a = byId.get(id)!;
    const before = queueSet.get(id) ?? false;
    for (const e of edgesOf(a)) {
      if (!byId.has(e.to)) continue;
      // Only the success path of UpdateContactTargetQueue has the queue set.
      const carries = before || (a.Type === 'UpdateContactTargetQueue' && e.kind !== 'error');
      queueSet.set(e.to, queueSet.has(e.to) ? queueSet.get(e.to)! && carries : carries);
    }
  }
  return flow.Actions.filter(
    (a) => a.Type === 'TransferContactToQueue' && reachable.has(a.Identifier) && !queueSet.get(a.Identifier),
  ).map((a) => a.Identifier);
}

const EXTERNAL_REF = /\$\.External(\.[A-Za-z0-9_-]+)?/g;

/** The `$.External` references an action reads: in its parameters (keys and values) and its conditions' operands. */
function externalReads(a: FlowAction): string[] {
  const texts = [
    ...strings(a.Parameters, '').map((s) => s.value),
    ...(a.Transitions.Conditions ?? []).flatMap((c) => c.Condition.Operands),
  ];
  return [...new Set(texts.flatMap((t) => t.match(EXTERNAL_REF) ?? []))];
}

const isAsyncInvoke = (a: FlowAction) =>
  a.Type === 'InvokeLambdaFunction' && invocationTypeOf(a.Parameters) === 'ASYNCHRONOUS';

/**
 * Reads of `$.External` that some path reaches after an asynchronous Lambda invocation with no synchronous answer
 * since. An asynchronous invocation's answer is only read back by a later "Load Lambda result" step, and Connect
 * does not document whether the invocation leaves the earlier `$.External` as it was: a flow must not depend on
 * either. Values needed after one belong in contact attributes, saved before it.
 */
function externalReadsAfterAsync(flow: FlowDocument, byId: Map<string, FlowAction>): string[] {
  // after[id] = the asynchronous invocations some path passes, since the last synchronous answer, to reach id.
  const after = new Map<string, Set<string>>([[flow.StartAction, new Set()]]);
  const todo = [flow.StartAction];
  while (todo.length) {
    const a = byId.get(todo.pop()!);
    if (!a) continue;
    const before = after.get(a.Identifier)!;
    for (const e of edgesOf(a)) {
      if (!byId.has(e.to)) continue;
      let carried = before;
      if (isAsyncInvoke(a)) carried = new Set([...before, a.Identifier]);
      else if (a.Type === 'InvokeLambdaFunction' && e.kind === 'next') carried = new Set(); // a fresh answer
      const known = after.get(e.to);
      const merged = new Set([...(known ?? []), ...carried]);
      if (!known || merged.size > known.size) {
        after.set(e.to, merged);
        todo.push(e.to);
      }
    }
  }
  const out: string[] = [];
  for (const a of flow.Actions) {
    const set = after.get(a.Identifier);
    const asyncBefore = flow.Actions.filter((x) => set?.has(x.Identifier)).map((x) => x.Identifier);
    const reads = externalReads(a);
    if (asyncBefore.length === 0 || reads.length === 0) continue;
    out.push(
      `${label(a)}: reads ${reads.join(', ')} after asynchronous invocation${asyncBefore.length > 1 ? 's' : ''} ${asyncBefore.map((id) => `"${id}"`).join(', ')} with no synchronous answer since; ` +
        'Connect does not document what $.External holds then: save the values in contact attributes before the asynchronous invocation and read $.Attributes',
    );
  }
  return out;
}

/** Validates flow content. Errors make the flow unfit to deploy; warnings are worth a look. */
export function validateFlow(content: string, options: ValidateOptions = {}): FlowValidation {
  const errors: string[] = [];
  const warnings: string[] = [];
  const done = (): FlowValidation => ({ ok: errors.length === 0, errors, warnings });

  if (content.length > MAX_FLOW_CONTENT_CHARS)
    errors.push(
      `flow content is ${content.length} characters; Amazon Connect accepts at most ${MAX_FLOW_CONTENT_CHARS}`,
    );
  if (!options.template) {
    const left = [...new Set(content.match(TOKEN) ?? [])];
    if (left.length) errors.push(`rendered flow still holds token(s) ${left.join(', ')}: renderFlow must fill them`);
  }

  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (e) {
    errors.push(`flow is not valid JSON: ${(e as Error).message}`);
    return done();
  }
  if (options.template) hardCodedValues(json, errors);

  const parsed = flowSchema.safeParse(json);
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      errors.push(`flow shape: ${i.path.map(String).join('.') || '(flow)'}: ${i.message}`);
    return done();
  }
  const flow = parsed.data;

  if (flow.Version !== FLOW_LANGUAGE_VERSION)
    errors.push(`Version is "${flow.Version}"; the flow language version is "${FLOW_LANGUAGE_VERSION}"`);

  const byId = new Map<string, FlowAction>();
  for (const a of flow.Actions) {
    if (byId.has(a.Identifier)) errors.push(`duplicate Identifier "${a.Identifier}": identifiers must be unique`);
    else byId.set(a.Identifier, a);
    if (a.Identifier.length > MAX_IDENTIFIER_CHARS)
      errors.push(
        `${label(a)}: Identifier is ${a.Identifier.length} characters; at most ${MAX_IDENTIFIER_CHARS} are allowed`,
      );
  }
  if (!byId.has(flow.StartAction)) errors.push(`StartAction "${flow.StartAction}" is not an action of this flow`);

  for (const a of flow.Actions) {
    const info = actionTypeInfo(a.Type);
    const t = a.Transitions;
    for (const e of edgesOf(a))
      if (!byId.has(e.to))
        errors.push(
          `${label(a)}: ${e.kind === 'next' ? 'NextAction' : `${e.kind} ${e.label}`} points at "${e.to}", which is not an action of this flow`,
        );
    if (!info) {
      errors.push(`${label(a)}: unknown action type "${a.Type}"; known types: ${Object.keys(ACTION_TYPES).join(', ')}`);
      continue;
    }
    for (const p of info.checkParameters(a.Parameters)) errors.push(`${label(a)}: ${p}`);
    if (a.Type === 'InvokeLambdaFunction' && a.Parameters.InvocationType === undefined)
      warnings.push(
        `${label(a)}: InvocationType is not set (it counts as SYNCHRONOUS): say SYNCHRONOUS or ASYNCHRONOUS`,
      );
    if (!info.conditions && t.Conditions?.length) errors.push(`${label(a)}: this action type takes no Conditions`);
    const handled = new Set((t.Errors ?? []).map((e) => e.ErrorType));
    for (const err of info.errors)
      if (!handled.has(err)) errors.push(`${label(a)}: does not handle its documented error ${err}`);
    for (const e of t.Errors ?? [])
      if (!info.errors.includes(e.ErrorType as never))
        warnings.push(`${label(a)}: handles error ${e.ErrorType}, which ${a.Type} does not document`);
    const types = (t.Errors ?? []).map((e) => e.ErrorType);
    for (const dup of new Set(types.filter((x, i) => types.indexOf(x) !== i)))
      errors.push(`${label(a)}: handles error ${dup} more than once`);
    if (info.ends === 'end' && (t.NextAction || t.Conditions?.length || t.Errors?.length))
      warnings.push(`${label(a)}: ends the flow; its transitions are never taken`);
    if (info.ends === 'continue' && !t.NextAction && !(info.conditions && t.Conditions?.length))
      errors.push(
        `${label(a)}: dead end: no NextAction${info.conditions ? ' and no Conditions' : ''}; every path must end in DisconnectParticipant or TransferContactToQueue`,
      );
  }

  const cycles = findCycles(flow, byId);
  for (const c of cycles)
    errors.push(`cycle: ${c.map((id) => `"${id}"`).join(' → ')}; a flow path must not return to an earlier action`);

  if (byId.has(flow.StartAction)) {
    errors.push(...externalReadsAfterAsync(flow, byId));
    const reachable = reachableFrom(flow.StartAction, byId);
    for (const a of flow.Actions)
      if (!reachable.has(a.Identifier))
        warnings.push(`${label(a)}: not reachable from StartAction "${flow.StartAction}"`);
    if (cycles.length === 0)
      for (const id of transfersWithoutQueue(flow, byId, reachable))
        warnings.push(
          `${label(byId.get(id)!)}: some path reaches it without an UpdateContactTargetQueue, so the transfer may fail`,
        );
  }
  return done();
}
