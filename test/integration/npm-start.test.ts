/**
 * `npm start` end to end, as a child process in a scratch directory: the endpoints file is owner-only and holds a
 * per-start token that Step Functions and DynamoDB require; the tables survive a restart; `--fresh` starts empty;
 * a non-loopback `--host` without the token is refused.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStateMachineCommand, SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { SDK_NODE_WARNING_SWITCH } from '../../local/polyfills';
import type { LocalEndpoints } from '../../local/system';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
// Below Linux's ephemeral range (32768–60999), where every other suite's servers and every outgoing connection take
// their ports, so a fixed base cannot collide with them.
const BASE = 20000 + Math.floor(Math.random() * 200) * 40;

const { [SDK_NODE_WARNING_SWITCH]: _, ...withoutSdkSwitch } = process.env;

let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'lexdr-start-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  endpoints: LocalEndpoints;
  output: () => string;
}

async function start(args: string[] = [], o: { keepFile?: boolean } = {}): Promise<Started> {
  const file = join(cwd, '.lexdr', 'local.json');
  if (!o.keepFile) rmSync(file, { force: true });
  let out = '';
  const child = spawn(TSX, [join(ROOT, 'local', 'start.ts'), '--port-base', String(BASE), '--no-schedule', ...args], {
    cwd,
    // Without the parent's SDK switch: `npm start` sets it itself (no 9-line Node-version notice on Node < 22).
    env: { ...withoutSdkSwitch, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!/Try:/.test(out)) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${out}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, endpoints: JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints, output: () => out };
}

async function stop(s: Started): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

const clients = (e: LocalEndpoints, accessKeyId = e.token!) => {
  const o = { region: e.connectRegion, credentials: { accessKeyId, secretAccessKey: 'local' }, maxAttempts: 1 };
  return {
    sfn: new SFNClient({ ...o, endpoint: e.stepfunctions, disableHostPrefix: true }),
    dynamo: new DynamoDBClient({ ...o, endpoint: e.dynamodb }),
  };
};

const getItem = (d: DynamoDBClient, e: LocalEndpoints) =>
  d.send(
    new GetItemCommand({ TableName: e.table, Key: { connectRegion: { S: e.connectRegion } }, ConsistentRead: true }),
  );

describe('npm start', () => {
  it('writes an owner-only endpoints file with a token; keeps the tables across a restart; --fresh starts empty', async () => {
    const a = await start(['--fresh']);
    let version: string | undefined;
    try {
      const file = join(cwd, '.lexdr', 'local.json');
      expect(a.output()).not.toContain('NodeVersionSupportWarning');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(a.endpoints.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(a.endpoints.stepfunctions).toBe(`http://127.0.0.1:${BASE + 3}`);
      expect(a.endpoints.report).toBe(`http://127.0.0.1:${BASE}/report`);
      const stranger = clients(a.endpoints, 'AKIDSTRANGER');
      const err = (await stranger.sfn
        .send(new DescribeStateMachineCommand({ stateMachineArn: a.endpoints.stateMachineArn }))
        .catch((e: unknown) => e)) as Error;
      expect(err.name).toBe('UnrecognizedClientException');
      stranger.sfn.destroy();
      stranger.dynamo.destroy();
      const { sfn, dynamo } = clients(a.endpoints);
      try {
        const r = await sfn.send(
          new StartSyncExecutionCommand({ stateMachineArn: a.endpoints.stateMachineArn, input: '{"cycles": 1}' }),
        );
        expect(r.status).toBe('SUCCEEDED');
        version = (await getItem(dynamo, a.endpoints)).Item?.version?.N;
        expect(version).toBeDefined();
      } finally {
        sfn.destroy();
        dynamo.destroy();
      }
    } finally {
      await stop(a);
    }
    expect(existsSync(join(cwd, '.lexdr', 'local.json'))).toBe(false);
    expect(existsSync(join(cwd, '.lexdr', 'dynamodb'))).toBe(true);

    const b = await start();
    try {
      // A second system in the same checkout refuses, and leaves the first one's endpoints file alone.
      const owner = (JSON.parse(readFileSync(join(cwd, '.lexdr', 'local.json'), 'utf8')) as { pid: number }).pid;
      await expect(start(['--port-base', String(BASE + 20)], { keepFile: true })).rejects.toThrow(
        new RegExp(`already running from this checkout \\(pid ${owner}`),
      );
      expect((JSON.parse(readFileSync(join(cwd, '.lexdr', 'local.json'), 'utf8')) as { pid: number }).pid).toBe(owner);
      const { dynamo, sfn } = clients(b.endpoints);
      expect(b.endpoints.token).not.toBe(a.endpoints.token);
      expect((await getItem(dynamo, b.endpoints)).Item?.version?.N).toBe(version);
      dynamo.destroy();
      sfn.destroy();
    } finally {
      await stop(b);
    }

    const c = await start(['--fresh']);
    try {
      const { dynamo, sfn } = clients(c.endpoints);
      expect((await getItem(dynamo, c.endpoints)).Item).toBeUndefined();
      dynamo.destroy();
      sfn.destroy();
    } finally {
      await stop(c);
    }
  }, 90_000);

  it('refuses a non-loopback --host without the token', async () => {
    await expect(start(['--host', '0.0.0.0', '--no-token'])).rejects.toThrow(/not a loopback address/);
  }, 30_000);
});
