/**
 * Bad input, generated: Connect events, execution inputs, lexDR items, config and the local HTTP bodies.
 * Every edge must answer safely or reject with its named error and a message — never throw anything else,
 * never answer a region that is not configured, never 500.
 */
import { maxCycles } from '../../core/cycle-plan';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { ConfigError, parseConfig } from '../../infra/config';
import type { LexdrConfigInput } from '../../infra/config';
import { buildSettings } from '../../infra/settings';
import { InvalidInputError } from '../../core/errors';
import { ERR, planFirstCycle, readItem } from '../../core/health-core';
import { createLookup } from '../../core/lookup-core';
import type { LookupAnswer } from '../../core/lookup-core';
import { startControlServer } from '../../local/control-server';
import type { ControlServer } from '../../local/control-server';
import { localBotIds } from '../../local/lex';
import type { LocalSystem } from '../../local/system';
import { startFast } from '../integration/system-fixture';

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-2'];
const CONFIG: LexdrConfigInput = {
  connectRegion: 'us-east-1',
  regions: REGIONS,
  bots: [{ name: 'OrderFlowers' }, { name: 'Pizza' }],
};
const settings = buildSettings(parseConfig(CONFIG), (bot, region) => localBotIds(region, bot.name), '000000000000');
const RUNS = { numRuns: 300, seed: 20261102 };

// ---------- generators ----------

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const HUGE = 'x'.repeat(300_000);
const key = fc.oneof(fc.string(), fc.constantFrom(...PROTO_KEYS, 'Details', 'Parameters', 'bot', 'region', 'Name'));
/** Odd strings: empty, unicode, lone surrogates, control characters, region-like and huge. */
const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    'err',
    'us-east-1',
    'US-EAST-1',
    'mars-north-1',
    '\u0000',
    '\ud800',
    HUGE,
    'OrderFlowers',
    'Pizza',
  ),
);
/** Arbitrary JSON-ish values, with prototype-pollution keys at any depth. */
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(key, tie('v'), { maxKeys: 5 }),
  ),
})).v;
/** A value nested `depth` times: deep shapes. */
const deep = fc
  .tuple(fc.integer({ min: 100, max: 3000 }), value)
  .map(([depth, leaf]) => Array.from({ length: depth }).reduce<unknown>((v) => ({ Details: v }), leaf));
/** Shapes close to a Connect event, where the lookup's parsing really happens. */
const connectish = fc.record(
  {
    Name: fc.oneof(fc.constant('ContactFlowEvent'), oddString),
    Details: fc.oneof(
      fc.record(
        {
          ContactData: fc.oneof(value, fc.record({ ContactId: oddString, InstanceARN: oddString })),
          Parameters: fc.oneof(
            value,
            fc.record({ bot: oddString, region: oddString }, { requiredKeys: [] }),
            fc.dictionary(key, value),
          ),
        },
        { requiredKeys: [] },
      ),
      value,
    ),
  },
  { requiredKeys: [] },
);
const event = fc.oneof(value, connectish, deep, fc.constantFrom(JSON.parse('{"__proto__": {"polluted": "yes"}}')));

/** Any AttributeValue a DynamoDB table can hold. */
/** Numbers DynamoDB stores that JavaScript reads back as numbers. */
const safeNumber = fc.oneof(
  fc.integer().map(String),
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })
    .map(String),
  fc.constantFrom('0', '-0', '12345678901234567890123', '0.000001', '-1e-130'),
);
/** Numbers DynamoDB stores (38 digits, exponent −130…+125) that are neither safe integers nor plain integers. */
const wideNumber = fc.constantFrom('1e20', '-1e125', '9.9999999999999999999999999999999999999E+125', '1.5e16');

/** Any AttributeValue a DynamoDB table can hold, with map keys and numbers drawn from the given generators. */
function attrOf(numbers: fc.Arbitrary<string>, keys: fc.Arbitrary<string>): fc.Arbitrary<AttributeValue> {
  return fc.letrec((tie) => ({
    a: fc.oneof(
      { depthSize: 'small' },
      oddString.map((S) => ({ S })),
      numbers.map((N) => ({ N })),
      fc.boolean().map((BOOL) => ({ BOOL })),
      fc.constant({ NULL: true as const }),
      fc.uint8Array({ maxLength: 8 }).map((B) => ({ B })),
      fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 3 }).map((SS) => ({ SS })),
      fc.uniqueArray(fc.integer().map(String), { minLength: 1, maxLength: 3 }).map((NS) => ({ NS })),
      fc.array(tie('a') as fc.Arbitrary<AttributeValue>, { maxLength: 3 }).map((L) => ({ L })),
      fc.dictionary(keys, tie('a') as fc.Arbitrary<AttributeValue>, { maxKeys: 4 }).map((M) => ({ M })),
    ),
  })).a as fc.Arbitrary<AttributeValue>;
}

