import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LexModelsV2Client } from '@aws-sdk/client-lex-models-v2';
import type { NormalisedBotModel, RawBotModel } from '../../bot/drift';
import {
  BotModelReadError,
  describeBotModel,
  diffAgainstDefinition,
  diffBotModels,
  formatBotDifferences,
  normaliseBotModel,
} from '../../bot/drift';
import { orderFlowers } from '../../bot/order-flowers';
import type { BotDiffDeps } from '../../cli/commands/bot';
import { botDiff, formatBotDiff, parseIdsOption } from '../../cli/commands/bot';
import { defaultContext } from '../../cli/lib/context';
import { EXIT, TargetNotFoundError, UsageError } from '../../cli/lib/errors';
import type { Io } from '../../cli/lib/io';
import { run } from '../../cli/main';

/** Model-building API responses captured per region: single answers, pages, or answers keyed by the resource ID. */
interface RegionFixture {
  region: string;
  ids: { botId: string; botAliasId: string; localeId: string };
  responses: Record<string, unknown>;
}

const FIXTURES = join(__dirname, '..', 'fixtures', 'bot-drift');
const fixture = (name: string): RegionFixture =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'), (key, v: unknown) =>
    key.endsWith('DateTime') && typeof v === 'string' ? new Date(v) : v,
  ) as RegionFixture;

interface Call {
  api: string;
  input: Record<string, unknown>;
}

/** A LexModelsV2Client stand-in that answers each command by name from a fixture and records the calls. */
function fakeLex(f: RegionFixture, fail?: { api: string; error: Error }) {
  const calls: Call[] = [];
  const send = async (command: { input: Record<string, unknown> }) => {
    const api = command.constructor.name.replace(/Command$/, '');
    const input = command.input;
    calls.push({ api, input });
    if (fail?.api === api) throw fail.error;
    const r = f.responses[api];
    const byId = (key: string) => (r as Record<string, unknown>)[String(input[key])];
    const page = (pages: { nextToken?: string }[]) => {
      const i = input.nextToken === undefined ? 0 : pages.findIndex((p) => p.nextToken === input.nextToken) + 1;
      if (i < 0 || i >= pages.length) throw new Error(`${api}: unknown nextToken ${String(input.nextToken)}`);
      return pages[i];
    };
    let out: unknown;
    switch (api) {
      case 'DescribeSlotType':
        out = byId('slotTypeId');
        break;
      case 'DescribeIntent':
        out = byId('intentId');
        break;
      case 'DescribeSlot':
        out = byId('slotId');
        break;
      case 'ListSlots':
        out = page(byId('intentId') as { nextToken?: string }[]);
        break;
      case 'ListIntents':
      case 'ListSlotTypes':
        out = page(r as { nextToken?: string }[]);
        break;
      default:
        out = r;
    }
    if (out === undefined) throw Object.assign(new Error(`${api}: not found`), { name: 'ResourceNotFoundException' });
    return { $metadata: { httpStatusCode: 200 }, ...structuredClone(out as object) };
  };
  return { client: { send } as unknown as LexModelsV2Client, calls };
}

async function read(name: string): Promise<{ raw: RawBotModel; model: NormalisedBotModel }> {
  const f = fixture(name);
  const raw = await describeBotModel(fakeLex(f).client, f.ids);
  return { raw, model: normaliseBotModel(raw) };
}

const LABELS = ['us-east-1', 'us-west-2'] as const;

