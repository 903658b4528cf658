/**
 * Control-plane fault matrix: lexdr's own parts failing — the probe function, the health-check function, the table
 * as the workflow and the lookup see it, a lost write response, duplicate and overlapping executions — with Lex
 * healthy or the primary down, through the real ASL, the real handlers and real SDK clients over HTTP.
 *
 * The rule every cell checks: never `err` while a region's Lex answers, and never a region change caused by
 * lexdr's own failure. A change is allowed only where Lex really failed, and then it is recorded exactly once.
 */
import type { LexdrConfigInput } from '../../infra/config';
import type { LambdaFaultMode } from '../../local/lambda-faults';
import type { LocalSystem } from '../../local/system';
import type { ExecutionRecord } from '../../local/workflow-runner';
import { startFast } from '../integration/system-fixture';
import { metricValues, seedHealthyItem, sum } from './helpers';

const E = 'us-east-1';
const W = 'us-west-2';
const config: LexdrConfigInput = {
  connectRegion: E,
  regions: [E, W],
  cadenceSeconds: 10,
  failThreshold: 2,
  recoverThreshold: 3,
  lookupCacheSeconds: 1,
  probe: { method: 'liveness', nluEveryMinutes: 0, timeoutMs: 1000, latencyBudgetMs: 600 },
};
const lookupEvent = { Name: 'ContactFlowEvent', Details: { Parameters: {} } };

let sys: LocalSystem;
beforeAll(async () => {
  sys = await startFast(config, { functionTimeoutMs: 30 });
});
afterAll(async () => {
  await sys?.close();
});

/** A clean item, as healthy cycles leave it, with the primary active (or `lexRegion`). */
const healthyItem = (lexRegion = E, fails: Record<string, number> = {}) =>
  seedHealthyItem(sys, { passes: 3, lexRegion, fails });

async function run(n: number, input: Record<string, unknown> = { cycles: 1 }): Promise<ExecutionRecord[]> {
  const out: ExecutionRecord[] = [];
  for (let i = 0; i < n; i += 1) out.push(await sys.runExecution(input));
  return out;
}

/** The rule, and that no change happened: lexDR is exactly as before, nothing in the history or the metrics. */
async function expectNoChange(before: Awaited<ReturnType<typeof healthyItem>>) {
  const after = (await sys.readItem())!;
  expect(after.lexRegion).toBe(before.lexRegion);
  expect(after.lexRegion).not.toBe('err');
  expect(after.regionHealth[E]!.fails).toBe(before.regionHealth[E]!.fails);
  expect(after.regionHealth[W]!.fails).toBe(before.regionHealth[W]!.fails);
  expect(await sys.history()).toEqual([]);
  expect(sum(metricValues(sys, 'RegionChanges'))).toBe(0);
  expect(metricValues(sys, 'NoHealthyRegion').every((v) => v === 0)).toBe(true);
  return after;
}

const MODES: Exclude<LambdaFaultMode, 'none' | 'slow'>[] = ['throttled', 'error', 'timeout'];
const ERROR_NAMES: Record<Exclude<LambdaFaultMode, 'none' | 'slow'>, string> = {
  throttled: 'Lambda.TooManyRequestsException',
  error: 'Lambda.ServiceException',
  timeout: 'Sandbox.Timedout',
};
const LEX = ['healthy', 'primary down'] as const;

