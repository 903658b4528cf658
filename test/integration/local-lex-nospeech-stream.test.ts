/**
 * The `nospeech` fault on StartConversation (official SDK client, HTTP/2): an AUDIO conversation fails as under
 * `down` — refused at the start, ended with InternalServerException when the fault comes mid-stream — while a TEXT
 * conversation goes on answering.
 */
import { LPCM_8K, open, region, sayText, useStreamRegion } from './local-lex-stream-fixture';

useStreamRegion();

describe('StartConversation under nospeech', () => {
  it('refuses an AUDIO conversation with InternalServerException and serves a TEXT one', async () => {
    region.setFault({ mode: 'nospeech' });
    await expect(open({ mode: 'AUDIO', reply: LPCM_8K })).rejects.toMatchObject({
      name: 'InternalServerException',
      $metadata: { httpStatusCode: 500 },
    });
    const c = await open({ mode: 'TEXT' });
    const r = await sayText(c, 'I would like to order some flowers');
    expect(r.interpretations?.[0]?.intent?.name).toBe('OrderFlowers');
    expect(r.sessionState?.dialogAction?.slotToElicit).toBe('FlowerType');
    await c.close();
    expect(c.failure()).toBeUndefined();
  });

  it('ends a running AUDIO conversation with InternalServerException when speech recognition fails', async () => {
    const c = await open({ mode: 'AUDIO', reply: LPCM_8K });
    // A text turn proves the conversation runs before the fault.
    expect((await sayText(c, 'I would like to order some flowers')).sessionState?.intent?.name).toBe('OrderFlowers');
    region.setFault({ mode: 'nospeech' });
    await c.reading;
    expect(c.failure()).toMatchObject({ name: 'InternalServerException' });
    c.input.end();
  });

  it('leaves a running TEXT conversation answering', async () => {
    const c = await open({ mode: 'TEXT' });
    await sayText(c, 'I would like to order some flowers');
    region.setFault({ mode: 'nospeech' });
    expect((await sayText(c, 'roses')).sessionState?.dialogAction?.slotToElicit).toBe('PickupDate');
    await c.close();
    expect(c.failure()).toBeUndefined();
  });
});
