/**
 * `lexdr bot diff`: each region's bot read through a model-building client stand-in (bot-drift-fixture.ts), the drift
 * report, the --ids option, and the exit codes when a call fails or the target is the local system.
 */
import type { BotDiffDeps } from '../../cli/commands/bot';
import { botDiff, formatBotDiff, parseIdsOption } from '../../cli/commands/bot';
import { defaultContext } from '../../cli/lib/context';
import { EXIT, TargetNotFoundError, UsageError } from '../../cli/lib/errors';
import type { Io } from '../../cli/lib/io';
import { run } from '../../cli/main';
import { fakeLex, fixture, FIXTURES } from './bot-drift-fixture';

describe('lexdr bot diff', () => {
  const recorder = (env: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      isTTY: false,
      interactive: false,
      confirm: async () => false,
      progress: () => undefined,
      env,
      cwd: FIXTURES, // no .lexdr/local.json here
      now: () => new Date('2025-03-10T00:00:00Z'),
      sleep: async () => undefined,
    };
    return { io, out, err };
  };
  const deps = (byRegion: Record<string, string>, fail?: { api: string; error: Error }): BotDiffDeps => ({
    lexClient: (region) => {
      const { client } = fakeLex(fixture(byRegion[region]!), fail);
      return Object.assign(client, { destroy: () => undefined });
    },
    findIds: async (_bot, region) => ({ ...fixture(byRegion[region]!).ids, source: 'SSM /lexdr/bots/OrderFlowers/*' }),
    config: () => ({ regions: ['us-east-1', 'us-west-2'] }),
  });

  it('finds no drift between the two fixture regions and reports where the IDs came from', async () => {
    const { io } = recorder();

    const report = await botDiff({}, {}, io, deps({ 'us-east-1': 'us-east-1', 'us-west-2': 'us-west-2' }));

    expect(report.drift).toBe(false);
    expect(report.regions.map((r) => [r.region, r.botVersion])).toEqual([
      ['us-east-1', '3'],
      ['us-west-2', '1'],
    ]);
    expect(formatBotDiff(report)).toContain('No drift');
  });

  it('reports drift against the first region', async () => {
    const { io } = recorder();

    const report = await botDiff(
      { regions: 'us-east-1,us-west-2' },
      {},
      io,
      deps({ 'us-east-1': 'us-east-1', 'us-west-2': 'us-west-2-drifted' }),
    );

    expect(report.drift).toBe(true);
    expect(report.comparisons[0]?.differences).toHaveLength(5);
    expect(formatBotDiff(report)).toContain('DRIFT');
  });

  it('uses --ids and rejects malformed entries as usage errors', async () => {
    const { io } = recorder();
    const d = deps({ 'us-east-1': 'us-east-1', 'us-west-2': 'us-west-2' });

    const report = await botDiff({}, { ids: 'us-east-1=QWERTY1234/ALIASE1234,us-west-2=ZXCVBN5678/ALIASW5678' }, io, d);

    expect(report.regions.map((r) => r.source)).toEqual(['--ids', '--ids']);
    expect(() => parseIdsOption('us-east-1=QWERTY1234')).toThrow(UsageError);
    expect(() => parseIdsOption('useast=QWERTY1234/ALIASE1234')).toThrow('is not an AWS region');
  });

  it('turns a failed model-building call into exit 3 naming the region, the API and the permission', async () => {
    const { io } = recorder();
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });

    const err = await botDiff(
      {},
      {},
      io,
      deps({ 'us-east-1': 'us-east-1', 'us-west-2': 'us-west-2' }, { api: 'DescribeSlotType', error: denied }),
    ).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TargetNotFoundError);
    expect((err as TargetNotFoundError).exitCode).toBe(EXIT.notFound);
    expect((err as Error).message).toMatch(/^cannot read the bot in us-east-1: DescribeSlotType failed/);
    expect((err as Error).message).toContain('lex:DescribeSlotType');
  });

  it('exits 2 against the local system: the local Lex regions do not serve the model-building API', async () => {
    const { io, err } = recorder();

    const code = await run(['--local', 'bot', 'diff'], defaultContext(io));

    expect(code).toBe(EXIT.usage);
    expect(err.join('\n')).toContain('the local Lex regions do not serve');
  });
});
