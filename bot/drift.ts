/**
 * Drift check: is the bot the same in every region? Reads one deployed bot through the Lex V2 model-building API,
 * reduces it to a canonical form without the per-region noise (IDs, versions, timestamps, statuses, ARNs' region and
 * account), and lists the differences between two regions, or between the definition in `bot/` and a region.
 *
 * `describeBotModel` is the only function that calls AWS (through the client it is given); the rest is pure. The parts:
 * reading a deployed bot (`drift-read.ts`), its canonical form (`drift-normalise.ts`), the differences between two
 * bots (`drift-diff.ts`), and the differences against the definition (`drift-definition.ts`).
 */

export { BotModelReadError, describeBotModel } from './drift-read';
export type { BotModelIds, RawBotModel, RawIntent } from './drift-read';
export { normaliseBotModel } from './drift-normalise';
export type { JsonObject, JsonValue, NormalisedBotModel } from './drift-normalise';
export { diffBotModels, formatBotDifferences } from './drift-diff';
export type { BotDifference, DiffLabels } from './drift-diff';
export { definitionModel, diffAgainstDefinition } from './drift-definition';
export type { DefinitionModelOptions } from './drift-definition';
