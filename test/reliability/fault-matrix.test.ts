/**
 * Fault matrix: every Lex fault on the primary or the secondary, with DynamoDB healthy, throttled part of the
 * time, or throttled all the time — through the real ASL, the real handlers and real SDK clients over HTTP.
 * Each case starts from a clean, healthy item and runs failThreshold + 1 single-cycle executions; it asserts the
 * region callers get, the recorded change and its reason, the metrics, and that no execution failed.
 *
 * The SDK's own retries are switched off on the state machine's DynamoDB client (`withoutSdkRetries`), so the
 * state machine's Retry policies are the only thing absorbing a throttle — as in Step Functions, whose DynamoDB
 * integration reports the throttle to the state.
 */
import type { LexdrConfigInput } from '../../infra/config';
import type { FaultMode } from '../../local/lex';
import { withoutSdkRetries } from '../../local/dynamodb';
import type { DynamoFault } from '../../local/dynamodb';
import type { LocalSystem } from '../../local/system';
import type { ExecutionRecord } from '../../local/workflow-runner';
import { startFast } from '../integration/system-fixture';
import { changeKey, metricValues, resetSystem, seedHealthyItem, seeded, sum } from './helpers';

const E = 'us-east-1';
const W = 'us-west-2';
const FAIL_THRESHOLD = 2;
// Short on purpose: a hang costs the probe timeout, a slow region its latency, on every execution.
const TIMEOUT_MS = 700;
const BUDGET_MS = 400;
const SLOW_MS = 550; // over the latency budget, under the timeout

const config = (method: 'nlu' | 'liveness' | 'stream'): LexdrConfigInput => ({
  connectRegion: E,
  regions: [E, W],
  cadenceSeconds: 10,
  failThreshold: FAIL_THRESHOLD,
  recoverThreshold: 3,
  lookupCacheSeconds: 0,
  probe: { method, nluEveryMinutes: 0, timeoutMs: TIMEOUT_MS, latencyBudgetMs: BUDGET_MS },
});

/**
 * Express delivers at least once: a seeded share of the executions run twice, overlapping (same ARN, input and
 * start) — a third of them in the matrix (LEXDR_AT_LEAST_ONCE=<rate> to change it, 0 for single delivery), half in
 * the liveness cases. The assertions count every delivery's rounds.
 */
const atLeastOnce = (rate: number) => ({ rate, random: seeded(20261201) });
const MATRIX_REDELIVERY = Number(process.env.LEXDR_AT_LEAST_ONCE ?? 1 / 3);

/** Lex fault → the probe's failure reason (null: the probe passes). */
const LEX_FAULTS: Record<'ok' | Exclude<FaultMode, 'none'>, string | null> = {
  ok: null,
  down: 'server-error',
  throttled: 'throttled',
  notfound: 'not-found',
  hang: 'timeout',
  slow: 'slow',
  wrongintent: 'wrong-intent',
  // The matrix probes by text (RecognizeText, StartConversation in TEXT mode): speech failing is not theirs to see.
  nospeech: null,
};

/**
 * - `ok`: DynamoDB answers every request.
 * - `transient`: 2 of every 3 requests get ThrottlingException (never more than 2 in a row: within every state's
 *   3 retries), so the outcome must be the same as with a healthy table.
 * - `persistent`: every request gets ProvisionedThroughputExceededException; the workflow cannot read lexDR, so it
 *   must decide nothing: executions succeed, lexDR and the history stay as they were.
 */
const DYNAMO: Record<'ok' | 'transient' | 'persistent', DynamoFault> = {
  ok: { mode: 'none' },
  transient: { mode: 'throttled', rate: 2 / 3 },
  persistent: { mode: 'throughput' },
};

type LexFault = keyof typeof LEX_FAULTS;
type DynamoCase = keyof typeof DYNAMO;
interface Case {
  faulted: 'primary' | 'secondary';
  lex: LexFault;
  dynamo: DynamoCase;
}

// Every combination; with no Lex fault, which region is "faulted" does not matter, so it runs once. A speech-only
// fault is the text probes' to miss whatever the table does: it runs with DynamoDB healthy only (the report-driven
// matrix, report-fault-matrix.test.ts, is where speech sees it).
const CASES: Case[] = (Object.keys(DYNAMO) as DynamoCase[]).flatMap((dynamo) =>
  (Object.keys(LEX_FAULTS) as LexFault[])
    .filter((lex) => lex !== 'nospeech' || dynamo === 'ok')
    .flatMap((lex) =>
      (lex === 'ok' ? (['primary'] as const) : (['primary', 'secondary'] as const)).map((faulted) => ({
        faulted,
        lex,
        dynamo,
      })),
    ),
);

