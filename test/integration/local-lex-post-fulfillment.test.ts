/**
 * The post-fulfillment rules of the seed, over RecognizeText with the real SDK client: a timeout or a failure
 * whose response is inactive is an exception (DependencyFailedException), not silence; an inactive success
 * response lets the closing response speak; with progress updates off the timeout is Lex's default 30 s.
 * Bot time runs 100× faster than the wall clock.
 */
import type { LexRuntimeV2Client } from '@aws-sdk/client-lex-runtime-v2';
import { RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import type { BotDefinition } from '../../bot/definition';
import { orderFlowers } from '../../bot/order-flowers';
import { OrderBackendError, fulfillOrder } from '../../bot/fulfillment-core';
import type { LocalLexRegion } from '../../local/lex';
import { localBotIds, scaledTimer, startLocalLexRegion } from '../../local/lex';
import { lexV2Client, quiet } from './local-lex-fixture';

const withClosing = (d: BotDefinition): BotDefinition => {
  const intent = d.intents.find((i) => i.name === 'OrderFlowers')!;
  intent.closingResponse = {
    active: true,
    messageGroups: [{ message: 'Goodbye.', variations: [] }],
    allowInterrupt: true,
  };
  return d;
};
const bots = {
  NoFailureMsg: orderFlowers({ botName: 'NoFailureMsg', postFulfillment: { failureResponse: { active: false } } }),
  NoSuccessMsg: withClosing(
    orderFlowers({ botName: 'NoSuccessMsg', postFulfillment: { successResponse: { active: false } } }),
  ),
  NoUpdates: orderFlowers({ botName: 'NoUpdates', updates: { active: false } }),
};
type Name = keyof typeof bots;

let region: LocalLexRegion;
let client: LexRuntimeV2Client;
let placeOrder: () => Promise<{ orderId: string }> = async () => ({ orderId: 'ORD-1' });

beforeAll(async () => {
  region = await startLocalLexRegion({
    region: 'us-east-1',
    bots: (Object.keys(bots) as Name[]).map((name) => ({
      definition: bots[name],
      ...localBotIds('us-east-1', name),
      botName: name,
      botAlias: 'live',
    })),
    fulfill: (e) => fulfillOrder(e, { placeOrder: () => placeOrder(), logger: quiet }),
    timer: scaledTimer(100),
  });
  client = lexV2Client(region);
});
afterAll(async () => {
  client.destroy();
  await region.close();
});
beforeEach(() => {
  placeOrder = async () => ({ orderId: 'ORD-1' });
  region.setFulfillmentDelay('OrderFlowers', undefined);
});

let n = 0;
async function order(bot: Name) {
  const s = { ...localBotIds('us-east-1', bot), localeId: 'en_US', sessionId: `post-${++n}` };
  for (const text of ['I would like to order some flowers', 'roses', 'tomorrow', '5:30 pm'])
    await client.send(new RecognizeTextCommand({ ...s, text }));
  return client.send(new RecognizeTextCommand({ ...s, text: 'yes' }));
}

test('a failed fulfillment with no active failure response is a DependencyFailedException (424)', async () => {
  placeOrder = async () => {
    throw new OrderBackendError('the florist is closed');
  };
  await expect(order('NoFailureMsg')).rejects.toMatchObject({
    name: 'DependencyFailedException',
    $metadata: { httpStatusCode: 424 },
  });
});

test('a successful fulfillment with an inactive success response goes on to the closing response', async () => {
  const r = await order('NoSuccessMsg');
  expect(r.sessionState?.intent?.state).toBe('Fulfilled');
  expect(r.messages?.map((m) => m.content)).toEqual(['Goodbye.']);
});

test('with progress updates off, a fulfillment times out at the default 30 s with the timeout response', async () => {
  region.setFulfillmentDelay('OrderFlowers', 40_000);
  const started = Date.now();
  const r = await order('NoUpdates');
  expect(r.sessionState?.intent?.state).toBe('Failed');
  expect(r.messages?.[0]?.content).toMatch(/too long|slow/i);
  // 30 s of bot time is 300 ms of wall clock: the 40 s delay was cut at the default timeout.
  expect(Date.now() - started).toBeLessThan(400 + 2000);
  expect(region.progress().filter((p) => p.kind === 'start')).toHaveLength(0);
});
