/**
 * The lookup as it is deployed: bundled as the stack bundles it and run in a fresh node process against a local
 * table. Its cold start stays light (zod's functional API, only the lookup's part of the settings, no logger until
 * something is wrong) and its inputs are still validated at the edge, with messages naming what is wrong.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { bundleLookup } from '../../bench/lib/lookup';
import { parseConfig } from '../../infra/config';
import { buildSettings } from '../../infra/settings';
import { FUNCTION_ENV } from '../../core/contract';
import { settingsItem } from '../../core/settings';
import { startLocalDynamo } from '../../local/dynamodb';
import type { LocalDynamo } from '../../local/dynamodb';

const ROOT = join(__dirname, '..', '..');
const TABLE = 'lexDR';
const config = parseConfig({ connectRegions: ['us-east-1'] });
const settings = buildSettings(
  config,
  (_b, r) => ({ botId: `BOT${r.length}XXXXXX`.slice(0, 10), botAliasId: 'ALIASXXXXX' }),
  '000000000000',
  'aws',
  'us-east-1',
);
const event = (Parameters: Record<string, unknown> = {}) => ({
  Name: 'ContactFlowEvent',
  Details: { ContactData: {}, Parameters },
});

let dir: string;
let outfile: string;
let bundle: ReturnType<typeof bundleLookup>;
let dynamo: LocalDynamo;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lexdr-lookup-bundle-'));
  outfile = join(dir, 'lookup.js');
  bundle = bundleLookup(outfile);
  dynamo = await startLocalDynamo({ tableName: TABLE, historyTableName: `${TABLE}History` });
});

afterAll(async () => {
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Requires the bundle in a fresh node, calls its handler with each event; returns the answers (or errors) and logs. */
async function coldLookup(events: unknown[]): Promise<{ results: unknown[]; logs: string }> {
  const script = `
    const { handler } = require(${JSON.stringify(outfile)});
    (async () => {
      const results = [];
      for (const e of ${JSON.stringify(events)}) {
        try { results.push(await handler(e)); } catch (err) { results.push({ error: err.name, message: err.message }); }
      }
      // The logger is loaded at its first use: let its entries out before the results.
      await new Promise((r) => setTimeout(r, 50));
      process.stdout.write('RESULTS ' + JSON.stringify(results));
    })();`;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', script], {
    env: {
      ...process.env,
      NODE_PATH: join(ROOT, 'node_modules'),
      [FUNCTION_ENV.table]: TABLE,
      [FUNCTION_ENV.connectRegion]: settings.connectRegion,
      [FUNCTION_ENV.regions]: settings.regions.join(','),
      AWS_REGION: settings.connectRegion,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
    encoding: 'utf8',
  });
  const at = stdout.lastIndexOf('RESULTS ');
  // Powertools writes warnings and errors to stderr.
  return { results: JSON.parse(stdout.slice(at + 'RESULTS '.length)) as unknown[], logs: stdout.slice(0, at) + stderr };
}

async function putSettings(json: string): Promise<void> {
  await dynamo.client.send(new PutItemCommand({ TableName: TABLE, Item: settingsItem(settings.connectRegion, json) }));
}

test('bundles zod’s functional API (zod/mini) and neither its chained API, the SDK’s marshalling, the logger nor the whole settings’ schema', () => {
  // What esbuild kept: it parses more than it bundles.
  const inputs = Object.values(bundle.metafile.outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([f]) => f),
  );
  expect(inputs).toContainEqual(expect.stringMatching(/node_modules\/zod\/v4\/mini\//));
  expect(inputs.filter((f) => /node_modules\/zod\/v4\/(classic|locales\/(?!en\.))/.test(f))).toEqual([]);
  const external = Object.values(bundle.metafile.outputs)
    .flatMap((o) => o.imports)
    .filter((i) => i.external && !i.path.startsWith('node:'))
    .map((i) => i.path);
  // The logger is installed beside the bundle (LOOKUP_BUNDLING), required at the first log entry.
  expect([...new Set(external)].sort()).toEqual([
    '@aws-lambda-powertools/logger',
    '@aws-sdk/client-dynamodb',
    '@smithy/node-http-handler',
  ]);
  expect(inputs.filter((f) => f.includes('@aws-lambda-powertools'))).toEqual([]);
  // Only the lookup's part of the settings is built: none of the health check's fields (the probe methods) is in it.
  const code = readFileSync(outfile, 'utf8');
  expect(code).toContain('lookupCacheSeconds');
  expect(code).not.toContain('v1-putsession');
  expect(bundle.bytes).toBeLessThan(50 * 1024);
});

test('cold, it answers from the table and validates the Connect event', async () => {
  await putSettings(JSON.stringify(settings));
  await dynamo.client.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: marshall({ connectRegion: settings.connectRegion, lexRegion: settings.regions[1], version: 3 }),
    }),
  );
  const bot = settings.bots[0]!;
  const { results, logs } = await coldLookup([
    event(),
    event({ bot: bot.name }),
    { Details: 'not an object' },
    event({ region: 'x'.repeat(65) }),
  ]);
  expect(results[0]).toMatchObject({
    status: 'ok',
    lexRegion: settings.regions[1],
    botName: bot.name,
    botAliasArn: bot.regions[settings.regions[1]!]!.botAliasArn,
    fallbackRegion: settings.regions[0],
  });
  expect(results[1]).toMatchObject({ status: 'ok', lexRegion: settings.regions[1] });
  expect(results[2]).toMatchObject({ status: 'bad-input', detail: 'not a Connect ContactFlowEvent' });
  expect(results[3]).toMatchObject({ status: 'bad-input', detail: 'not a Connect ContactFlowEvent' });
  // The degraded answers were logged, through the logger loaded for them.
  const warnings = logs
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: string; message: string });
  expect(warnings.map((w) => [w.level, w.message])).toEqual([
    ['WARN', 'lookup answered with a degraded status'],
    ['WARN', 'lookup answered with a degraded status'],
  ]);
});

test('cold, it refuses an invalid settings item and logs what is wrong with it, key by key', async () => {
  await putSettings(JSON.stringify({ ...settings, regions: ['us-east-1'], failThreshold: 1.5 }));
  const { results, logs } = await coldLookup([event()]);
  expect(results).toEqual([
    {
      error: 'SettingsUnavailableError',
      message: expect.stringContaining('unreadable (SettingsError)') as unknown,
    },
  ]);
  expect(logs).toContain('settings unreadable: the flow falls back to its deployed aliases');
  expect(logs).toContain(
    'invalid lexdr settings: regions: got [\\"us-east-1\\"]; Too small: expected array to have >=2 items; failThreshold: got 1.5; Invalid input: expected int, received number',
  );
});
