import type { BotDefinition, MessageGroup } from '../../bot/definition';
import { BotDefinitionError, oneOf, parseBotDefinition } from '../../bot/definition';
import { orderFlowers, orderFlowersInput } from '../../bot/order-flowers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A mutable copy of the OrderFlowers input for breaking one thing at a time. */
const input = (): Json => structuredClone(orderFlowersInput()) as Json;
const orderIntent = (def: Json): Json => def.intents.find((i: Json) => i.name === 'OrderFlowers');

function issuesOf(def: unknown): readonly string[] {
  try {
    parseBotDefinition(def);
  } catch (e) {
    if (e instanceof BotDefinitionError) return e.issues;
    throw e;
  }
  throw new Error('expected the definition to be rejected');
}

describe('OrderFlowers definition', () => {
  it('is valid and carries the sample intent, slots, prompts and FallbackIntent', () => {
    const def = orderFlowers();
    const intent = def.intents.find((i) => i.name === 'OrderFlowers');
    expect(intent?.sampleUtterances).toEqual(
      expect.arrayContaining(['I would like to pick up flowers', 'I would like to order some flowers']),
    );
    expect(intent?.slots.map((s) => [s.name, s.slotTypeName])).toEqual([
      ['FlowerType', 'FlowerTypes'],
      ['PickupDate', 'AMAZON.Date'],
      ['PickupTime', 'AMAZON.Time'],
    ]);
    expect(intent?.slots[1]?.prompt.messageGroups[0]?.message).toBe(
      'What day do you want the {FlowerType} to be picked up?',
    );
    expect(intent?.confirmation?.declinationResponse.messageGroups[0]?.message).toBe(
      'Okay, I will not place your order.',
    );
    expect(def.slotTypes[0]?.values.map((v) => v.value)).toEqual(['tulips', 'lilies', 'roses']);
    expect(def.intents.find((i) => i.name === 'FallbackIntent')?.parentIntentSignature).toBe('AMAZON.FallbackIntent');
  });

  it('turns fulfillment progress updates on with 2 s start, 5 s updates, 30 s timeout; each outcome one group of ≥2 alternatives', () => {
    const f = orderFlowers().intents.find((i) => i.name === 'OrderFlowers')?.fulfillment;
    expect(f?.updates).toMatchObject({
      active: true,
      startResponse: { delayInSeconds: 2 },
      updateResponse: { frequencyInSeconds: 5 },
      timeoutInSeconds: 30,
    });
    for (const r of [
      f?.postFulfillment?.successResponse,
      f?.postFulfillment?.failureResponse,
      f?.postFulfillment?.timeoutResponse,
    ]) {
      // Lex says one message of every group: alternatives are the variations of one group.
      expect(r?.messageGroups).toHaveLength(1);
      expect(r?.messageGroups[0]?.variations.length).toBeGreaterThanOrEqual(1);
    }
    // Progress updates are the exception (Lex picks one message among the groups): several choices there.
    expect(f?.updates?.startResponse?.messageGroups.length).toBeGreaterThanOrEqual(2);
    expect(f?.updates?.updateResponse?.messageGroups.length).toBeGreaterThanOrEqual(2);
  });

  it('says one thing per turn: every prompt and response (progress updates aside) is a single message group', () => {
    const played = playedGroups(orderFlowers());
    expect(Object.keys(played)).toEqual([
      'OrderFlowers.slots.FlowerType.prompt',
      'OrderFlowers.slots.PickupDate.prompt',
      'OrderFlowers.slots.PickupTime.prompt',
      'OrderFlowers.confirmation.prompt',
      'OrderFlowers.confirmation.declinationResponse',
      'OrderFlowers.fulfillment.postFulfillment.successResponse',
      'OrderFlowers.fulfillment.postFulfillment.failureResponse',
      'OrderFlowers.fulfillment.postFulfillment.timeoutResponse',
      'FallbackIntent.closingResponse',
    ]);
    expect(Object.entries(played).filter(([, groups]) => groups.length !== 1)).toEqual([]);
  });

  it('oneOf writes alternatives as one group: a message and its variations', () => {
    expect(oneOf('Thanks.', 'Done.', 'All set.')).toEqual({ message: 'Thanks.', variations: ['Done.', 'All set.'] });
    expect(oneOf('Thanks.')).toEqual({ message: 'Thanks.', variations: [] });
    const def = input();
    orderIntent(def).fulfillment.postFulfillment.successResponse.messageGroups = [oneOf('a', 'b', 'c', 'd')];
    expect(issuesOf(def)).toEqual([
      'intents.OrderFlowers.fulfillment.postFulfillment.successResponse.messageGroups.0.variations: got 3 item(s); must be 0–2 variations',
    ]);
  });

  it('applies overrides and leaves the defaults of later calls untouched', () => {
    const custom = orderFlowers({
      botName: 'OrderFlowersEU',
      updates: { timeoutInSeconds: 60 },
      nluConfidenceThreshold: 0.7,
    });
    expect(custom.bot.name).toBe('OrderFlowersEU');
    expect(custom.locale.nluConfidenceThreshold).toBe(0.7);
    expect(custom.intents[0]?.fulfillment?.updates?.timeoutInSeconds).toBe(60);
    expect(orderFlowers().intents[0]?.fulfillment?.updates?.timeoutInSeconds).toBe(30);
  });

  it('rejects an out-of-range override with a BotDefinitionError', () => {
    expect(() => orderFlowers({ updates: { startResponse: { delayInSeconds: 0 } } })).toThrow(
      'intents.OrderFlowers.fulfillment.updates.startResponse.delayInSeconds: got 0; must be 1–900',
    );
  });
});

