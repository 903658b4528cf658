import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseConfig } from '../../infra/config';
import { buildSettings } from '../../infra/settings';
import { createLookupHandler } from '../../core/lookup-handler';
import { SettingsError } from '../../core/errors';
import { parseLookupSettings } from '../../core/lookup-settings';
import type { LookupSettings } from '../../core/lookup-settings';
import {
  createSettingsLoader,
  parseSettings,
  readSettingsItem,
  settingsItem,
  settingsItemKey,
} from '../../core/settings';
import type { Settings } from '../../core/settings';
import { drTable } from '../../core/dr-table';

const ids = (region: string) => ({ botId: `BOT${region.length}XXXXXX`.slice(0, 10), botAliasId: 'ALIASXXXXX' });
const config = parseConfig({ connectRegions: ['us-east-1', 'us-west-2'] });
const east = buildSettings(config, (_b, r) => ids(r), '000000000000', 'aws', 'us-east-1');
const west = buildSettings(config, (_b, r) => ids(r), '000000000000', 'aws', 'us-west-2');

/** A table of items by key, counting reads; `fail` makes reads throw. */
function fakeTable(items: Record<string, Record<string, AttributeValue>>) {
  const t = {
    reads: 0,
    fail: null as Error | null,
    items,
    async getItem(key: string) {
      t.reads += 1;
      if (t.fail) throw t.fail;
      return t.items[key];
    },
  };
  return t;
}

describe('the settings item', () => {
  test('is keyed "<connectRegion>#settings" beside the lexDR item and round-trips the settings', () => {
    const item = settingsItem('us-east-1', JSON.stringify(east));
    expect(item.connectRegion).toEqual({ S: 'us-east-1#settings' });
    expect(readSettingsItem(item, 'us-east-1', parseSettings)).toEqual(east);
  });

  test("a missing item, a missing attribute or another region's settings are refused by name", () => {
    expect(() => readSettingsItem(undefined, 'us-east-1', parseSettings, 'lexDR')).toThrow(
      new SettingsError('no settings item "us-east-1#settings" in lexDR (the stack writes it on deploy)'),
    );
    expect(() => readSettingsItem({ connectRegion: { S: 'us-east-1#settings' } }, 'us-east-1', parseSettings)).toThrow(
      /has no string attribute "settings"/,
    );
    expect(() => readSettingsItem(settingsItem('us-east-1', JSON.stringify(west)), 'us-east-1', parseSettings)).toThrow(
      /is for Connect region us-west-2, not us-east-1/,
    );
    expect(() => readSettingsItem(settingsItem('us-east-1', '{"regions":'), 'us-east-1', parseSettings)).toThrow(
      /is not JSON/,
    );
  });

  test('each Connect region has its own settings, the same bots and regions', () => {
    expect(east.connectRegion).toBe('us-east-1');
    expect(west.connectRegion).toBe('us-west-2');
    expect(west.bots).toEqual(east.bots);
    expect(() => buildSettings(config, (_b, r) => ids(r), '000000000000', 'aws', 'eu-west-2')).toThrow(
      /connect region eu-west-2 is not one of connectRegions \(us-east-1, us-west-2\)/,
    );
  });
});

describe('the settings loader', () => {
  const setup = (maxAgeMs = 60_000) => {
    const table = fakeTable({ [settingsItemKey('us-east-1')]: settingsItem('us-east-1', JSON.stringify(east)) });
    let now = 0;
    const stale: unknown[] = [];
    const load = createSettingsLoader({
      getItem: (k) => table.getItem(k),
      connectRegion: 'us-east-1',
      parse: parseSettings,
      now: () => now,
      maxAgeMs,
      onStale: (e) => stale.push(e),
    });
    return { table, load, stale, advance: (ms: number) => (now += ms) };
  };

  test('reads once, then answers from memory until the settings are a minute old', async () => {
    const { table, load, advance } = setup();
    const first = await load();
    expect(first).toEqual(east);
    advance(59_999);
    expect(await load()).toBe(first);
    expect(table.reads).toBe(1);
    advance(1);
    expect(await load()).toBe(first); // unchanged settings keep their identity
    expect(table.reads).toBe(2);
  });

  test('concurrent first calls share one read', async () => {
    const { table, load } = setup();
    const all = await Promise.all([load(), load(), load()]);
    expect(table.reads).toBe(1);
    expect(new Set(all).size).toBe(1);
  });

  test('a deploy that changes the settings reaches a warm function within the minute', async () => {
    const { table, load, advance } = setup();
    await load();
    const more: Settings = { ...east, failThreshold: 5 };
    table.items[settingsItemKey('us-east-1')] = settingsItem('us-east-1', JSON.stringify(more));
    advance(60_000);
    expect((await load()).failThreshold).toBe(5);
  });

  test('a failed re-read keeps the last settings, says so, and is retried a minute later', async () => {
    const { table, load, stale, advance } = setup();
    const first = await load();
    table.fail = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    advance(60_000);
    expect(await load()).toBe(first);
    expect(stale).toHaveLength(1);
    expect(await load()).toBe(first);
    expect(table.reads).toBe(2); // not retried on every call
    advance(60_000);
    await load();
    expect(table.reads).toBe(3);
  });

  test('a first read that fails throws (nothing to fall back on)', async () => {
    const { table, load } = setup();
    table.fail = new Error('connection refused');
    await expect(load()).rejects.toThrow('connection refused');
    table.fail = null;
    await expect(load()).resolves.toEqual(east);
  });
});

