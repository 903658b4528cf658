/**
 * The bridge's settings come from the settings item of the DR table, as every function's do: read at start (a
 * bridge that cannot read them does not start), re-read at most once a minute, the last ones kept when a re-read
 * fails or cannot serve the bridge's bot; the per-call lookup is rebuilt only when the settings changed.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DrTable } from '../../core/dr-table';
import { drTableSettings } from '../../core/dr-table';
import { SettingsError } from '../../core/errors';
import type { LookupAnswer } from '../../core/lookup-core';
import type { Settings } from '../../core/settings';
import { parseSettings, settingsItem } from '../../core/settings';
import { bridgeRouting } from '../../twilio/bridge-settings';

const bot = (name: string) => ({
  name,
  localeId: 'en_US',
  regions: {
    'us-east-1': { botId: 'BOT1', botAliasId: 'AL1', botAliasArn: 'arn:aws:lex:us-east-1:1:bot-alias/BOT1/AL1' },
    'us-west-2': { botId: 'BOT2', botAliasId: 'AL2', botAliasArn: 'arn:aws:lex:us-west-2:1:bot-alias/BOT2/AL2' },
  },
});
const settings: Settings = {
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  bots: [bot('OrderFlowers')],
  failThreshold: 2,
  recoverThreshold: 3,
  cadenceSeconds: 10,
  cyclesPerExecution: 6,
  nluEveryCycles: 0,
  probe: { method: 'liveness', utterance: 'x', expectedIntent: 'X', timeoutMs: 1000, latencyBudgetMs: 500 },
  lookupCacheSeconds: 5,
};

/** A DR table holding one settings item (or none, or failing), read through the real settings loader. */
function fixture(initial: Settings | undefined) {
  let clock = 0;
  let item: Record<string, AttributeValue> | undefined = initial && settingsItem('us-east-1', JSON.stringify(initial));
  let failing: Error | undefined;
  const reads: string[] = [];
  const table: DrTable = {
    tableName: 'lexDR',
    getItem: async (key) => {
      reads.push(key);
      if (failing) throw failing;
      return item;
    },
    putItem: async () => {
      throw new Error('the bridge never writes the DR table');
    },
  };
  const rejected: unknown[] = [];
  const built: Settings[] = [];
  const start = (botName?: string) =>
    bridgeRouting({
      loadSettings: drTableSettings(table, { connectRegion: 'us-east-1', parse: parseSettings, now: () => clock }),
      source: 'item "us-east-1#settings" of lexDR',
      ...(botName !== undefined && { botName }),
      lookup: (s) => {
        built.push(s);
        return async () => ({ lexRegion: s.regions[0] }) as LookupAnswer;
      },
      onRejected: (err) => rejected.push(err),
    });
  return {
    start,
    reads,
    rejected,
    built,
    advance: (ms: number) => (clock += ms),
    write: (s: Settings) => (item = settingsItem('us-east-1', JSON.stringify(s))),
    fail: (err: Error | undefined) => (failing = err),
  };
}

test('the settings item is read at start; the bot defaults to the first of the settings', async () => {
  const f = fixture(settings);
  const routing = await f.start();
  expect(f.reads).toEqual(['us-east-1#settings']);
  expect(routing.botName).toBe('OrderFlowers');
  const now = await routing.current();
  expect(now.settings).toEqual(settings);
  expect(await now.lookup({})).toMatchObject({ lexRegion: 'us-east-1' });
});

test('settings changed by a deploy are used after at most a minute, with a lookup built from them', async () => {
  const f = fixture(settings);
  const routing = await f.start();
  const before = await routing.current();
  f.write({ ...settings, regions: ['us-west-2', 'us-east-1'] });
  f.advance(59_000);
  expect(await routing.current()).toBe(before);
  expect(f.reads).toHaveLength(1);
  f.advance(1_000);
  const after = await routing.current();
  expect(after.settings.regions).toEqual(['us-west-2', 'us-east-1']);
  expect(await after.lookup({})).toMatchObject({ lexRegion: 'us-west-2' });
  // One lookup per settings: unchanged settings re-read a minute later keep the lookup (and its cached item).
  f.advance(60_000);
  expect(await routing.current()).toBe(after);
  expect(f.reads).toHaveLength(3);
  expect(f.built.map((s) => s.regions[0])).toEqual(['us-east-1', 'us-west-2']);
});

test('a re-read that fails keeps the last settings', async () => {
  const f = fixture(settings);
  const routing = await f.start();
  const before = await routing.current();
  f.fail(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
  f.advance(60_000);
  expect(await routing.current()).toBe(before);
  expect(f.reads).toHaveLength(2);
});

test('a bridge that cannot read its settings does not start, and says why', async () => {
  await expect(fixture(undefined).start()).rejects.toThrow(SettingsError);
  await expect(fixture(undefined).start()).rejects.toThrow(
    /cannot read the bridge's settings \(item "us-east-1#settings" of lexDR\): SettingsError: no settings item "us-east-1#settings" in lexDR/,
  );
  const f = fixture(settings);
  f.fail(Object.assign(new Error('not authorized to perform: dynamodb:GetItem'), { name: 'AccessDeniedException' }));
  await expect(f.start()).rejects.toThrow(/AccessDeniedException: not authorized to perform: dynamodb:GetItem/);
  const other = fixture({ ...settings, connectRegion: 'us-west-2' });
  await expect(other.start()).rejects.toThrow(/is for Connect region us-west-2, not us-east-1/);
});

test('a bot the settings do not have is refused at start, and re-read settings without it are not used', async () => {
  await expect(fixture(settings).start('Pizza')).rejects.toThrow(/LEXDR_BOT: got "Pizza"; must be one of OrderFlowers/);
  const f = fixture({ ...settings, bots: [bot('OrderFlowers'), bot('Pizza')] });
  const routing = await f.start('Pizza');
  const before = await routing.current();
  f.write(settings);
  f.advance(60_000);
  expect(await routing.current()).toBe(before);
  expect(await routing.current()).toBe(before);
  expect(f.rejected).toHaveLength(1);
  expect(String(f.rejected[0])).toMatch(/LEXDR_BOT: got "Pizza"; must be one of OrderFlowers/);
});