/** lexDR items with garbage where lexdr's attributes go (and in an attribute of someone else's). */
function itemOf(attr: fc.Arbitrary<AttributeValue>) {
  return fc.record(
    {
      connectRegion: attr,
      lexRegion: fc.oneof(
        attr,
        fc.constantFrom(...REGIONS, ERR, 'mars-north-1').map((S) => ({ S })),
      ),
      version: attr,
      regionHealth: fc.oneof(
        attr,
        fc
          .dictionary(
            fc.constantFrom(...REGIONS, 'x'),
            fc.oneof(
              attr,
              fc.record({ fails: attr, passes: attr, reason: attr }).map((M) => ({ M })),
            ),
          )
          .map((M) => ({ M })),
      ),
      pin: fc.oneof(
        attr,
        fc.record({ region: attr, until: attr, by: attr, reason: attr }, { requiredKeys: [] }).map((M) => ({ M })),
      ),
      lastChange: attr,
      note: attr,
    },
    { requiredKeys: [] },
  );
}
const plainKey = fc.string().filter((k) => !PROTO_KEYS.includes(k));
/** Garbage of the ordinary kind: wrong types, wrong shapes, odd strings, numbers JavaScript can hold. */
const itemAttrs = itemOf(attrOf(safeNumber, plainKey));
/** Anything a table can hold, including wide numbers and maps with keys such as `toString`. */
const anyItemAttrs = itemOf(attrOf(fc.oneof(safeNumber, wideNumber), key));

// ---------- properties ----------

function expectSafeAnswer(a: LookupAnswer) {
  expect(a).not.toBeNull();
  for (const [k, v] of Object.entries(a)) expect([k, typeof v]).toEqual([k, 'string']);
  expect([...REGIONS, ERR]).toContain(a.lexRegion);
  expect(a.primaryCode).toBe(a.lexRegion);
  expect(['ok', 'pinned', 'err', 'stale', 'default', 'bad-input']).toContain(a.status);
  expect(['', ...REGIONS]).toContain(a.fallbackRegion);
  expect(a.fallbackRegion).not.toBe(a.lexRegion);
  const bot = settings.bots.find((b) => b.name === a.botName);
  expect(bot).toBeDefined();
  if (a.lexRegion !== ERR) expect(a.botAliasArn).toBe(bot!.regions[a.lexRegion]!.botAliasArn);
}

afterAll(() => {
  // Nothing reached Object.prototype.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('the lookup on arbitrary Connect events and table contents', () => {
  it('never throws and always answers a flat string map naming a configured region or err', async () => {
    await fc.assert(
      fc.asyncProperty(event, fc.option(anyItemAttrs), fc.boolean(), async (ev, item, tableDown) => {
        const lookup = createLookup({
          settings,
          now: () => 0,
          getItem: async () => {
            if (tableDown) throw new Error('table unreadable');
            return item ?? undefined;
          },
        });
        expectSafeAnswer(await lookup(ev));
      }),
      RUNS,
    );
  });
});

describe('execution input to planFirstCycle', () => {
  const execution = {
    id: 'arn:aws:states:us-east-1:000000000000:execution:lexdr:fuzz',
    startedAt: new Date(0).toISOString(),
  };
  const nearValid = fc.record(
    {
      drill: fc.oneof(
        value,
        fc.record(
          {
            failRegions: fc.oneof(value, fc.array(fc.oneof(fc.constantFrom(...REGIONS), oddString), { maxLength: 4 })),
            reason: fc.oneof(oddString, value),
          },
          { requiredKeys: [] },
        ),
      ),
      cycles: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.double(), value),
      Comment: oddString,
    },
    { requiredKeys: [] },
  );

  it('is a valid plan or an InvalidInputError with a message, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(value, nearValid, deep), (input) => {
        let plan;
        try {
          plan = planFirstCycle(settings, input, execution);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidInputError);
          expect((err as Error).message).toMatch(/^invalid execution input: .+: got .+; /);
          return;
        }
        expect(plan.targets).toHaveLength(REGIONS.length * settings.bots.length);
        expect(plan.cycle.of).toBeGreaterThanOrEqual(1);
        expect(plan.cycle.of).toBeLessThanOrEqual(maxCycles(settings));
        for (const r of plan.drill?.failRegions ?? []) expect(REGIONS).toContain(r);
        expect(plan.targets.filter((t) => t.drillFail).map((t) => t.region)).toEqual(
          plan.targets.filter((t) => plan.drill?.failRegions.includes(t.region)).map((t) => t.region),
        );
      }),
      RUNS,
    );
  });
});

