/**
 * Drift check, reading: one deployed bot through the Lex V2 model-building API, as the API returns it. The only part
 * of the drift check that calls AWS (through the client it is given).
 */
import {
  DescribeBotAliasCommand,
  DescribeBotCommand,
  DescribeBotLocaleCommand,
  DescribeIntentCommand,
  DescribeSlotCommand,
  DescribeSlotTypeCommand,
  ListIntentsCommand,
  ListSlotTypesCommand,
  ListSlotsCommand,
} from '@aws-sdk/client-lex-models-v2';
import type {
  DescribeBotAliasResponse,
  DescribeBotLocaleResponse,
  DescribeBotResponse,
  DescribeIntentResponse,
  DescribeSlotResponse,
  DescribeSlotTypeResponse,
  LexModelsV2Client,
} from '@aws-sdk/client-lex-models-v2';

/** Which bot to read in one region. */
export interface BotModelIds {
  /** Lex V2 bot ID. */
  readonly botId: string;
  /** Alias whose version is read. @default none: `botVersion` is read */
  readonly botAliasId?: string;
  /** Version to read; overrides the alias's version. @default the alias's version, or `DRAFT` without an alias */
  readonly botVersion?: string;
  /** Locale to read, e.g. `en_US`. */
  readonly localeId: string;
}

/** One intent as deployed, with its slots. */
export interface RawIntent {
  intent: DescribeIntentResponse;
  slots: DescribeSlotResponse[];
}

/** The bot as the model-building API returns it (one region, one locale of one version). */
export interface RawBotModel {
  /** What was read: the alias's version when an alias was given. */
  ids: { botId: string; botAliasId?: string; botVersion: string; localeId: string };
  bot: DescribeBotResponse;
  alias?: DescribeBotAliasResponse;
  locale: DescribeBotLocaleResponse;
  slotTypes: DescribeSlotTypeResponse[];
  intents: RawIntent[];
}

/** A model-building API call failed; `api` names it (e.g. `DescribeIntent`), `cause` is the SDK error. */
export class BotModelReadError extends Error {
  override name = 'BotModelReadError';
  constructor(
    readonly api: string,
    readonly cause: unknown,
  ) {
    const e = cause as { name?: string; message?: string } | undefined;
    super(`${api} failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(cause)}`);
  }
}

/** Largest page the List* operations accept. */
const PAGE_SIZE = 1000;
/** A List* that keeps answering with a next token after this many pages is broken. */
const MAX_PAGES = 1000;

/**
 * Reads one bot as deployed in the client's region: DescribeBot, DescribeBotAlias (for the alias's version),
 * DescribeBotLocale, ListSlotTypes + DescribeSlotType, ListIntents + DescribeIntent, ListSlots + DescribeSlot per
 * intent. Every List* is followed to its last page. Calls are made one at a time (the model-building API has low
 * per-account rate limits). Throws {@link BotModelReadError} naming the call that failed.
 */
export async function describeBotModel(client: LexModelsV2Client, ids: BotModelIds): Promise<RawBotModel> {
  const { botId, botAliasId, localeId } = ids;
  const call = async <T>(api: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw new BotModelReadError(api, err);
    }
  };

  const bot = await call('DescribeBot', () => client.send(new DescribeBotCommand({ botId })));
  let alias: DescribeBotAliasResponse | undefined;
  if (botAliasId !== undefined)
    alias = await call('DescribeBotAlias', () => client.send(new DescribeBotAliasCommand({ botId, botAliasId })));
  const botVersion = ids.botVersion ?? alias?.botVersion ?? (botAliasId === undefined ? 'DRAFT' : undefined);
  if (botVersion === undefined)
    throw new BotModelReadError('DescribeBotAlias', new Error(`alias ${botAliasId} of bot ${botId} has no botVersion`));
  const scope = { botId, botVersion, localeId };

  const locale = await call('DescribeBotLocale', () => client.send(new DescribeBotLocaleCommand(scope)));

  const slotTypeSummaries = await paginate('ListSlotTypes', async (nextToken) => {
    const r = await client.send(new ListSlotTypesCommand({ ...scope, maxResults: PAGE_SIZE, nextToken }));
    return { items: r.slotTypeSummaries ?? [], nextToken: r.nextToken };
  });
  const slotTypes: DescribeSlotTypeResponse[] = [];
  for (const s of slotTypeSummaries)
    slotTypes.push(
      await call('DescribeSlotType', () =>
        client.send(new DescribeSlotTypeCommand({ ...scope, slotTypeId: s.slotTypeId })),
      ),
    );

  const intentSummaries = await paginate('ListIntents', async (nextToken) => {
    const r = await client.send(new ListIntentsCommand({ ...scope, maxResults: PAGE_SIZE, nextToken }));
    return { items: r.intentSummaries ?? [], nextToken: r.nextToken };
  });
  const intents: RawIntent[] = [];
  for (const summary of intentSummaries) {
    const intentId = summary.intentId;
    const intent = await call('DescribeIntent', () => client.send(new DescribeIntentCommand({ ...scope, intentId })));
    const slotSummaries = await paginate('ListSlots', async (nextToken) => {
      const r = await client.send(new ListSlotsCommand({ ...scope, intentId, maxResults: PAGE_SIZE, nextToken }));
      return { items: r.slotSummaries ?? [], nextToken: r.nextToken };
    });
    const slots: DescribeSlotResponse[] = [];
    for (const s of slotSummaries)
      slots.push(
        await call('DescribeSlot', () =>
          client.send(new DescribeSlotCommand({ ...scope, intentId, slotId: s.slotId })),
        ),
      );
    intents.push({ intent, slots });
  }

  return {
    ids: { botId, ...(botAliasId !== undefined ? { botAliasId } : {}), botVersion, localeId },
    bot: withoutMetadata(bot),
    ...(alias ? { alias: withoutMetadata(alias) } : {}),
    locale: withoutMetadata(locale),
    slotTypes: slotTypes.map(withoutMetadata),
    intents: intents.map((i) => ({ intent: withoutMetadata(i.intent), slots: i.slots.map(withoutMetadata) })),
  };
}

async function paginate<T>(
  api: string,
  page: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    let r: { items: T[]; nextToken?: string | undefined };
    try {
      r = await page(token);
    } catch (err) {
      throw new BotModelReadError(api, err);
    }
    all.push(...r.items);
    if (!r.nextToken) return all;
    token = r.nextToken;
  }
  throw new BotModelReadError(api, new Error(`still returning a nextToken after ${MAX_PAGES} pages`));
}

function withoutMetadata<T extends object>(r: T): T {
  const { $metadata: _metadata, ...rest } = r as T & { $metadata?: unknown };
  return rest as T;
}
