/**
 * No web page can drive the local control plane: every mutating route refuses a foreign Origin or Host (DNS
 * rebinding) and, with the per-start token in force, a request without it; the refused request changes nothing
 * and the server serves the next one. Real servers, real sockets.
 */
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import type { DashboardMount } from '../../local/dashboard/routes';
import { mountDashboard } from '../../local/dashboard/routes';
import { TOKEN_HEADER, isLoopbackHost, refusal } from '../../local/http';
import type { LocalSystem } from '../../local/system';
import { startLocalSystem } from '../../local/system';
import { FAST, cycles, startFast } from './system-fixture';

const TOKEN = 'guard-test-token-0123456789abcdef';
let sys: LocalSystem;
let control: ControlServer;
let mount: DashboardMount;

beforeAll(async () => {
  sys = await startFast(FAST, { token: TOKEN });
  control = await startControlServer(sys);
  mount = mountDashboard(control, sys);
  await cycles(sys, 1);
});
afterAll(async () => {
  await mount.drain();
  mount.close();
  await control.close();
  await sys.close();
});

function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const url = new URL(base);
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

const faultOf = () => sys.lex['us-east-1']!.fault().mode;

describe('the local control plane against a web page', () => {
  it('POST /executions from a foreign Origin is refused (403) and starts nothing', async () => {
    const before = sys.executions.length;
    const item = await sys.readItem();
    const r = await send(
      control.url,
      'POST',
      '/executions',
      { origin: 'http://evil.example', [TOKEN_HEADER]: TOKEN },
      {
        drill: { failRegions: ['us-east-1'] },
      },
    );
    expect(r.status).toBe(403);
    expect(sys.executions.length).toBe(before);
    expect((await sys.readItem())?.lexRegion).toBe(item?.lexRegion);
  });

  it('PUT /dashboard/api/fault with a rebound Host is refused and injects nothing', async () => {
    const r = await send(
      control.url,
      'PUT',
      '/dashboard/api/fault/us-east-1',
      { host: 'rebind.evil.example', [TOKEN_HEADER]: TOKEN },
      { mode: 'down' },
    );
    expect(r.status).toBe(403);
    expect(faultOf()).toBe('none');
  });

  it('a Lex region and the local CloudWatch refuse a rebound Host or a foreign Origin, and inject nothing', async () => {
    const lex = sys.lex['us-east-1']!;
    const rebound = await send(lex.url, 'PUT', '/_lexdr/fault', { host: 'rebind.evil.example' }, { mode: 'down' });
    expect(rebound.status).toBe(403);
    const foreign = await send(lex.url, 'PUT', '/_lexdr/fault', { origin: 'http://evil.example' }, { mode: 'down' });
    expect(foreign.status).toBe(403);
    expect(lex.fault().mode).toBe('none');
    const cw = await send(sys.cloudwatch.url, 'POST', '/', { host: 'rebind.evil.example' }, {});
    expect(cw.status).toBe(403);
    // The SDK clients on this machine still get through (the workflow's cycle probes and publishes).
    await cycles(sys, 1);
    expect(sys.cloudwatch.datapoints({ metric: 'ProbeSuccess' }).length).toBeGreaterThan(0);
  });

  it('a rebound Host cannot read the page (and its token) either', async () => {
    const r = await send(control.url, 'GET', '/', { host: 'rebind.evil.example:4600' });
    expect(r.status).toBe(403);
    expect(r.text).not.toContain(TOKEN);
  });

  it('a mutating request without the token, or with a wrong one, is refused', async () => {
    expect((await send(control.url, 'PUT', '/dashboard/api/fault/us-east-1', {}, { mode: 'down' })).status).toBe(403);
    expect(
      (await send(control.url, 'PUT', '/dashboard/api/fault/us-east-1', { [TOKEN_HEADER]: 'guess' }, { mode: 'down' }))
        .status,
    ).toBe(403);
    expect(faultOf()).toBe('none');
  });

  it('the page served from the server carries the token, and its own requests pass', async () => {
    const page = await send(control.url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<meta name="lexdr-token" content="${TOKEN}" />`);
    const origin = control.url;
    const r = await send(
      control.url,
      'PUT',
      '/dashboard/api/fault/us-east-1',
      { origin, [TOKEN_HEADER]: TOKEN },
      { mode: 'down' },
    );
    expect(r.status).toBe(200);
    expect(faultOf()).toBe('down');
    const clear = await send(
      control.url,
      'PUT',
      '/dashboard/api/fault/us-east-1',
      { [TOKEN_HEADER]: TOKEN },
      { mode: 'none' },
    );
    expect(clear.status).toBe(200);
    expect(faultOf()).toBe('none');
  });

  it("Connect's lookup (a POST that reads) needs no token, but still refuses a foreign Origin", async () => {
    const ok = await send(
      control.url,
      'POST',
      '/lookup',
      {},
      { Name: 'ContactFlowEvent', Details: { Parameters: {} } },
    );
    expect(ok.status).toBe(200);
    const evil = await send(control.url, 'POST', '/lookup', { origin: 'http://evil.example' }, {});
    expect(evil.status).toBe(403);
  });

  it('the local DynamoDB refuses a client without the token and serves one with it', async () => {
    const Key = { connectRegion: { S: 'us-east-1' } };
    const stranger = new DynamoDBClient({
      endpoint: sys.dynamo.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const friend = new DynamoDBClient({
      endpoint: sys.dynamo.url,
      region: 'us-east-1',
      credentials: sys.credentials,
      maxAttempts: 1,
    });
    try {
      const err = (await stranger
        .send(new GetItemCommand({ TableName: 'lexDR', Key }))
        .catch((e: unknown) => e)) as Error;
      expect(err.name).toBe('UnrecognizedClientException');
      const browser = await send(
        sys.dynamo.url,
        'POST',
        '/',
        {
          origin: 'http://evil.example',
          'x-amz-target': 'DynamoDB_20120810.DeleteItem',
          [TOKEN_HEADER]: TOKEN,
        },
        { TableName: 'lexDR', Key },
      );
      expect(browser.status).toBe(403);
      const out = await friend.send(new GetItemCommand({ TableName: 'lexDR', Key }));
      expect(out.Item?.lexRegion).toBeDefined();
    } finally {
      stranger.destroy();
      friend.destroy();
    }
  });
});

describe('the guard rules', () => {
  const req = (headers: Record<string, string>, method = 'POST') =>
    ({ method, headers, url: '/' }) as unknown as Parameters<typeof refusal>[0];

  it('loopback names are this machine; others are not', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'app.localhost'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['rebind.evil.example', '10.0.0.1', '0.0.0.0', 'localhost.evil.example'])
      expect(isLoopbackHost(h)).toBe(false);
  });

  it('a page on another port of this machine is another origin', () => {
    expect(refusal(req({ host: '127.0.0.1:4600', origin: 'http://127.0.0.1:3000' }), {})?.message).toMatch(/Origin/);
    expect(refusal(req({ host: '127.0.0.1:4600', origin: 'http://127.0.0.1:4600' }), {})).toBeUndefined();
    expect(refusal(req({ host: '127.0.0.1:4600', origin: 'null' }), {})).toBeDefined();
    expect(refusal(req({ host: '127.0.0.1:4600', 'sec-fetch-site': 'cross-site' }), {})).toBeDefined();
  });

  it('the token travels as x-lexdr-token or as the SigV4 access key ID', () => {
    const p = { token: 'abc' };
    expect(refusal(req({ host: 'localhost', [TOKEN_HEADER]: 'abc' }), p)).toBeUndefined();
    expect(
      refusal(
        req({
          host: 'localhost',
          authorization: 'AWS4-HMAC-SHA256 Credential=abc/20261201/us-east-1/states/aws4_request',
        }),
        p,
      ),
    ).toBeUndefined();
    expect(refusal(req({ host: 'localhost', authorization: 'AWS4-HMAC-SHA256 Credential=abd/2026' }), p)?.type).toBe(
      'UnrecognizedClientException',
    );
    expect(refusal(req({ host: 'localhost' }, 'GET'), p)).toBeUndefined();
  });
});

describe('--host', () => {
  it('refuses a non-loopback host unless the token is in force', async () => {
    await expect(startLocalSystem({ config: FAST, host: '0.0.0.0' })).rejects.toThrow(/not a loopback address.*token/);
  });

  const lan = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
  (lan ? it : it.skip)(
    'with a non-loopback host, the page carries the token only to a browser on this machine',
    async () => {
      const s = await startLocalSystem({ config: FAST, host: '0.0.0.0', token: TOKEN, waitMs: 0, retryMs: 0 });
      const c = await startControlServer(s, { host: '0.0.0.0' });
      const m = mountDashboard(c, s);
      try {
        const port = new URL(c.url).port;
        const here = await send(`http://127.0.0.1:${port}`, 'GET', '/');
        expect(here.text).toContain(TOKEN);
        const there = await send(`http://${lan}:${port}`, 'GET', '/');
        expect(there.status).toBe(200);
        expect(there.text).not.toContain(TOKEN);
        const write = await send(
          `http://${lan}:${port}`,
          'PUT',
          '/dashboard/api/fault/us-east-1',
          {},
          { mode: 'down' },
        );
        expect(write.status).toBe(403);
        expect(s.lex['us-east-1']!.fault().mode).toBe('none');
      } finally {
        m.close();
        await c.close();
        await s.close();
      }
    },
  );

  it('with the token, binds the control plane to the host and keeps Lex and CloudWatch on loopback', async () => {
    const s = await startLocalSystem({ config: FAST, host: '0.0.0.0', token: TOKEN, waitMs: 0, retryMs: 0 });
    try {
      expect(s.dynamo.url).toMatch(/^http:\/\/0\.0\.0\.0:/);
      expect(s.stepfunctions.url).toMatch(/^http:\/\/0\.0\.0\.0:/);
      for (const l of Object.values(s.lex)) expect(l.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      expect(s.cloudwatch.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
    } finally {
      await s.close();
    }
  });
});
