/** The local Lex V1 runtime over HTTP with the real SDK v3 V1 client (`client-lex-runtime-service`). */
import type { LexRuntimeServiceClient } from '@aws-sdk/client-lex-runtime-service';
import {
  DeleteSessionCommand,
  GetSessionCommand,
  PostTextCommand,
  PutSessionCommand,
} from '@aws-sdk/client-lex-runtime-service';
import { orderFlowers } from '../../bot/order-flowers';
import { fulfillOrder } from '../../bot/fulfillment-core';
import type { LocalLexRegion } from '../../local/lex';
import { localBotIds, startLocalLexRegion } from '../../local/lex';
import { lexV1Client, quiet, texts } from './local-lex-fixture';

const definition = orderFlowers();
const SUCCESS = texts(
  definition.intents.find((i) => i.name === 'OrderFlowers')?.fulfillment?.postFulfillment?.successResponse
    ?.messageGroups,
);

let region: LocalLexRegion;
let client: LexRuntimeServiceClient;

beforeAll(async () => {
  region = await startLocalLexRegion({
    region: 'us-west-2',
    bots: [{ definition, ...localBotIds('us-west-2', 'OrderFlowers'), botName: 'OrderFlowers', botAlias: 'live' }],
    fulfill: (e) => fulfillOrder(e, { placeOrder: async () => ({ orderId: 'V1-ORDER' }), logger: quiet }),
    random: () => 0.99,
  });
  client = lexV1Client(region, 2000);
});

afterAll(async () => {
  client.destroy();
  await region.close();
});

let n = 0;
const user = () => ({ botName: 'OrderFlowers', botAlias: 'live', userId: `caller-${++n}` });
const post = (u: ReturnType<typeof user>, inputText: string) => client.send(new PostTextCommand({ ...u, inputText }));

describe('local Lex V1 runtime', () => {
  it('runs OrderFlowers over PostText to Fulfilled', async () => {
    const u = user();
    const first = await post(u, 'I would like to order some flowers');
    expect(first).toMatchObject({ intentName: 'OrderFlowers', dialogState: 'ElicitSlot', slotToElicit: 'FlowerType' });
    expect(first.message).toBe('What type of flowers would you like to order?');
    expect(first.nluIntentConfidence?.score).toBeGreaterThan(0.4);
    expect(first.sessionId).toBeTruthy();
    await post(u, 'lilies');
    await post(u, 'monday');
    const confirm = await post(u, 'noon');
    expect(confirm.dialogState).toBe('ConfirmIntent');
    expect(confirm.slots).toMatchObject({ FlowerType: 'lilies', PickupTime: '12:00' });
    const done = await post(u, 'yes please');
    expect(done.dialogState).toBe('Fulfilled');
    expect(SUCCESS).toContain(done.message);
    expect(done.sessionId).toBe(first.sessionId);
  });

  it('round-trips PutSession, GetSession and DeleteSession', async () => {
    const u = user();
    const put = await client.send(
      new PutSessionCommand({
        ...u,
        sessionAttributes: { probe: 'v1' },
        dialogAction: {
          type: 'ElicitSlot',
          intentName: 'OrderFlowers',
          slots: { FlowerType: 'roses' },
          slotToElicit: 'PickupDate',
        },
      }),
    );
    expect(put.dialogState).toBe('ElicitSlot');
    expect(put.intentName).toBe('OrderFlowers');
    expect(put.slotToElicit).toBe('PickupDate');
    // JSON headers come back base64-encoded; the SDK decodes them into JSON strings.
    expect(JSON.parse(String(put.slots))).toMatchObject({ FlowerType: 'roses', PickupDate: null });
    expect(JSON.parse(String(put.sessionAttributes))).toEqual({ probe: 'v1' });
    expect(Buffer.from(put.encodedMessage ?? '', 'base64').toString()).toBe(
      'What day do you want the roses to be picked up?',
    );

    const got = await client.send(new GetSessionCommand(u));
    expect(got.sessionAttributes).toEqual({ probe: 'v1' });
    expect(got.dialogAction).toMatchObject({
      type: 'ElicitSlot',
      intentName: 'OrderFlowers',
      slotToElicit: 'PickupDate',
    });
    expect(got.recentIntentSummaryView?.[0]).toMatchObject({
      intentName: 'OrderFlowers',
      dialogActionType: 'ElicitSlot',
    });

    const next = await post(u, 'tomorrow');
    expect(next.slotToElicit).toBe('PickupTime');

    const del = await client.send(new DeleteSessionCommand(u));
    expect(del).toMatchObject({
      botName: 'OrderFlowers',
      botAlias: 'live',
      userId: u.userId,
      sessionId: got.sessionId,
    });
    await expect(client.send(new GetSessionCommand(u))).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(region.stats()).toMatchObject({ 'V1.PutSession': 1, 'V1.GetSession': 2, 'V1.DeleteSession': 1 });
  });

  it('answers an unknown alias with NotFoundException and a bad user ID with BadRequestException', async () => {
    await expect(post({ ...user(), botAlias: 'gone' }, 'hello')).rejects.toMatchObject({
      name: 'NotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(post({ ...user(), userId: 'x' }, 'hello')).rejects.toMatchObject({
      name: 'BadRequestException',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
