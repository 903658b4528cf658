/**
 * How Lex plays a response's message groups — the one place the local Lex regions choose what a caller hears:
 *
 * - a response or prompt (`each-group`): one message from EVERY group, in the groups' order; within a group, the
 *   main message or one of its variations, at random;
 * - a fulfillment progress (start/update) response (`one`): ONE message among all the groups and their variations.
 */
import type { MessageGroup } from '../../bot/definition';

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
