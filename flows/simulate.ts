/**
 * Walks a rendered contact flow as Amazon Connect would for one call: the lookup Lambda, the comparisons, the
 * contact attributes, the Lex conversations, the asynchronous reports and the queue transfer, with the outside world
 * (Lambda, Lex, the queue) supplied by the caller. Tests and `lexdr simulate` use it to see which path a caller
 * takes, who serves them, what the contact record would say and what the flow reported.
 */
import { randomUUID } from 'node:crypto';
import { ACTION_TYPES, invocationTypeOf } from './action-types';
import type { FlowErrorType } from './action-types';
import type { FlowAction, FlowDocument } from './flow-schema';
import { parseFlow } from './flow-schema';
import type { CallState } from './sim-values';
import { FlowSimulationError, compare, describe, isStringMap, resolve, withTimeLimit } from './sim-values';

export { FlowSimulationError };

/** How one simulated Lex conversation ends. `{ intent }`: completed with that intent. */
export type BotOutcome = 'success' | 'error' | 'timeout' | { intent: string };
/** How one simulated queue transfer ends. */
export type TransferOutcome = 'ok' | 'QueueAtCapacity' | 'error';

/** Which call and which action a Lambda invocation comes from (Connect sends the contact ID in the event). */
export interface InvocationContext {
  contactId: string;
  identifier: string;
}

export interface SimulationEnv {
  /**
   * Invokes a Lambda function synchronously with the action's resolved `LambdaInvocationAttributes`. A rejection,
   * or no answer within the action's time limit, takes the action's error branch, as in Connect.
   */
  invokeLambda(
    arn: string,
    params: Record<string, string>,
    timeoutSeconds: number,
    context: InvocationContext,
  ): Promise<unknown>;
  /**
   * An ASYNCHRONOUS invocation. The simulator does not wait for it: the contact goes on to the next action at once,
   * and whatever it answers (a rejection, no answer at all) changes nothing for the caller; the outcome is only
   * recorded in `CallSimulation.asyncInvocations`. @default none: the invocation is recorded as not delivered
   */
  invokeLambdaAsync?(arn: string, params: Record<string, string>, context: InvocationContext): Promise<unknown>;
  /** The call's contact ID (Connect's `Details.ContactData.ContactId`). @default a random UUID */
  contactId?: string;
  /** One conversation with the bot behind a Lex V2 alias ARN. */
  bot(aliasArn: string, context: { identifier: string }): BotOutcome | Promise<BotOutcome>;
  /** The queue transfer. @default always 'ok' */
  transfer?(queueArn: string): TransferOutcome | Promise<TransferOutcome>;
  /** Scale applied to Lambda time limits (0.01 = a 3-second limit waits 30 ms). @default 1 */
  timeScale?: number;
  /** Actions walked before the simulation gives up on a loop. @default 200 */
  maxSteps?: number;
}

export type CallOutcome =
  | { kind: 'served'; region: string; aliasArn: string }
  | { kind: 'queued'; queueArn: string }
  | { kind: 'dropped'; reason: string };

export interface BotAttempt {
  identifier: string;
  aliasArn: string;
  region: string;
  result: 'success' | 'error' | 'timeout' | 'unmatched';
}

/** An ASYNCHRONOUS Lambda invocation of one call; `status` is `pending` until it settles. */
export interface AsyncInvocation {
  identifier: string;
  arn: string;
  params: Record<string, string>;
  /** `failed`: rejected, or no answer within the action's time limit. `not-delivered`: the env has no async invoker. */
  status: 'pending' | 'delivered' | 'failed' | 'not-delivered';
  /** Why it failed. */
  error?: string;
}

export interface CallSimulation {
  contactId: string;
  /** Identifiers of the actions walked, in order. */
  path: string[];
  outcome: CallOutcome;
  /** Contact attributes at the end of the call. */
  attributes: Record<string, string>;
  /** What the caller heard (messages and bot prompts), in order. */
  messages: string[];
  botAttempts: BotAttempt[];
  /** The last Lambda answer ($.External). */
  external: Record<string, unknown>;
  /** Each error branch taken, with its cause (`NoMatchingError at "lookup-region": LambdaTimeoutError: ...`). */
  errorsTaken: string[];
  /** The asynchronous invocations the call made, in order (the call did not wait for them). */
  asyncInvocations: AsyncInvocation[];
  /** Resolves (never rejects) once every asynchronous invocation of the call has settled or passed its time limit. */
  asyncSettled: Promise<void>;
}

/** The region of a Lex V2 bot alias ARN (`arn:aws:lex:REGION:ACCOUNT:bot-alias/BOT/ALIAS`), or ''. */
export function regionOfAliasArn(arn: string): string {
  return /^arn:[^:]+:lex:([^:]+):/.exec(arn)?.[1] ?? '';
}

/** The contact a simulated event is about. */
export interface SimulatedContact {
  contactId: string;
  /** The Connect instance's ARN. @default left out */
  instanceArn?: string;
}

