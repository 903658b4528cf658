/**
 * The lookup Lambda, warm, in-process: the real handler (cached item) against a naive handler that reads the
 * table on every call (the 2020 design), same client, same local DynamoDB, measured side by side. And a
 * cold-start proxy: the handler bundled as the stack bundles it, its size and its require time in a fresh node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { buildSync } from 'esbuild';
import type { BuildOptions, Metafile } from 'esbuild';
import { readConfigFile } from '../../infra/config';
import { LOOKUP_BUNDLING } from '../../infra/stacks/sizing';
import type { FunctionBundling } from '../../infra/stacks/sizing';
import { buildSettings } from '../../infra/settings';
import { FUNCTION_ENV } from '../../core/contract';
import { DR_TABLE_PRESETS, drTable } from '../../core/dr-table';
import { createLookupHandler } from '../../core/lookup-handler';
import { startLocalDynamo } from '../../local/dynamodb';
import { LOCAL_CREDENTIALS } from '../../local/http';
import { localBotIds } from '../../local/lex';
import type { Distribution } from './stats';
import { distribution, median } from './stats';

const ROOT = join(__dirname, '..', '..');

export interface LookupFigures {
  calls: number;
  cached: Distribution;
  naive: Distribution;
  bundleBytes: number;
  requireMs: number[];
  /** Require time of the AWS SDK packages the bundle leaves external and a client made of them, alone, same run. */
  sdkRequireMs: number[];
  /** The bundle's require time in a process that has already loaded those SDK packages (its own client included). */
  ownRequireMs: number[];
  /** The same client's construction alone in a process that has already loaded the SDK packages. */
  clientAfterSdkMs: number[];
}

/**
 * Our code's share of the lookup's init, estimated two ways from the same run: SDK-loaded processes (the bundle's
 * require − the client alone, both after the SDK is loaded: the figure, stable to about a millisecond) and fresh
 * processes (the bundle's require − the SDK client alone, each timed from nothing: the SDK's own load, which varies
 * from one process to the next, is in both, so this difference moves by several milliseconds between runs).
 */
export function coldShare(l: LookupFigures): { fresh: number; sdkLoaded: number } {
  return {
    fresh: median(l.requireMs) - median(l.sdkRequireMs),
    sdkLoaded: median(l.ownRequireMs) - median(l.clientAfterSdkMs),
  };
}

/** esbuild's options for a function bundled as the stack bundles it (NodejsFunction's defaults: CJS, Node). */
export function stackBuildOptions(bundling: FunctionBundling): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: bundling.target,
    minify: bundling.minify,
    // NodejsFunction leaves its installed modules out of the bundle too.
    external: [...bundling.externalModules, ...(bundling.nodeModules ?? [])],
  };
}

/**
 * Bundles the lookup exactly as the stack does (`LOOKUP_BUNDLING`); returns its size and esbuild's metafile. Its
 * installed modules resolve from the project's node_modules, as they would from the ones beside the bundle.
 */
