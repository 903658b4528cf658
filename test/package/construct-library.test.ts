/**
 * lexdr from its npm tarball alone: packed (the `prepack` build), installed into a fresh CDK app outside the
 * repository, and used there as a team with its own CDK app uses it — `new LexDr(...)` with existing bots, a
 * `LexDrBot`, the Twilio bridge, a grant to a function of theirs. The app synthesizes with no TypeScript source of
 * lexdr's and no esbuild: the functions deploy the bundles made at pack time, byte for byte the ones NodejsFunction
 * made (the same asset hashes).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LEXDR_HANDLERS } from '../../infra/constructs/lexdr-function';
import type { PackedApp } from './packed-app';
import {
  ROOT,
  cleanEnv,
  filesUnder,
  installInNewApp,
  packLexdr,
  readJson,
  removeTemporaryFolders,
  runNode,
} from './packed-app';

jest.setTimeout(120_000);

const ACCOUNT = '111111111111';
const INSTANCE = `arn:aws:connect:us-east-1:${ACCOUNT}:instance/11111111-2222-3333-4444-555555555555`;

/** The user's app: plain JavaScript, as `cdk synth` runs it (`node app.js`). */
const APP_JS = `
const { App, Stack } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const { LexDr, LexDrBot, LexDrTwilioBridge } = require('lexdr');

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'ContactCentre', { env: { account: '${ACCOUNT}', region: 'us-east-1' } });
const lexdr = new LexDr(stack, 'LexDr', {
  regions: ['us-east-1', 'us-west-2'],
  bots: [{ name: 'OrderFlowers', ids: {
    'us-east-1': { botId: 'AAAAAAAAAA', botAliasId: 'BBBBBBBBBB' },
    'us-west-2': { botId: 'CCCCCCCCCC', botAliasId: 'DDDDDDDDDD' },
  } }],
  cadenceSeconds: Number(process.env.CADENCE || 6),
  connect: { instance: '${INSTANCE}', queue: '${INSTANCE}/queue/66666666-7777-8888-9999-000000000000' },
});
const mine = new lambda.Function(stack, 'Mine', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({})'),
});
lexdr.grantReadDrItem(mine);
new LexDrTwilioBridge(stack, 'Bridge', {
  lexdr,
  certificateArn: 'arn:aws:acm:us-east-1:${ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012',
  domainName: 'voice.example.com',
  authTokenSecretArn: 'arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:lexdr/twilio-AbCdEf',
  accountSid: 'AC' + '0'.repeat(32),
  humanNumber: '+15551234567',
});
new LexDrBot(new Stack(app, 'BotsWest', { env: { account: '${ACCOUNT}', region: 'us-west-2' } }), 'OrderFlowers');
app.synth();
`;

/** The same app in TypeScript, type-checked against the package's declarations with `cdk init`'s tsconfig. */
const APP_TS = `
import { App, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { LexDr, LexDrBot } from 'lexdr';
import type { LexDrProps } from 'lexdr';

const app = new App();
const stack = new Stack(app, 'ContactCentre', { env: { region: 'us-east-1' } });
const west = new LexDrBot(new Stack(app, 'BotsWest', { env: { region: 'us-west-2' } }), 'OrderFlowers');
const props: LexDrProps = {
  regions: ['us-east-1', 'us-west-2'],
  bots: [{ name: 'OrderFlowers', ids: { 'us-east-1': { botId: 'AAAAAAAAAA', botAliasId: 'BBBBBBBBBB' }, 'us-west-2': west } }],
  probe: { method: 'liveness', timeoutMs: 1500 },
};
const lexdr = new LexDr(stack, 'LexDr', props);
const lookup: lambda.IFunction = lexdr.lookupFunction;
const table: string = lexdr.table.tableName;
lexdr.grantReadDrItem(lookup);
export { table };
`;