describe('describeBotModel', () => {
  it('reads the alias version, follows every page and describes each slot type, intent and slot', async () => {
    // Arrange: us-west-2 answers ListIntents in two pages and OrderFlowers' ListSlots in two pages.
    const f = fixture('us-west-2');
    const { client, calls } = fakeLex(f);

    // Act
    const raw = await describeBotModel(client, f.ids);

    // Assert: the call sequence, with the alias's version (1) in every versioned call.
    expect(calls.map((c) => `${c.api}${c.input.nextToken ? `(${String(c.input.nextToken)})` : ''}`)).toEqual([
      'DescribeBot',
      'DescribeBotAlias',
      'DescribeBotLocale',
      'ListSlotTypes',
      'DescribeSlotType',
      'ListIntents',
      'ListIntents(intents-p2)',
      'DescribeIntent',
      'ListSlots',
      'DescribeIntent',
      'ListSlots',
      'ListSlots(slots-INTW2ORDER-p2)',
      'DescribeSlot',
      'DescribeSlot',
      'DescribeSlot',
    ]);
    for (const c of calls.slice(2))
      expect(c.input).toMatchObject({ botId: 'ZXCVBN5678', botVersion: '1', localeId: 'en_US' });
    expect(raw.ids).toEqual({ botId: 'ZXCVBN5678', botAliasId: 'ALIASW5678', botVersion: '1', localeId: 'en_US' });
    expect(raw.intents.map((i) => [i.intent.intentName, i.slots.map((s) => s.slotName)])).toEqual([
      ['FallbackIntent', []],
      ['OrderFlowers', ['PickupTime', 'FlowerType', 'PickupDate']],
    ]);
    expect(raw.slotTypes.map((t) => t.slotTypeName)).toEqual(['FlowerTypes']);
    expect(JSON.stringify(raw)).not.toContain('$metadata');
  });

  it('reads the DRAFT version when no alias or version is given', async () => {
    const f = fixture('us-east-1');
    const { client, calls } = fakeLex(f);

    const raw = await describeBotModel(client, { botId: f.ids.botId, localeId: 'en_US' });

    expect(calls.map((c) => c.api)).not.toContain('DescribeBotAlias');
    expect(calls.find((c) => c.api === 'DescribeBotLocale')?.input.botVersion).toBe('DRAFT');
    expect(raw.ids.botVersion).toBe('DRAFT');
    expect(raw.alias).toBeUndefined();
  });

  it('names the call that failed and keeps the SDK error', async () => {
    const f = fixture('us-east-1');
    const denied = Object.assign(new Error('User is not authorized to perform: lex:DescribeIntent'), {
      name: 'AccessDeniedException',
    });
    const { client } = fakeLex(f, { api: 'DescribeIntent', error: denied });

    const err = await describeBotModel(client, f.ids).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(BotModelReadError);
    expect(err).toMatchObject({ name: 'BotModelReadError', api: 'DescribeIntent', cause: denied });
    expect((err as Error).message).toBe(
      'DescribeIntent failed: AccessDeniedException: User is not authorized to perform: lex:DescribeIntent',
    );
  });

  it('names the List call that failed while paging', async () => {
    const f = fixture('us-west-2');
    const { client } = fakeLex(f, {
      api: 'ListSlots',
      error: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    });

    await expect(describeBotModel(client, f.ids)).rejects.toMatchObject({ api: 'ListSlots' });
  });
});

describe('normaliseBotModel', () => {
  it('strips IDs, versions, timestamps, statuses and per-region ARNs', async () => {
    const { model } = await read('us-west-2');

    const text = JSON.stringify(model);
    for (const noise of [
      'ZXCVBN5678',
      'ALIASW5678',
      'INTW2ORDER',
      'SLTW2FLOWR',
      'TYPW2FLOWR',
      '2025-03-05',
      'us-west-2',
    ])
      expect(text).not.toContain(noise);
    for (const key of ['botStatus', 'botLocaleStatus', 'roleArn', 'lambdaARN', 'creationDateTime', 'botVersion'])
      expect(text).not.toContain(`"${key}"`);
  });

  it('refers to slots and slot types by name and keys intents, slots and values by name', async () => {
    const { model } = await read('us-west-2');

    const order = model.intents.OrderFlowers!;
    expect(Object.keys(model.intents)).toEqual(['FallbackIntent', 'OrderFlowers']);
    expect(order.slotPriorities).toEqual({ FlowerType: 1, PickupDate: 2, PickupTime: 3 });
    expect(order.slots).toMatchObject({
      FlowerType: { slotTypeName: 'FlowerTypes' },
      PickupDate: { slotTypeName: 'AMAZON.Date' },
      PickupTime: { slotTypeName: 'AMAZON.Time' },
    });
    expect(model.slotTypes.FlowerTypes?.slotTypeValues).toEqual({
      lilies: { synonyms: ['lily'] },
      roses: { synonyms: ['rose'] },
      tulips: { synonyms: ['tulip'] },
    });
    expect(order.sampleUtterances).toEqual([...(order.sampleUtterances as string[])].sort());
    expect(model.alias).toEqual({
      botAliasLocaleSettings: {
        en_US: { codeHookSpecification: { lambdaCodeHook: { codeHookInterfaceVersion: '1.0' } }, enabled: true },
      },
      botAliasName: 'live',
      sentimentAnalysisSettings: { detectSentiment: false },
    });
  });
});