export function bundleLookup(outfile: string): { bytes: number; metafile: Metafile } {
  const { metafile } = buildSync({
    ...stackBuildOptions(LOOKUP_BUNDLING),
    entryPoints: [join(ROOT, 'handlers', 'lookup.ts')],
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  return { bytes: statSync(outfile).size, metafile: metafile! };
}

async function timeCalls(fn: () => Promise<unknown>, calls: number): Promise<number[]> {
  for (let i = 0; i < 500; i += 1) await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < calls; i += 1) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** Fresh node processes per way of the cold-start proxy (the four ways alternate, so load affects each alike). */
export const COLD_RUNS = 61;

export async function benchLookup(calls = 20_000, log: (s: string) => void = console.log): Promise<LookupFigures> {
  const config = readConfigFile();
  const settings = buildSettings(config, (bot, region) => localBotIds(region, bot.name), '000000000000');
  const dynamo = await startLocalDynamo({ tableName: config.tableName, historyTableName: config.historyTableName });
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: config.connectRegion,
    maxAttempts: 2,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await client.send(
      new PutItemCommand({
        TableName: config.tableName,
        Item: marshall({ connectRegion: config.connectRegion, lexRegion: config.regions[1], version: 7 }),
      }),
    );
    const event = { Name: 'ContactFlowEvent', Details: { ContactData: {}, Parameters: {} } };
    const cached = createLookupHandler({ settings, table: drTable(client, config.tableName) });
    // The 2020 design: a GetItem on every call.
    const naive = async () => {
      const out = await client.send(
        new GetItemCommand({ TableName: config.tableName, Key: { connectRegion: { S: config.connectRegion } } }),
      );
      return { lexRegion: out.Item?.lexRegion?.S ?? 'err' };
    };
    // Interleaved in blocks, so both see the same machine state.
    const a: number[] = [];
    const b: number[] = [];
    const block = 2_000;
    for (let done = 0; done < calls; done += block) {
      a.push(...(await timeCalls(() => cached(event), block)));
      b.push(...(await timeCalls(naive, block)));
      log(`  lookup: ${done + block}/${calls} calls each`);
    }

    // Cold-start proxy: the stack's bundle, required by a fresh node process, COLD_RUNS times each way.
    const dir = mkdtempSync(join(tmpdir(), 'lexdr-bench-'));
    try {
      const outfile = join(dir, 'lookup.js');
      const bundleBytes = bundleLookup(outfile).bytes;
      const env = {
        ...process.env,
        NODE_PATH: join(ROOT, 'node_modules'),
        // The lookup's environment as the stack sets it (its settings are an item of the table).
        [FUNCTION_ENV.table]: config.tableName,
        [FUNCTION_ENV.connectRegion]: config.connectRegion,
        [FUNCTION_ENV.regions]: config.regions.join(','),
        AWS_REGION: config.connectRegion,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      };
      /** A `node -e` script: loads `before` untimed, then prints how many milliseconds `timed` takes. */
      const timing = (before: string, timed: string) =>
        `${before}const t=process.hrtime.bigint();${timed}const d=Number(process.hrtime.bigint()-t)/1e6;process.stdout.write(String(d));`;
      const bundle = `if(typeof require(${JSON.stringify(outfile)}).handler!=='function')throw new Error('no handler');`;
      // The AWS SDK client alone: the packages the bundle leaves external (as the Lambda runtime provides them) and
      // the client the lookup makes of them, configured as the lookup configures it.
      const sdk = `require('@aws-sdk/client-dynamodb');require('@smithy/node-http-handler');`;
      const { maxAttempts, ...http } = DR_TABLE_PRESETS.lookup;
      const client = `new (require('@aws-sdk/client-dynamodb').DynamoDBClient)({maxAttempts:${maxAttempts},requestHandler:new (require('@smithy/node-http-handler').NodeHttpHandler)(${JSON.stringify({ ...http, throwOnRequestTimeout: true })})});`;
      // Fresh processes: the bundle (the SDK it requires included), and the SDK client alone; then processes that
      // loaded the SDK first (as the runtime has it): the bundle (its own client included), and the client alone.
      const script = timing('', bundle);
      const sdkOnly = timing('', `${sdk}${client}`);
      const own = timing(sdk, bundle);
      const clientAfterSdk = timing(sdk, client);
      const requireMs: number[] = [];
      const sdkRequireMs: number[] = [];
      const ownRequireMs: number[] = [];
      const clientAfterSdkMs: number[] = [];
      const time = (source: string) =>
        Number(execFileSync(process.execPath, ['-e', source], { env, encoding: 'utf8' }));
      // Side by side in one run, alternating, so machine load affects each alike.
      for (let i = 0; i < COLD_RUNS; i += 1) {
        requireMs.push(time(script));
        sdkRequireMs.push(time(sdkOnly));
        ownRequireMs.push(time(own));
        clientAfterSdkMs.push(time(clientAfterSdk));
        if ((i + 1) % 20 === 0) log(`  lookup cold starts: ${i + 1}/${COLD_RUNS} rounds`);
      }
      log(
        `  lookup: bundle ${bundleBytes} bytes, require median ${median(requireMs).toFixed(1)} ms (the SDK client alone ${median(sdkRequireMs).toFixed(1)} ms); after the SDK: the bundle ${median(ownRequireMs).toFixed(1)} ms, the client alone ${median(clientAfterSdkMs).toFixed(1)} ms`,
      );
      return {
        calls,
        cached: distribution(a),
        naive: distribution(b),
        bundleBytes,
        requireMs,
        sdkRequireMs,
        ownRequireMs,
        clientAfterSdkMs,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    client.destroy();
    await dynamo.close();
  }
}
