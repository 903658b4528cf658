/**
 * How Lex plays a response's message groups — the one place the local Lex regions choose what a caller hears:
 *
 * - a response or prompt (`each-group`): one message from EVERY group, in the groups' order; within a group, the
 *   main message or one of its variations, at random;
 * - a fulfillment progress (start/update) response (`one`): ONE message among all the groups and their variations.
 *
 * `{Slot}` placeholders are filled from the intent's slots.
 */
import type { MessageGroup } from '../../bot/definition';
import type { WireIntent, WireMessage } from './session';

/** `each-group`: every response and prompt. `one`: fulfillment start/update (progress) responses. */
export type MessageSelection = 'each-group' | 'one';

/** The message texts Lex says for `groups`, chosen with `random` (a number in [0, 1), as `Math.random`). */
export function chooseMessages(groups: readonly MessageGroup[], how: MessageSelection, random: () => number): string[] {
  const oneOf = (g: MessageGroup): string => {
    const choices = [g.message, ...g.variations];
    return choices[pick(choices.length, random)] ?? g.message;
  };
  if (how === 'each-group') return groups.map(oneOf);
  const group = groups[pick(groups.length, random)];
  return group ? [oneOf(group)] : [];
}

function pick(n: number, random: () => number): number {
  return Math.min(n - 1, Math.max(0, Math.floor(random() * n)));
}

/**
 * What Lex says for `groups`: one message per group, in order (`each-group`, every response and prompt), or one
 * message in all (`one`, progress responses); `{Slot}` placeholders filled (an empty slot's stays as written).
 */
export function messagesToSay(
  groups: readonly MessageGroup[],
  intent: WireIntent | undefined,
  how: MessageSelection,
  random: () => number,
): WireMessage[] {
  return chooseMessages(groups, how, random).map((text) => ({
    contentType: 'PlainText',
    content: text.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
      const v = intent?.slots[name]?.value;
      return v ? v.interpretedValue : whole;
    }),
  }));
}
