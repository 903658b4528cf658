/**
 * Drift between two regions' bot models, and between a deployed model and the bot's definition in code: what is
 * reported, how paths are written, how the differences are printed. The models come from captured responses
 * (bot-drift-fixture.ts).
 */
import type { NormalisedBotModel } from '../../bot/drift';
import { diffAgainstDefinition, diffBotModels, formatBotDifferences } from '../../bot/drift';
import { orderFlowers } from '../../bot/order-flowers';
import { LABELS, read } from './bot-drift-fixture';

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