describe('the probe function failing', () => {
  it.each(MODES.flatMap((m) => LEX.map((l) => [m, l] as const)))(
    'probe function %s, Lex %s: the check is blind, lexDR stays, ProbeErrors says why',
    async (mode, lex) => {
      const before = await healthyItem();
      if (lex === 'primary down') sys.lex[E]!.setFault({ mode: 'down' });
      sys.functions['probe-function'].setFault({ mode });
      const records = await run(3);
      expect(records.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      const after = await expectNoChange(before);
      expect(after.blind).toMatchObject({ regions: [E, W] });
      expect(after.blind!.detail).toContain(ERROR_NAMES[mode]);
      expect(sum(metricValues(sys, 'ProbeErrors'))).toBe(3 * 2);
      expect(metricValues(sys, 'ProbeSuccess')).toEqual([]); // a probe that did not run is not a failed probe
      // Callers are where they were: the lookup answers the primary.
      await expect(sys.lookup(lookupEvent)).resolves.toMatchObject({ lexRegion: E });
      // The probes come back: blind clears, and a real fault is then seen.
      sys.functions['probe-function'].setFault({ mode: 'none' });
      await run(1);
      const seen = (await sys.readItem())!;
      expect(seen.blind).toBeNull();
      expect(seen.lexRegion).toBe(lex === 'primary down' ? W : E);
    },
  );
});

describe('the health-check function failing', () => {
  it.each(MODES.flatMap((m) => LEX.map((l) => [m, l] as const)))(
    'health-check function %s on every invoke, Lex %s: executions fail at their start, lexDR stays',
    async (mode, lex) => {
      const before = await healthyItem();
      if (lex === 'primary down') sys.lex[E]!.setFault({ mode: 'down' });
      sys.functions['health-check-function'].setFault({ mode });
      const records = await run(2);
      expect(records.map((r) => `${r.status} ${r.error}`)).toEqual(records.map(() => `FAILED ${ERROR_NAMES[mode]}`));
      expect(records[0]!.path).toContain('Cannot start');
      await expectNoChange(before);
    },
  );

  it('a decision that fails costs one cycle: the next cycle fails over, metrics are published, the execution says so', async () => {
    await healthyItem();
    sys.lex[E]!.setFault({ mode: 'down' });
    sys.functions['health-check-function'].setFault({ mode: 'error', actions: ['decide'], first: 4 }); // outlasts the 3 retries
    const [r] = await run(1, { cycles: 3 });
    expect(r!.status).toBe('FAILED');
    expect(r!.error).toBe('CyclesNotDecided');
    expect(r!.path).toContain('Skip the cycle');
    expect(r!.path).toContain('Publish metrics');
    const item = (await sys.readItem())!;
    expect(item.lexRegion).toBe(W);
    expect(await sys.history()).toHaveLength(1);
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(1);
  });
});

describe('the table failing for the workflow', () => {
  it.each((['throttled', 'hang', 'down'] as const).flatMap((m) => LEX.map((l) => [m, l] as const)))(
    'DynamoDB %s, Lex %s: nothing is decided, executions succeed, lexDR stays',
    async (mode, lex) => {
      const before = await healthyItem();
      if (lex === 'primary down') sys.lex[E]!.setFault({ mode: 'down' });
      sys.dynamo.setFault({ mode, roles: ['workflow'] });
      const records = await run(1);
      sys.dynamo.setFault({ mode: 'none' });
      expect(records.map((r) => r.status)).toEqual(['SUCCEEDED']);
      await expectNoChange(before);
      // Probe metrics still go out: the operator sees the primary failing though lexDR could not be updated.
      if (lex === 'primary down') expect(metricValues(sys, 'ProbeSuccess', { Region: E })).toContain(0);
    },
    15_000,
  );
});

describe('the table failing for the lookup', () => {
  it.each(['throttled', 'hang', 'down'] as const)(
    'DynamoDB %s: a warm lookup answers the last known region after one bounded read, then without reading',
    async (mode) => {
      await healthyItem(W);
      await new Promise((r) => setTimeout(r, 1100)); // any earlier cached answer expires
      await expect(sys.lookup(lookupEvent)).resolves.toMatchObject({ lexRegion: W, status: 'ok' });
      await new Promise((r) => setTimeout(r, 1100)); // the cache expires: the next call reads the failing table
      sys.dynamo.setFault({ mode, roles: ['lookup'] });
      try {
        // The first call pays one bounded read (a hang would otherwise hold it until the test times out).
        await expect(sys.lookup(lookupEvent)).resolves.toMatchObject({ lexRegion: W, status: 'stale' });
        const reads = sys.dynamo.faultStats().matched;
        expect(reads).toBe(1);
        // The next calls inside the cache period answer from the last known item without touching the table.
        for (let i = 0; i < 5; i += 1)
          await expect(sys.lookup(lookupEvent)).resolves.toMatchObject({ lexRegion: W, status: 'stale' });
        expect(sys.dynamo.faultStats().matched).toBe(reads);
      } finally {
        sys.dynamo.setFault({ mode: 'none' });
      }
    },
  );
});

describe('lost responses and repeated executions', () => {
  it('a switch whose response is lost is retried, recognised as its own, and recorded once', async () => {
    await healthyItem(E, { [E]: 1 }); // the primary failed once: this round's failure moves callers
    sys.lex[E]!.setFault({ mode: 'down' });
    sys.dynamo.setFault({ mode: 'lost', operations: ['UpdateItem'], first: 1, roles: ['workflow'] });
    const [r] = await run(1);
    expect(sys.dynamo.faultStats().failed).toBe(1);
    sys.dynamo.setFault({ mode: 'none' });
    expect(r!.status).toBe('SUCCEEDED');
    expect(r!.path).not.toContain('Lost the race');
    expect((await sys.readItem())!.lexRegion).toBe(W);
    const history = await sys.history();
    expect(history).toEqual([expect.objectContaining({ from: E, to: W, reason: 'failover' })]);
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(1);
  });

  it('the same execution delivered twice at once moves callers once and records it once', async () => {
    await healthyItem();
    sys.lex[E]!.setFault({ mode: 'down' });
    const at = sys.clock();
    const records = await Promise.all([
      sys.runExecution({ cycles: 2 }, { startedAt: at }),
      sys.runExecution({ cycles: 2 }, { startedAt: at }),
    ]);
    expect(records.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect((await sys.readItem())!.lexRegion).toBe(W);
    expect(await sys.history()).toHaveLength(1);
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(1);
  });

  it('overlapping executions (4 s apart) with Lex healthy never move callers; with the primary down, once', async () => {
    const before = await healthyItem();
    const at = sys.clock().getTime();
    const overlap = () =>
      Promise.all([
        sys.runExecution({ cycles: 3 }, { startedAt: new Date(at) }),
        sys.runExecution({ cycles: 3 }, { startedAt: new Date(at + 4000) }),
      ]);
    await overlap();
    await expectNoChange(before);
    sys.lex[E]!.setFault({ mode: 'down' });
    sys.advance(60_000);
    await overlap();
    expect((await sys.readItem())!.lexRegion).toBe(W);
    expect(await sys.history()).toHaveLength(1);
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(1);
  });
});