describe('the lookup without its settings', () => {
  test('fails (so the flow uses its deployed aliases) while the settings are unreadable, and recovers when they can be read', async () => {
    let fail = true;
    const lookup = createLookupHandler({
      // Never reached while the settings are unreadable; refuses connections otherwise.
      table: drTable(
        new DynamoDBClient({
          endpoint: 'http://127.0.0.1:9',
          region: 'us-east-1',
          maxAttempts: 1,
          credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        }),
        'lexDR',
      ),
      settingsFromTable: {
        connectRegion: 'us-east-1',
        regions: ['us-east-1', 'us-west-2'],
        loadSettings: async () => {
          if (fail) throw Object.assign(new Error('hung'), { name: 'TimeoutError' });
          return east;
        },
      },
    });
    const event = { Details: { Parameters: {} } };
    // It knows no alias ARN to answer: it fails, and the contact flow connects the caller by its deployed aliases.
    await expect(lookup(event)).rejects.toMatchObject({
      name: 'SettingsUnavailableError',
      message: expect.stringContaining('unreadable (TimeoutError)'),
    });
    fail = false;
    const answer = await lookup(event);
    expect(answer.botName).toBe('OrderFlowers');
    expect(answer.botAliasArn).toBe(east.bots[0]!.regions['us-east-1']!.botAliasArn);
    // The table is unreachable here: the settings are known, the lexDR item is not.
    expect(answer.lexRegion).toBe('us-east-1');
    expect(answer.detail).toMatch(/lexDR unreadable/);
  });
});

describe("the lookup's part of the settings", () => {
  test('is what the lookup answers from, read out of the whole settings (every Settings is one)', () => {
    const part: LookupSettings = east; // a type check: the whole settings are a lookup's settings
    expect(parseLookupSettings(JSON.parse(JSON.stringify(part)))).toEqual({
      connectRegion: east.connectRegion,
      regions: east.regions,
      bots: east.bots.map((b) => ({
        name: b.name,
        localeId: b.localeId,
        regions: Object.fromEntries(Object.entries(b.regions).map(([r, ids]) => [r, { botAliasArn: ids.botAliasArn }])),
      })),
      failThreshold: east.failThreshold,
      lookupCacheSeconds: east.lookupCacheSeconds,
    });
  });

  test('a field only the health check reads cannot stop the lookup', () => {
    const broken = { ...east, cadenceSeconds: 0, probe: { ...east.probe, method: 'telepathy' } };
    expect(() => parseSettings(broken)).toThrow(/cadenceSeconds: got 0.*probe\.method: got "telepathy"/);
    expect(parseLookupSettings(broken).regions).toEqual(east.regions);
  });

  test.each<[string, Record<string, unknown>]>([
    ['connectRegion empty', { connectRegion: '' }],
    ['one region', { regions: ['us-east-1'] }],
    ['a blank region', { regions: ['us-east-1', ''] }],
    ['no bots', { bots: [] }],
    ['a bot without a locale', { bots: [{ ...east.bots[0]!, localeId: '' }] }],
    [
      'a bot missing a region',
      { bots: [{ ...east.bots[0]!, regions: { 'us-east-1': east.bots[0]!.regions['us-east-1'] } }] },
    ],
    [
      'a blank alias ARN',
      {
        bots: [
          {
            ...east.bots[0]!,
            regions: {
              ...east.bots[0]!.regions,
              'us-west-2': { ...east.bots[0]!.regions['us-west-2']!, botAliasArn: '' },
            },
          },
        ],
      },
    ],
    ['failThreshold 0', { failThreshold: 0 }],
    ['failThreshold 1.5', { failThreshold: 1.5 }],
    ['failThreshold "2"', { failThreshold: '2' }],
    ['lookupCacheSeconds −1', { lookupCacheSeconds: -1 }],
    ['lookupCacheSeconds missing', { lookupCacheSeconds: undefined }],
  ])('%s: refused by the lookup with the same message as by the health check', (_name, change) => {
    const bad = { ...east, ...change };
    const message = (parse: (x: unknown) => unknown) => {
      try {
        parse(bad);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(message(parseSettings)).not.toBe('accepted');
    expect(message(parseLookupSettings)).toBe(message(parseSettings));
  });
});
