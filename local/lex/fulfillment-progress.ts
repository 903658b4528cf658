/**
 * Fulfillment progress: while the code hook runs, the start and update responses Lex speaks at their times
 * (start after `delayInSeconds`, then an update every `frequencyInSeconds`, measured from the start of
 * fulfillment), an update answering input meanwhile, and the fulfillment timeout.
 */
import type { IntentDefinition, MessageGroup } from '../../bot/definition';
import type { LexTimer } from './clock';
import type { MessageSelection } from './messages';
import type { ProgressEvent, Session, WireIntent, WireMessage } from './session';

/** The default fulfillment timeout when progress updates are off or absent (the Lex V2 default). */
export const DEFAULT_FULFILLMENT_TIMEOUT_SECONDS = 30;

/** How the code hook call ended. */
export type Outcome =
  { kind: 'done'; response: unknown } | { kind: 'timeout'; afterSeconds: number } | { kind: 'error'; error: unknown };

/** What progress updates need from the dialog engine. */
export interface ProgressContext {
  timer: LexTimer;
  log: (event: Record<string, unknown>) => void;
  /** What Lex says for `groups` (see `say` in `messages.ts`). */
  say(groups: MessageGroup[], intent: WireIntent | undefined, how?: MessageSelection): WireMessage[];
}

/**
 * Runs the code hook; records (and hands to a listening stream) the start/update messages Lex speaks
 * meanwhile, at times measured from the start of fulfillment (start after `delayInSeconds`, then an update
 * every `frequencyInSeconds`), unless fulfillment finished first; enforces the timeout (30 s when the
 * progress updates are off).
 */
export function runWithUpdates(
  ctx: ProgressContext,
  session: Session,
  def: IntentDefinition,
  call: () => Promise<unknown>,
): Promise<Outcome> {
  const t = ctx.timer;
  const updates = def.fulfillment?.updates;
  const started = t.now();
  const handles = new Set<unknown>();
  let settled = false;
  return new Promise<Outcome>((resolve) => {
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      for (const h of handles) t.clearTimeout(h);
      handles.clear();
      session.nudgeFulfillment = undefined;
      resolve(o);
    };
    const record = (kind: ProgressEvent['kind'], groups: MessageGroup[], allowInterrupt: boolean) => {
      const messages = ctx.say(groups, session.state.intent, 'one');
      const ev: ProgressEvent = {
        sessionId: session.sessionId,
        kind,
        afterMs: t.now() - started,
        message: messages[0]?.content ?? '',
      };
      session.progress.push(ev);
      ctx.log({ event: 'fulfillment-progress', ...ev });
      session.onProgress?.({ ...ev, messages, allowInterrupt });
    };
    /** Runs `fn` when `atMs` of fulfillment time have passed (not drifting with each timer's lateness). */
    const at = (atMs: number, fn: () => void) => {
      const h = t.setTimeout(
        () => {
          handles.delete(h);
          if (!settled) fn();
        },
        Math.max(0, atMs - (t.now() - started)),
      );
      handles.add(h);
    };
    const timeoutSeconds = updates?.active ? updates.timeoutInSeconds : DEFAULT_FULFILLMENT_TIMEOUT_SECONDS;
    if (updates?.active) {
      const start = updates.startResponse?.active ? updates.startResponse : undefined;
      const update = updates.updateResponse?.active ? updates.updateResponse : undefined;
      const firstUpdateMs = (start ? start.delayInSeconds * 1000 : 0) + (update ? update.frequencyInSeconds * 1000 : 0);
      const every = (k: number): void => {
        if (update)
          at(firstUpdateMs + k * update.frequencyInSeconds * 1000, () => {
            record('update', update.messageGroups, update.allowInterrupt);
            every(k + 1);
          });
      };
      if (start) at(start.delayInSeconds * 1000, () => record('start', start.messageGroups, start.allowInterrupt));
      every(0);
      if (update) session.nudgeFulfillment = () => record('update', update.messageGroups, update.allowInterrupt);
    }
    at(timeoutSeconds * 1000, () => finish({ kind: 'timeout', afterSeconds: timeoutSeconds }));
    call().then(
      (response) => finish({ kind: 'done', response }),
      (error: unknown) => finish({ kind: 'error', error }),
    );
  });
}