async function runCase(sys: LocalSystem, c: Case) {
  // A healthy item to start from, as one clean cycle leaves it (version 1, both regions passed once).
  const before = await seedHealthyItem(sys, { passes: 1 });

  const region = c.faulted === 'primary' ? E : W;
  if (c.lex !== 'ok') sys.lex[region]!.setFault({ mode: c.lex, latencyMs: SLOW_MS });
  sys.dynamo.setFault(DYNAMO[c.dynamo]);
  const records: ExecutionRecord[] = [];
  const observed: string[] = [];
  let throttled = 0;
  for (let i = 0; i < FAIL_THRESHOLD + 1; i += 1) {
    records.push(await sys.runExecution({ cycles: 1 }));
    // Look at the item between executions (with DynamoDB healthy for that read), then put the fault back.
    const seen = sys.dynamo.fault();
    throttled += sys.dynamo.faultStats().failed;
    sys.dynamo.setFault({ mode: 'none' });
    const item = await sys.readItem();
    if (item?.lastChange && !observed.includes(changeKey(item.lastChange))) observed.push(changeKey(item.lastChange));
    sys.dynamo.setFault(seen);
  }
  sys.dynamo.setFault({ mode: 'none' });
  for (const r of Object.values(sys.lex)) r.setFault({ mode: 'none' });
  // Every delivery of these executions (a redelivery has the same name), as the system recorded them.
  const names = new Set(records.map((r) => r.name));
  const deliveries = sys.executions.filter((e) => names.has(e.name));
  return {
    records,
    deliveries,
    before,
    after: await sys.readItem(),
    history: await sys.history(),
    observed,
    throttled,
  };
}

/**
 * Cases run a few at a time, each on a system of its own from a small pool: most of a case's time is waiting
 * (probe timeouts, slow answers), which overlaps well. The pool starts on first use, inside the tests.
 */
const POOL_SIZE = 3;
let pool: Promise<LocalSystem[]> | undefined;
const free: LocalSystem[] = [];
const waiting: (() => void)[] = [];

async function withSystem<T>(f: (sys: LocalSystem) => Promise<T>): Promise<T> {
  pool ??= Promise.all(
    Array.from({ length: POOL_SIZE }, async () => {
      const sys = await startFast(config('nlu'), { atLeastOnce: atLeastOnce(MATRIX_REDELIVERY) });
      withoutSdkRetries(sys.dynamo.client);
      free.push(sys);
      return sys;
    }),
  );
  await pool;
  while (free.length === 0) await new Promise<void>((resolve) => waiting.push(resolve));
  const sys = free.pop()!;
  try {
    return await f(sys);
  } finally {
    free.push(sys);
    waiting.shift()?.();
  }
}

describe('fault matrix: Lex faults × regions × DynamoDB throttling, through the real workflow', () => {
  afterAll(async () => {
    const systems = await pool;
    await Promise.all((systems ?? []).map((s) => s.close()));
  });

  it.concurrent.each(CASES)('$lex on the $faulted, DynamoDB $dynamo', (c) => withSystem((sys) => checkCase(sys, c)));
});