/**
 * A Connect ContactFlowEvent carrying `params` as `Details.Parameters` and the contact in `Details.ContactData`, as a
 * Lambda function invoked by a flow receives it (the fields lexdr's functions read; Connect sends more).
 */
export function contactFlowEvent(
  params: Record<string, string>,
  contact: SimulatedContact = { contactId: 'simulated-contact' },
) {
  return {
    Name: 'ContactFlowEvent',
    Details: {
      ContactData: {
        Channel: 'VOICE',
        ContactId: contact.contactId,
        InitialContactId: contact.contactId,
        InitiationMethod: 'INBOUND',
        ...(contact.instanceArn !== undefined && { InstanceARN: contact.instanceArn }),
      },
      Parameters: params,
    },
  };
}

/** Adapts a Lambda handler (event → answer) to `SimulationEnv.invokeLambda`: the event names the call's contact. */
export function invokeHandler(handler: (event: unknown) => Promise<unknown>): SimulationEnv['invokeLambda'] {
  return (_arn, params, _timeoutSeconds, context) => handler(contactFlowEvent(params, context));
}

type Step = { next: string } | { error: FlowErrorType; cause?: string } | { end: CallOutcome };

/** Simulates one call through a rendered flow (content or parsed document). */
export async function simulateCall(flow: string | FlowDocument, env: SimulationEnv): Promise<CallSimulation> {
  const doc = typeof flow === 'string' ? parseFlow(flow) : flow;
  const byId = new Map(doc.Actions.map((a) => [a.Identifier, a]));
  const state: CallState = { External: {}, Attributes: {}, Lex: { IntentName: '' } };
  const path: string[] = [];
  const messages: string[] = [];
  const botAttempts: BotAttempt[] = [];
  const errorsTaken: string[] = [];
  const asyncInvocations: AsyncInvocation[] = [];
  const asyncPending: Promise<void>[] = [];
  const contactId = env.contactId ?? randomUUID();
  const maxSteps = env.maxSteps ?? 200;
  const scale = env.timeScale ?? 1;
  let lastError: string | undefined;
  let queueArn = '';
  let servedBy: BotAttempt | undefined;

  const result = (outcome: CallOutcome): CallSimulation => ({
    contactId,
    path,
    outcome,
    attributes: { ...state.Attributes },
    messages,
    botAttempts,
    external: state.External,
    errorsTaken,
    asyncInvocations,
    asyncSettled: Promise.all(asyncPending).then(() => undefined),
  });

  /** Starts an ASYNCHRONOUS invocation and records how it ends; nothing it does reaches the caller's path. */
  function invokeAsync(identifier: string, arn: string, params: Record<string, string>, seconds: number): void {
    const inv: AsyncInvocation = { identifier, arn, params, status: 'pending' };
    asyncInvocations.push(inv);
    if (!env.invokeLambdaAsync) {
      inv.status = 'not-delivered';
      return;
    }
    let sent: Promise<unknown>;
    try {
      sent = Promise.resolve(env.invokeLambdaAsync(arn, params, { contactId, identifier }));
    } catch (e) {
      sent = Promise.reject(e);
    }
    asyncPending.push(
      withTimeLimit(sent, seconds * 1000 * scale).then(
        () => void (inv.status = 'delivered'),
        (e: unknown) => {
          inv.status = 'failed';
          inv.error = describe(e);
        },
      ),
    );
  }

  async function run(a: FlowAction): Promise<Step> {
    const where = `action "${a.Identifier}" (${a.Type})`;
    const p = a.Parameters;
    const ok: Step = { next: a.Transitions.NextAction ?? '' };
    switch (a.Type) {
      case 'MessageParticipant': {
        const text = resolve(p.Text ?? p.SSML ?? p.PromptId ?? '', state, where);
        messages.push(text);
        return ok;
      }
      case 'InvokeLambdaFunction': {
        const arn = resolve(p.LambdaFunctionARN, state, where);
        const params: Record<string, string> = {};
        for (const [k, v] of Object.entries((p.LambdaInvocationAttributes ?? {}) as Record<string, unknown>))
          params[k] = resolve(v, state, where);
        const seconds = Number(p.InvocationTimeLimitSeconds ?? 3);
        if (invocationTypeOf(p) === 'ASYNCHRONOUS') {
          invokeAsync(a.Identifier, arn, params, seconds);
          state.externalUnknownAfter = a.Identifier;
          return ok; // the contact goes on at once
        }
        let answer: unknown;
        try {
          answer = await withTimeLimit(
            Promise.resolve().then(() =>
              env.invokeLambda(arn, params, seconds, { contactId, identifier: a.Identifier }),
            ),
            seconds * 1000 * scale,
          );
        } catch (e) {
          return { error: 'NoMatchingError', cause: describe(e) };
        }
        const type = (p.ResponseValidation as { ResponseType?: string } | undefined)?.ResponseType ?? 'STRING_MAP';
        if (type === 'STRING_MAP' ? !isStringMap(answer) : answer === null || typeof answer !== 'object')
          return { error: 'NoMatchingError', cause: `answer fails ${type} validation: ${JSON.stringify(answer)}` };
        state.External = answer as Record<string, unknown>;
        delete state.externalUnknownAfter;
        return ok;
      }
      case 'Compare': {
        const value = resolve(p.ComparisonValue, state, where);
        for (const c of a.Transitions.Conditions ?? [])
          if (c.Condition.Operands.some((o) => compare(c.Condition.Operator, value, resolve(o, state, where), where)))
            return { next: c.NextAction };
        return { error: 'NoMatchingCondition' };
      }
      case 'UpdateContactAttributes': {
        const updates: Record<string, string> = {};
        for (const [k, v] of Object.entries((p.Attributes ?? {}) as Record<string, unknown>))
          updates[resolve(k, state, where)] = resolve(v, state, where);
        Object.assign(state.Attributes, updates); // all or nothing, as documented
        return ok;
      }
      case 'UpdateContactTargetQueue': {
        const q = resolve(p.QueueId ?? p.AgentId, state, where);
        if (!q) return { error: 'NoMatchingError', cause: 'empty queue' };
        queueArn = q;
        return ok;
      }
      case 'ConnectParticipantWithLexBot': {
        if (p.LexV2Bot === undefined) throw new FlowSimulationError(`${where}: the simulator speaks Lex V2 only`);
        const prompt = p.Text ?? p.SSML ?? p.PromptId;
        if (prompt !== undefined) messages.push(resolve(prompt, state, where));
        const alias = resolve((p.LexV2Bot as { AliasArn?: unknown }).AliasArn, state, where);
        const attempt: BotAttempt = {
          identifier: a.Identifier,
          aliasArn: alias,
          region: regionOfAliasArn(alias),
          result: 'error',
        };
        botAttempts.push(attempt);
        if (!alias) return { error: 'NoMatchingError', cause: 'empty bot alias ARN' };
        const outcome = await env.bot(alias, { identifier: a.Identifier });
        if (outcome === 'error') return { error: 'NoMatchingError', cause: `bot ${alias} failed` };
        if (outcome === 'timeout') {
          attempt.result = 'timeout';
          return { error: 'InputTimeLimitExceeded' };
        }
        const conditions = a.Transitions.Conditions ?? [];
        // 'success' = the conversation completed with the intent the flow routes on (its first condition).
        const intent = outcome === 'success' ? (conditions[0]?.Condition.Operands[0] ?? '') : outcome.intent;
        state.Lex.IntentName = resolve(intent, state, where);
        const match = conditions.find((c) =>
          c.Condition.Operands.some((o) =>
            compare(c.Condition.Operator, state.Lex.IntentName, resolve(o, state, where), where),
          ),
        );
        if (conditions.length > 0 && !match) {
          attempt.result = 'unmatched';
          return { error: 'NoMatchingCondition' };
        }
        attempt.result = 'success';
        servedBy = attempt;
        return match ? { next: match.NextAction } : ok;
      }
      case 'TransferContactToQueue': {
        if (!queueArn) return { error: 'NoMatchingError', cause: 'no target queue set' };
        const t = env.transfer ? await env.transfer(queueArn) : 'ok';
        if (t === 'ok') return { end: { kind: 'queued', queueArn } };
        return { error: t === 'QueueAtCapacity' ? 'QueueAtCapacity' : 'NoMatchingError' };
      }
      case 'DisconnectParticipant':
        return {
          end: servedBy
            ? { kind: 'served', region: servedBy.region, aliasArn: servedBy.aliasArn }
            : { kind: 'dropped', reason: lastError ? `disconnected after ${lastError}` : 'disconnected' },
        };
      default:
        throw new FlowSimulationError(
          `${where}: unknown action type "${a.Type}"; the simulator runs ${Object.keys(ACTION_TYPES).join(', ')}`,
        );
    }
  }

  let id = doc.StartAction;
  for (let steps = 0; ; steps++) {
    if (steps >= maxSteps)
      throw new FlowSimulationError(`gave up after ${maxSteps} actions (a loop?): ${path.slice(-6).join(' → ')}`);
    const action = byId.get(id);
    if (!action) return result({ kind: 'dropped', reason: `transition to missing action "${id}"` });
    path.push(id);
    const step = await run(action);
    if ('end' in step) return result(step.end);
    if ('error' in step) {
      lastError = `${step.error} at "${id}"`;
      errorsTaken.push(step.cause ? `${lastError}: ${step.cause}` : lastError);
      const errors = action.Transitions.Errors ?? [];
      const handler =
        errors.find((e) => e.ErrorType === step.error) ?? errors.find((e) => e.ErrorType === 'NoMatchingError');
      if (!handler) return result({ kind: 'dropped', reason: `unhandled ${step.error} at "${id}"` });
      id = handler.NextAction;
      continue;
    }
    if (!step.next) return result({ kind: 'dropped', reason: `dead end at "${id}"` });
    id = step.next;
  }
}