describe('diffBotModels', () => {
  it('finds no drift between regions whose IDs, versions, timestamps and list orders differ', async () => {
    const [east, west] = await Promise.all([read('us-east-1'), read('us-west-2')]);
    expect(east.raw.ids.botVersion).not.toBe(west.raw.ids.botVersion);

    expect(diffBotModels(east.model, west.model, LABELS)).toEqual([]);
  });

  it('reports a changed prompt, an added utterance, a changed slot type value and a changed update setting', async () => {
    const [east, west] = await Promise.all([read('us-east-1'), read('us-west-2-drifted')]);

    const diff = diffBotModels(east.model, west.model, LABELS);

    expect(diff).toEqual([
      {
        path: 'intents.OrderFlowers.fulfillmentCodeHook.fulfillmentUpdatesSpecification.updateResponse.frequencyInSeconds',
        'us-east-1': 5,
        'us-west-2': 10,
      },
      { path: 'intents.OrderFlowers.sampleUtterances', 'us-east-1': null, 'us-west-2': 'I want to send flowers' },
      {
        path: 'intents.OrderFlowers.slots.FlowerType.valueElicitationSetting.promptSpecification.messageGroups[0].message.plainTextMessage.value',
        'us-east-1': 'What type of flowers would you like to order?',
        'us-west-2': 'Which flowers would you like?',
      },
      {
        path: 'slotTypes.FlowerTypes.slotTypeValues.orchids',
        'us-east-1': null,
        'us-west-2': { synonyms: ['orchid'] },
      },
      { path: 'slotTypes.FlowerTypes.slotTypeValues.roses', 'us-east-1': { synonyms: ['rose'] }, 'us-west-2': null },
    ]);
  });

  it('reports an intent present in one region only as one difference', async () => {
    const { model } = await read('us-east-1');
    const other = structuredClone(model);
    other.intents.CancelOrder = { description: 'Cancel an order', sampleUtterances: ['cancel my order'] };

    expect(diffBotModels(model, other, LABELS)).toEqual([
      {
        path: 'intents.CancelOrder',
        'us-east-1': null,
        'us-west-2': { description: 'Cancel an order', sampleUtterances: ['cancel my order'] },
      },
    ]);
  });

  it('quotes keys that are not plain names and indexes list items', () => {
    const a: NormalisedBotModel = {
      bot: {},
      locale: {},
      slotTypes: { Saints: { slotTypeValues: { "St. Patrick's": { synonyms: [] } } } },
      intents: { Hi: { messageGroups: [{ message: 'a' }] } },
    };
    const b = structuredClone(a);
    b.slotTypes.Saints!.slotTypeValues = { "St. Patrick's": { synonyms: ['Paddy'] } };
    b.intents.Hi!.messageGroups = [{ message: 'a' }, { message: 'b' }];

    expect(diffBotModels(a, b, ['a', 'b']).map((d) => d.path)).toEqual([
      'intents.Hi.messageGroups[1]',
      'slotTypes.Saints.slotTypeValues["St. Patrick\'s"].synonyms',
    ]);
  });

  it('refuses labels that are equal or collide with "path"', () => {
    const m: NormalisedBotModel = { bot: {}, locale: {}, slotTypes: {}, intents: {} };
    expect(() => diffBotModels(m, m, ['x', 'x'])).toThrow('must be two different non-empty names');
    expect(() => diffBotModels(m, m, ['path', 'x'])).toThrow('other than "path"');
  });
});

describe('formatBotDifferences', () => {
  it('prints each path with both values, absent values as (absent)', () => {
    const text = formatBotDifferences(
      [{ path: 'intents.OrderFlowers.sampleUtterances', 'us-east-1': null, 'us-west-2': 'I want to send flowers' }],
      LABELS,
    );

    expect(text).toBe(
      [
        'us-east-1 and us-west-2: 1 difference',
        '',
        'intents.OrderFlowers.sampleUtterances',
        '  us-east-1: (absent)',
        '  us-west-2: "I want to send flowers"',
      ].join('\n'),
    );
    expect(formatBotDifferences([], LABELS)).toBe('us-east-1 and us-west-2: no differences.');
  });
});