async function checkCase(sys: LocalSystem, c: Case) {
  const { records, deliveries, before, after, history, observed, throttled } = await runCase(sys, c);
  const reason = LEX_FAULTS[c.lex];
  const region = c.faulted === 'primary' ? E : W;
  const other = region === E ? W : E;
  const switches = reason !== null && c.faulted === 'primary' && c.dynamo !== 'persistent';
  /** Probe rounds of every delivery: one per cycle, plus each confirmation round. */
  const paths = deliveries.flatMap((r) => r.path);
  const rounds = paths.filter((s) => s === 'Probe regions').length;
  /** Rounds whose decision metrics were kept (a lost race or a change another delivery recorded drops them). */
  const dropped = ['Lost the race', 'Not saved', 'Recorded by another delivery'];
  const decided = paths.filter((s) => s === 'Decide').length - paths.filter((s) => dropped.includes(s)).length;

  // No execution fails, whatever Lex and DynamoDB do.
  expect(records.map((r) => `${r.status} ${r.error ?? ''}`.trim())).toEqual(records.map(() => 'SUCCEEDED'));
  if (c.dynamo !== 'ok') expect(throttled).toBeGreaterThan(0); // the fault was really in the way

  if (switches) {
    expect(after?.lexRegion).toBe(W);
    expect(after?.lastChange).toMatchObject({ from: E, to: W, reason: 'failover', drill: false });
    expect(after?.lastChange?.detail).toContain(reason);
    expect(after?.regionHealth[E]).toMatchObject({ fails: FAIL_THRESHOLD, reason });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ from: E, to: W, reason: 'failover' });
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(1);
    // The lookup answers the new region.
    await expect(sys.lookup({ Name: 'ContactFlowEvent', Details: { Parameters: {} } })).resolves.toMatchObject({
      lexRegion: W,
      status: 'ok',
    });
  } else {
    expect(after?.lexRegion).toBe(E);
    expect(after?.lastChange).toBeUndefined();
    expect(history).toHaveLength(0);
    expect(sum(metricValues(sys, 'RegionChanges'))).toBe(0);
    await expect(sys.lookup({ Name: 'ContactFlowEvent', Details: { Parameters: {} } })).resolves.toMatchObject({
      lexRegion: E,
    });
  }
  if (c.dynamo === 'persistent') {
    // lexDR could not be read: nothing was decided or written, the item is exactly as before.
    expect(after).toEqual(before);
    expect(metricValues(sys, 'RegionChanges')).toEqual([]);
  } else if (reason !== null) {
    expect(after?.regionHealth[region]).toMatchObject({ fails: FAIL_THRESHOLD, passes: 0, reason });
    // One RegionChanges datapoint per round whose decision was kept. Under redelivery, the two deliveries share
    // the throttled table: a delivery's read may exhaust its retries (that round decides nothing), so only the bound
    // holds there, with every decision's datapoints together.
    const changes = metricValues(sys, 'RegionChanges');
    if (deliveries.length === records.length) expect(changes).toHaveLength(decided);
    else expect(changes.length).toBeLessThanOrEqual(decided);
    expect(metricValues(sys, 'ActiveRegionIndex')).toHaveLength(changes.length);
    // The first failure is confirmed inside its cycle: the rounds are the executions plus a confirmation.
    expect(rounds).toBeGreaterThanOrEqual(FAIL_THRESHOLD + 2);
  }
  // Probe metrics are published either way: the faulted region always 0, the other always 1. Every round probes
  // the faulted region (a confirmation round probes only the region that failed).
  const faultedSuccess = metricValues(sys, 'ProbeSuccess', { Region: region });
  expect(faultedSuccess).toHaveLength(rounds);
  expect(new Set(faultedSuccess)).toEqual(new Set([reason === null ? 1 : 0]));
  expect(new Set(metricValues(sys, 'ProbeSuccess', { Region: other }))).toEqual(new Set([1]));
  // Nothing lost: every change seen on the item is in the history table.
  expect(history.map(changeKey).sort()).toEqual([...observed].sort());
}

describe('a liveness probe does not look at the NLU', () => {
  let sys: LocalSystem;

  beforeAll(async () => {
    sys = await startFast(config('liveness'), { atLeastOnce: atLeastOnce(0.5) });
  });
  afterAll(async () => {
    // Redelivery was really on.
    expect(sys.redeliveries()).toBeGreaterThan(0);
    await sys?.close();
  });

  it.each([E, W])('a wrong-intent %s stays healthy under liveness probes', async (region) => {
    await resetSystem(sys);
    sys.lex[region]!.setFault({ mode: 'wrongintent' });
    for (let i = 0; i < FAIL_THRESHOLD + 1; i += 1)
      expect((await sys.runExecution({ cycles: 1 })).status).toBe('SUCCEEDED');
    const item = await sys.readItem();
    expect(item?.lexRegion).toBe(E);
    expect(item?.regionHealth[region]).toMatchObject({ fails: 0, reason: 'ok' });
    expect(await sys.history()).toHaveLength(0);
    expect(new Set(metricValues(sys, 'ProbeSuccess', { Region: region }))).toEqual(new Set([1]));
  });
});

describe('the stream probe (StartConversation) through the same Lex faults, DynamoDB ok', () => {
  let sys: LocalSystem;

  beforeAll(async () => {
    sys = await startFast(config('stream'));
    withoutSdkRetries(sys.dynamo.client);
  });
  afterAll(async () => {
    await sys?.close();
  });

  it.each(CASES.filter((c) => c.dynamo === 'ok'))('$lex on the $faulted', async (c) => {
    const before = sum(Object.values(sys.lex).map((l) => l.stats()['V2.StartConversation'] ?? 0));
    await checkCase(sys, c);
    // Every probe was a conversation (hung ones too: they are counted on arrival).
    // One conversation per probe: each round's (a confirmation round probes the failed region again).
    expect(sum(Object.values(sys.lex).map((l) => l.stats()['V2.StartConversation'] ?? 0)) - before).toBe(
      metricValues(sys, 'ProbeSuccess').length,
    );
  });
});
