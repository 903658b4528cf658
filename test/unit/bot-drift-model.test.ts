/**
 * Reading a deployed bot's model through the Lex model-building API (a stand-in answering from captured responses,
 * bot-drift-fixture.ts): the calls made, paging, the error naming the call that failed; and normalising it to what
 * drift is judged on.
 */
import { BotModelReadError, describeBotModel } from '../../bot/drift';
import { fakeLex, fixture, read } from './bot-drift-fixture';

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