describe('diffAgainstDefinition', () => {
  it('finds the deployed bot equal to its definition, whatever defaults Lex added', async () => {
    const { model } = await read('us-east-1');

    expect(diffAgainstDefinition(orderFlowers(), model)).toEqual([]);
  });

  it('reports where a region departs from the definition', async () => {
    const { model } = await read('us-west-2-drifted');

    const diff = diffAgainstDefinition(orderFlowers(), model);

    expect(diff.map((d) => d.path)).toEqual([
      'intents.OrderFlowers.fulfillmentCodeHook.fulfillmentUpdatesSpecification.updateResponse.frequencyInSeconds',
      'intents.OrderFlowers.sampleUtterances',
      'intents.OrderFlowers.slots.FlowerType.valueElicitationSetting.promptSpecification.messageGroups[0].message.plainTextMessage.value',
      'slotTypes.FlowerTypes.slotTypeValues.orchids',
      'slotTypes.FlowerTypes.slotTypeValues.roses',
    ]);
    expect(diff[0]).toMatchObject({ definition: 5, deployed: 10 });
  });

  it('reports a definition change not deployed yet', async () => {
    const { model } = await read('us-east-1');

    const diff = diffAgainstDefinition(orderFlowers({ updates: { startResponse: { delayInSeconds: 3 } } }), model);

    expect(diff).toEqual([
      {
        path: 'intents.OrderFlowers.fulfillmentCodeHook.fulfillmentUpdatesSpecification.startResponse.delayInSeconds',
        definition: 3,
        deployed: 2,
      },
    ]);
  });

  it('compares the bot name with the name the bot was deployed under, when given', async () => {
    const { model } = await read('us-east-1');
    const deployed = { ...model, bot: { ...model.bot, botName: 'lexdr-OrderFlowers' } };

    expect(diffAgainstDefinition(orderFlowers(), deployed)).toEqual([
      { path: 'bot.botName', definition: 'OrderFlowers', deployed: 'lexdr-OrderFlowers' },
    ]);
    expect(diffAgainstDefinition(orderFlowers(), deployed, { botName: 'lexdr-OrderFlowers' })).toEqual([]);
  });
});

describe('lexdr bot diff', () => {
  const recorder = (env: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      isTTY: false,
      interactive: false,
      confirm: async () => false,
      progress: () => undefined,
      env,
      cwd: FIXTURES, // no .lexdr/local.json here
      now: () => new Date('2025-03-10T00:00:00Z'),
      sleep: async () => undefined,
    };
    return { io, out, err };
  };
  const deps = (byRegion: Record<string, string>, fail?: { api: string; error: Error }): BotDiffDeps => ({
    lexClient: (region) => {
      const { client } = fakeLex(fixture(byRegion[region]!), fail);
      return Object.assign(client, { destroy: () => undefined });
    },
    findIds: async (_bot, region) => ({ ...fixture(byRegion[region]!).ids, source: 'SSM /lexdr/bots/OrderFlowers/*' }),
    config: () => ({ regions: ['us-east-1', 'us-west-2'] }),
  });

  it('finds no drift between the two fixture regions and reports where the IDs came from', async () => {
    const { io } = recorder();

    const report = await botDiff({}, {}, io, deps({ 'us-east-1': 'us-east-1', 'us-west-2': 'us-west-2' }));

    expect(report.drift).toBe(false);
    expect(report.regions.map((r) => [r.region, r.botVersion])).toEqual([
      ['us-east-1', '3'],
      ['us-west-2', '1'],
    ]);
    expect(formatBotDiff(report)).toContain('No drift');
  });

  it('reports drift against the first region', async () => {
    const { io } = recorder();

    const report = await botDiff(
      { regions: 'us-east-1,us-west-2' },
      {},
      io,
      deps({ 'us-east-1': 'us-east-1', 'us-west-2': 'us-west-2-drifted' }),
    );

    expect(report.drift).toBe(true);
    expect(report.comparisons[0]?.differences).toHaveLength(5);
    expect(formatBotDiff(report)).toContain('DRIFT');
  });

  it('uses --ids and rejects malformed entries as usage errors', async () => {
    const { io } = recorder();
    const d = deps({ 'us-east-1': 'us-east-1', 'us-west-2': 'us-west-2' });

    const report = await botDiff({}, { ids: 'us-east-1=QWERTY1234/ALIASE1234,us-west-2=ZXCVBN5678/ALIASW5678' }, io, d);

    expect(report.regions.map((r) => r.source)).toEqual(['--ids', '--ids']);
    expect(() => parseIdsOption('us-east-1=QWERTY1234')).toThrow(UsageError);
    expect(() => parseIdsOption('useast=QWERTY1234/ALIASE1234')).toThrow('is not an AWS region');
  });

  it('turns a failed model-building call into exit 3 naming the region, the API and the permission', async () => {
    const { io } = recorder();
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });

    const err = await botDiff(
      {},
      {},
      io,
      deps({ 'us-east-1': 'us-east-1', 'us-west-2': 'us-west-2' }, { api: 'DescribeSlotType', error: denied }),
    ).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TargetNotFoundError);
    expect((err as TargetNotFoundError).exitCode).toBe(EXIT.notFound);
    expect((err as Error).message).toMatch(/^cannot read the bot in us-east-1: DescribeSlotType failed/);
    expect((err as Error).message).toContain('lex:DescribeSlotType');
  });

  it('exits 2 against the local system: the local Lex regions do not serve the model-building API', async () => {
    const { io, err } = recorder();

    const code = await run(['--local', 'bot', 'diff'], defaultContext(io));

    expect(code).toBe(EXIT.usage);
    expect(err.join('\n')).toContain('the local Lex regions do not serve');
  });
});