/** A synthesized template, read loosely: the tests look into the properties they name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template properties are arbitrary JSON
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

let app: PackedApp;
let synth: { code: number; stdout: string; stderr: string };
let typeCheck: { code: number; output: string };

beforeAll(async () => {
  const tarball = await packLexdr();
  app = await installInNewApp(tarball);
  writeFileSync(join(app.dir, 'app.js'), APP_JS);
  writeFileSync(join(app.dir, 'app.ts'), APP_TS);
  // `cdk init app --language typescript`'s tsconfig, as a new CDK app has it (its types: node only, linked here).
  const init = join(ROOT, 'node_modules', 'aws-cdk', 'lib', 'init-templates', 'app', 'typescript', 'tsconfig.json');
  const tsconfig = JSON.parse(readFileSync(init, 'utf8')) as { compilerOptions: Record<string, unknown> };
  writeFileSync(
    join(app.dir, 'tsconfig.json'),
    JSON.stringify({
      ...tsconfig,
      compilerOptions: { ...tsconfig.compilerOptions, types: ['node'] },
      files: ['app.ts'],
    }),
  );
  symlinkSync(join(ROOT, 'node_modules', '@types'), join(app.dir, 'node_modules', '@types'), 'dir');
  const tsc = promisify(execFile)(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'],
    {
      cwd: app.dir,
      env: cleanEnv(),
    },
  ).then(
    (r) => ({ code: 0, output: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? 1,
      output: `${e.stdout}${e.stderr}`,
    }),
  );
  [synth, typeCheck] = await Promise.all([runNode(app, 'app.js'), tsc]);
}, 300_000);

afterAll(removeTemporaryFolders);

test('the package holds the compiled library, its declarations, the ASL, the flows and the bundles — no TypeScript source', () => {
  const files = filesUnder(app.lexdr);
  expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  for (const f of [
    'dist/infra/index.js',
    'dist/infra/index.d.ts',
    'dist/statemachine/health-check.asl.json',
    'dist/flows/lexdr-flow.json',
    'dist/flows/legacy-flower-dr-flow.json',
    'dist/assets/twilio-bridge/main.js',
    'dist/assets/twilio-bridge/Dockerfile',
    ...Object.keys(LEXDR_HANDLERS).map((h) => `dist/assets/${h}/index.js`),
  ])
    expect(files).toContain(f);
  const manifest = JSON.parse(readFileSync(join(app.lexdr, 'package.json'), 'utf8')) as {
    private?: boolean;
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
  };
  expect(manifest.private).toBeUndefined();
  expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
  // No esbuild, no AWS SDK, no CDK in its own dependencies: what the constructs need at synth only.
  expect(Object.keys(manifest.dependencies).sort()).toEqual(['alawmulaw', 'zod']);
  expect(existsSync(join(app.dir, 'node_modules', 'esbuild'))).toBe(false);
});

test('a fresh CDK app synthesizes LexDr from the package', () => {
  expect(synth.stderr).not.toMatch(/Error/);
  expect(synth.code).toBe(0);
  const t = readJson<Template>(app, 'cdk.out/ContactCentre.template.json');
  const tables = ofType(t, 'AWS::DynamoDB::Table').map(([, r]) => r.Properties.TableName);
  expect(tables.sort()).toEqual(['lexDR', 'lexDR-history']);
  const [[, machine]] = ofType(t, 'AWS::StepFunctions::StateMachine') as [[string, Template['Resources'][string]]];
  const asl = JSON.parse(readFileSync(join(ROOT, 'statemachine', 'health-check.asl.json'), 'utf8')) as {
    Comment: string;
  };
  expect(JSON.stringify(machine.Properties.DefinitionString)).toContain(asl.Comment.slice(0, 60));
  const lookup = ofType(t, 'AWS::Lambda::Function').find(([id]) => id.startsWith('LexDrLookupFunction'));
  expect(lookup?.[1].Properties).toMatchObject({
    Handler: 'index.handler',
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
  });
  expect(
    ofType(t, 'AWS::Connect::ContactFlow')
      .map(([, r]) => r.Properties.Name)
      .sort(),
  ).toEqual(['lexdr', 'lexdr Flower DR Flow (legacy)']);
  // The user's own function may read this Connect region's lexDR item, and only it.
  const mine = ofType(t, 'AWS::IAM::Policy').find(([id]) => id.startsWith('MineServiceRole'));
  expect(mine?.[1].Properties.PolicyDocument.Statement).toEqual([
    expect.objectContaining({
      Action: 'dynamodb:GetItem',
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1'] } },
    }),
  ]);
});

test('the functions deploy the bundles made at pack time: the asset hashes NodejsFunction gave them', () => {
  const manifest = JSON.parse(readFileSync(join(app.lexdr, 'dist', 'assets', 'manifest.json'), 'utf8')) as Record<
    string,
    { assetHash: string }
  >;
  const keyOf = (stack: string, prefix: string) => {
    const t = readJson<Template>(app, `cdk.out/${stack}.template.json`);
    const fn = ofType(t, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix));
    return String(fn?.[1].Properties.Code.S3Key).replace(/\.zip$/, '');
  };
  const deployed = {
    probe: keyOf('ContactCentre', 'LexDrProbeFunction'),
    'health-check': keyOf('ContactCentre', 'LexDrHealthCheckFunction'),
    lookup: keyOf('ContactCentre', 'LexDrLookupFunction'),
    report: keyOf('ContactCentre', 'LexDrReportFunction'),
    fulfillment: keyOf('BotsWest', 'OrderFlowersFulfillmentFunction'),
  };
  expect(deployed).toEqual(Object.fromEntries(Object.entries(manifest).map(([n, m]) => [n, m.assetHash])));
  // What the probe and the lookup carry beside their bundles came along: the Lex V1 client, the logger.
  const staged = (h: string, f: string) => existsSync(join(app.dir, 'cdk.out', `asset.${h}`, f));
  expect(staged(deployed.probe, 'node_modules/@aws-sdk/client-lex-runtime-service/index.js')).toBe(true);
  expect(staged(deployed.lookup, 'node_modules/@aws-lambda-powertools/logger/package.json')).toBe(true);
});

test('the Twilio bridge’s image is the bridge pre-built at pack time', () => {
  const assets = readJson<{ dockerImages: Record<string, { source: { directory: string } }> }>(
    app,
    'cdk.out/ContactCentre.assets.json',
  );
  const [image] = Object.values(assets.dockerImages);
  const dir = join(app.dir, 'cdk.out', image!.source.directory);
  expect(existsSync(join(dir, 'main.js'))).toBe(true);
  expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toMatch(/^CMD \["node", "main.js"\]$/m);
});

test('a prop the config’s schema refuses fails the synth with its message', async () => {
  const bad = await (async () => {
    const script = join(app.dir, 'bad.js');
    writeFileSync(script, `process.env.CADENCE = '7';\n${APP_JS}`);
    return runNode(app, script);
  })();
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(
    /ConfigError: invalid LexDr props \(ContactCentre\/LexDr\):\n {2}cadenceSeconds: got 7; must divide 60 evenly/,
  );
});

test('the package’s declarations type-check a TypeScript app (cdk init’s tsconfig)', () => {
  expect(typeCheck.output).toBe('');
  expect(typeCheck.code).toBe(0);
});
