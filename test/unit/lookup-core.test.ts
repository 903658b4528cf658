import { marshall } from '@aws-sdk/util-dynamodb';
import { createLookup } from '../../core/lookup-core';
import { settingsFor } from './settings-fixture';

const settings = settingsFor(['us-east-1', 'us-west-2'], { lookupCacheSeconds: 5 });
/** The alias ARN the settings give the bot in region `r`. */
const arn = (r: string) => settings.bots[0]!.regions[r]!.botAliasArn;
const event = (Parameters: Record<string, unknown> = {}) => ({
  Name: 'ContactFlowEvent',
  Details: { ContactData: {}, Parameters },
});
const item = (lexRegion: string, extra: Record<string, unknown> = {}) =>
  marshall({ connectRegion: 'us-east-1', lexRegion, ...extra });

function setup(read: () => Promise<ReturnType<typeof item> | undefined>) {
  let t = 0;
  const getItem = jest.fn(read);
  const lookup = createLookup({ settings, getItem, now: () => t, readTimeoutMs: 50 });
  return { lookup, getItem, advance: (ms: number) => (t += ms) };
}

describe('lookup core', () => {
  it('answers the active region, its alias ARN and the other region as fallback, as flat strings', async () => {
    const { lookup } = setup(async () => item('us-west-2'));
    const a = await lookup(event({ region: 'us-east-1' }));
    expect(a).toEqual({
      lexRegion: 'us-west-2',
      primaryCode: 'us-west-2',
      connectRegion: 'us-east-1',
      botName: 'OrderFlowers',
      botAliasArn: arn('us-west-2'),
      localeId: 'en_US',
      fallbackRegion: 'us-east-1',
      fallbackBotAliasArn: arn('us-east-1'),
      status: 'ok',
      detail: '',
    });
    expect(Object.values(a).every((v) => typeof v === 'string')).toBe(true);
  });

  it('caches the item for lookupCacheSeconds', async () => {
    const { lookup, getItem, advance } = setup(async () => item('us-east-1'));
    await lookup(event());
    advance(4000);
    await lookup(event());
    expect(getItem).toHaveBeenCalledTimes(1);
    advance(2000);
    await lookup(event());
    expect(getItem).toHaveBeenCalledTimes(2);
  });

  it('says err with no alias when no region is healthy', async () => {
    const { lookup } = setup(async () => item('err'));
    const a = await lookup(event());
    expect(a).toMatchObject({
      lexRegion: 'err',
      primaryCode: 'err',
      status: 'err',
      botAliasArn: '',
      fallbackBotAliasArn: '',
    });
  });

  it('answers the primary with status default when the item is missing', async () => {
    const { lookup } = setup(async () => undefined);
    expect(await lookup(event())).toMatchObject({ lexRegion: 'us-east-1', status: 'default' });
  });

  it('answers the last known region (stale) when the table fails, else the primary (default)', async () => {
    let fail = false;
    const { lookup, advance } = setup(async () => {
      if (fail) throw Object.assign(new Error('boom'), { name: 'InternalServerError' });
      return item('us-west-2');
    });
    const fresh = setup(async () => {
      throw new Error('unreachable');
    });
    expect(await fresh.lookup(event())).toMatchObject({ lexRegion: 'us-east-1', status: 'default' });
    await lookup(event());
    fail = true;
    advance(10_000);
    expect(await lookup(event())).toMatchObject({ lexRegion: 'us-west-2', status: 'stale' });
  });

  it('bounds a hanging table read and still answers', async () => {
    const { lookup } = setup(() => new Promise(() => undefined));
    const started = Date.now();
    const a = await lookup(event());
    expect(a).toMatchObject({ lexRegion: 'us-east-1', status: 'default' });
    expect(a.detail).toContain('LookupTimeoutError');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('in a table brownout answers from the last known item without reading, retrying once per cache period', async () => {
    let hang = false;
    const { lookup, getItem, advance } = setup(() =>
      hang ? new Promise(() => undefined) : Promise.resolve(item('us-west-2')),
    );
    await expect(lookup(event())).resolves.toMatchObject({ lexRegion: 'us-west-2', status: 'ok' });
    hang = true;
    advance(5_000); // the cache expired: this call pays the bounded read once
    await expect(lookup(event())).resolves.toMatchObject({ lexRegion: 'us-west-2', status: 'stale' });
    expect(getItem).toHaveBeenCalledTimes(2);
    // Calls within the next cache period answer the last known region at once, without touching the table.
    for (let i = 0; i < 20; i += 1) {
      advance(200);
      const started = Date.now();
      const a = await lookup(event());
      expect(Date.now() - started).toBeLessThan(50);
      expect(a).toMatchObject({ lexRegion: 'us-west-2', status: 'stale' });
    }
    expect(getItem).toHaveBeenCalledTimes(2);
    advance(1_000); // a cache period after the failure: one call tries the table again
    hang = false;
    await expect(lookup(event())).resolves.toMatchObject({ lexRegion: 'us-west-2', status: 'ok' });
    expect(getItem).toHaveBeenCalledTimes(3);
  });

  it.each([
    ['not an object', 'hello'],
    ['no Details', { Name: 'ContactFlowEvent' }],
    ['unknown bot', event({ bot: 'Nope' })],
    ['foreign Connect region', event({ region: 'eu-west-1' })],
    ['null', null],
  ])('gives a safe answer with status bad-input for %s', async (_n, ev) => {
    const { lookup } = setup(async () => item('us-west-2'));
    const a = await lookup(ev);
    expect(a.status).toBe('bad-input');
    expect(settings.regions).toContain(a.lexRegion);
    expect(a.botAliasArn).toBe(arn(a.lexRegion));
  });

  it('never answers a region that is not configured', async () => {
    const { lookup } = setup(async () => item('ap-south-1'));
    expect((await lookup(event())).lexRegion).toBe('us-east-1');
  });
});