/** The message groups of every prompt and response Lex plays in full (one message per group), by where they are. */
function playedGroups(def: BotDefinition): Record<string, MessageGroup[]> {
  const out: Record<string, MessageGroup[]> = {};
  for (const i of def.intents) {
    for (const s of i.slots) out[`${i.name}.slots.${s.name}.prompt`] = s.prompt.messageGroups;
    if (i.confirmation) {
      out[`${i.name}.confirmation.prompt`] = i.confirmation.prompt.messageGroups;
      out[`${i.name}.confirmation.declinationResponse`] = i.confirmation.declinationResponse.messageGroups;
    }
    const post = i.fulfillment?.postFulfillment;
    for (const k of ['successResponse', 'failureResponse', 'timeoutResponse'] as const)
      if (post?.[k]) out[`${i.name}.fulfillment.postFulfillment.${k}`] = post[k].messageGroups;
    if (i.closingResponse) out[`${i.name}.closingResponse`] = i.closingResponse.messageGroups;
  }
  return out;
}

describe('parseBotDefinition errors name the path, the value received and the valid range', () => {
  it('fulfillment timeout above 900 s', () => {
    const def = input();
    orderIntent(def).fulfillment.updates.timeoutInSeconds = 1200;
    expect(issuesOf(def)).toEqual([
      'intents.OrderFlowers.fulfillment.updates.timeoutInSeconds: got 1200; must be 1–900',
    ]);
  });

  it('update frequency of 0 s', () => {
    const def = input();
    orderIntent(def).fulfillment.updates.updateResponse.frequencyInSeconds = 0;
    expect(issuesOf(def)).toEqual([
      'intents.OrderFlowers.fulfillment.updates.updateResponse.frequencyInSeconds: got 0; must be 1–900',
    ]);
  });

  it('six message groups in a post-fulfillment response', () => {
    const def = input();
    orderIntent(def).fulfillment.postFulfillment.successResponse.messageGroups = Array.from({ length: 6 }, (_, n) => ({
      message: `m${n}`,
    }));
    expect(issuesOf(def)).toEqual([
      'intents.OrderFlowers.fulfillment.postFulfillment.successResponse.messageGroups: got 6 item(s); must be 1–5 message groups',
    ]);
  });

  it('three variations in a message group', () => {
    const def = input();
    orderIntent(def).fulfillment.postFulfillment.failureResponse.messageGroups[0].variations = ['a', 'b', 'c'];
    expect(issuesOf(def)).toEqual([
      'intents.OrderFlowers.fulfillment.postFulfillment.failureResponse.messageGroups.0.variations: got 3 item(s); must be 0–2 variations',
    ]);
  });

  it('confidence threshold above 1 and an idle TTL below 60 s', () => {
    const def = input();
    def.locale.nluConfidenceThreshold = 1.5;
    def.bot.idleSessionTTLInSeconds = 10;
    expect(issuesOf(def)).toEqual([
      'bot.idleSessionTTLInSeconds: got 10; must be 60–86400',
      'locale.nluConfidenceThreshold: got 1.5; must be 0–1',
    ]);
  });

  it('a missing FallbackIntent', () => {
    const def = input();
    def.intents = def.intents.filter((i: Json) => i.name !== 'FallbackIntent');
    expect(issuesOf(def).join('\n')).toMatch(/^intents: got 1 item\(s\); must contain FallbackIntent/);
  });

  it('a prompt placeholder that names no slot, and an undefined slot type', () => {
    const def = input();
    orderIntent(def).slots[1].prompt.messageGroups[0].message = 'When do you want the {Colour} ones?';
    orderIntent(def).slots[0].slotTypeName = 'Colours';
    expect(issuesOf(def)).toEqual([
      'intents.OrderFlowers.slots.FlowerType.slotTypeName: got "Colours"; must be a slot type defined in slotTypes (FlowerTypes) or AMAZON.*',
      'intents.OrderFlowers.slots.PickupDate.prompt.messageGroups.0.message: got "When do you want the {Colour} ones?"; placeholder {Colour} must name a slot of this intent (FlowerType, PickupDate, PickupTime)',
    ]);
  });

  it('a start delay not shorter than the timeout', () => {
    const def = input();
    orderIntent(def).fulfillment.updates.startResponse.delayInSeconds = 30;
    expect(issuesOf(def)).toEqual([
      'intents.OrderFlowers.fulfillment.updates.startResponse.delayInSeconds: got 30; must be less than timeoutInSeconds (30)',
    ]);
  });

  it('a bad resolution strategy', () => {
    const def = input();
    def.slotTypes[0].resolutionStrategy = 'Best';
    expect(issuesOf(def)).toEqual([
      'slotTypes.FlowerTypes.resolutionStrategy: got "Best"; must be "ORIGINAL_VALUE" or "TOP_RESOLUTION"',
    ]);
  });
});