describe('readItem on garbage in the table', () => {
  /** What the decision and the lookup need to keep working: strings and finite counters. */
  function expectSafeItem(raw: Record<string, AttributeValue>) {
    const item = readItem(raw, settings)!;
    expect(typeof item.lexRegion).toBe('string');
    expect(typeof item.connectRegion).toBe('string');
    expect(Object.keys(item.regionHealth).sort()).toEqual([...REGIONS].sort());
    for (const h of Object.values(item.regionHealth)) expect(typeof h.reason).toBe('string');
    if (item.pin !== null) expect(typeof item.pin.region).toBe('string');
    return item;
  }

  it('never throws on ordinary garbage and returns an item with string fields', () => {
    fc.assert(
      fc.property(itemAttrs, (raw) => void expectSafeItem(raw)),
      RUNS,
    );
  });

  // A throw here would fail every execution at Decide and send the lookup to its fallback answers.
  it('never throws on anything a table can hold (wide numbers, keys like toString)', () => {
    fc.assert(
      fc.property(anyItemAttrs, (raw) => void expectSafeItem(raw)),
      RUNS,
    );
  });

  // A NaN version would make every conditional write fail and freeze lexDR silently.
  it('reads version and health counters as finite numbers', () => {
    fc.assert(
      fc.property(itemAttrs, (raw) => {
        const item = expectSafeItem(raw);
        expect(Number.isFinite(item.version)).toBe(true);
        for (const h of Object.values(item.regionHealth)) {
          expect(Number.isFinite(h.fails)).toBe(true);
          expect(Number.isFinite(h.passes)).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe('parseConfig on arbitrary objects', () => {
  const valid = parseConfig(CONFIG) as unknown as Record<string, unknown>;
  /** A valid config with one key replaced by an arbitrary value (or removed, or an unknown key added). */
  const mutated = fc
    .tuple(fc.constantFrom(...Object.keys(valid), 'unknownKey'), fc.option(value))
    .map(([k, v]) => ({ ...valid, [k]: v ?? undefined }));

  it('is a config or a ConfigError naming each bad key, the value received and what is valid', () => {
    fc.assert(
      fc.property(fc.oneof(value, mutated), (input) => {
        let config;
        try {
          config = parseConfig(input);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          const lines = (err as Error).message.split('\n').slice(1);
          expect(lines.length).toBeGreaterThan(0);
          for (const l of lines) expect(l).toMatch(/^ {2}\S.*: got .+; .+/);
          return;
        }
        expect(config.regions.length).toBeGreaterThanOrEqual(2);
        expect(60 % config.cadenceSeconds).toBe(0);
      }),
      RUNS,
    );
  });
});

describe('local HTTP bodies', () => {
  let sys: LocalSystem;
  let control: ControlServer;

  beforeAll(async () => {
    sys = await startFast();
    control = await startControlServer(sys);
  });
  afterAll(async () => {
    await control?.close();
    await sys?.close();
  });

  const body = fc.oneof(
    event.map((e) => JSON.stringify(e) ?? ''),
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('', '{', 'null', '[]', '"x"', '{"Details":', '\u0000\u0001'),
  );

  it('POST /lookup answers 200 with a safe flat map, whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await fetch(`${control.url}/lookup`, { method: 'POST', body: b });
        expect(res.status).toBe(200);
        expectSafeAnswer((await res.json()) as LookupAnswer);
      }),
      { ...RUNS, numRuns: 150 },
    );
  });

  it('PUT /_lexdr/fault on a Lex region answers 200 with the fault or 400 with a message, never 500', async () => {
    const lex = sys.lex['us-east-1']!;
    const faultish = fc.record(
      { mode: fc.oneof(fc.constantFrom('none', 'down', 'slow', 'hang', 'x', ''), value), latencyMs: value },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          body,
          faultish.map((f) => JSON.stringify(f) ?? ''),
        ),
        async (b) => {
          const res = await fetch(`${lex.url}/_lexdr/fault`, { method: 'PUT', body: b });
          const answer = (await res.json()) as { mode?: string; message?: string };
          expect([200, 400]).toContain(res.status);
          if (res.status === 400) expect(answer.message).toMatch(/\S/);
          else expect(answer).toEqual(lex.fault());
          lex.setFault({ mode: 'none' });
        },
      ),
      { ...RUNS, numRuns: 150 },
    );
  });

  it('a body over the size limit is refused with a clear client error, not a 500', async () => {
    const res = await fetch(`${control.url}/lookup`, { method: 'POST', body: 'x'.repeat(100 * 1024) });
    expect(res.status).toBeLessThan(500);
  });
});
