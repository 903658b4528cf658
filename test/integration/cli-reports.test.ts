/**
 * What `lexdr status` and `lexdr history` show of callers' reports: each region's report window (read from the DR
 * table with the report function's own reader — on the local system, and on a deployed stack through the `--aws`
 * double), the rule in force from the settings item, and a change started by reports (how many callers, which probe
 * confirmed it).
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { StatusReport } from '../../cli/commands/status';
import type { RegionChange } from '../../core/dr-item';
import { calls, extraAnswers, FLAGS, lexdr as awsLexdr, useAwsDouble } from './cli-aws-double';
import type { CliSystem } from './cli-harness';
import { runLexdr, startCliSystem } from './cli-harness';
import { E, W, connectReport, reportConfig } from './report-fixture';

describe('lexdr status and history on the local system', () => {
  let cli: CliSystem;
  const lexdr = (argv: string[]) => runLexdr(argv, cli.env, cli.dir, { now: () => cli.sys.clock() });
  let executionArn: string;

  beforeAll(async () => {
    cli = await startCliSystem('lexdr-cli-reports-', reportConfig({ windowSeconds: 60 }));
    // A caller on the region callers are not on, then one on the active region while it is down.
    await cli.sys.report(connectReport(W));
    cli.sys.lex[E]!.setFault({ mode: 'down' });
    const r = await cli.sys.report(connectReport(E));
    executionArn = r.executionArn!;
    await cli.sys.stepfunctions.drain();
  });
  afterAll(async () => {
    await cli?.close();
  });

  it('status --json: the rule in force and each region window — reports in it, the last report, the last check', async () => {
    const r = await lexdr(['status', '--json']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const s = JSON.parse(r.out) as StatusReport;
    expect(s.activeRegion).toBe(W);
    expect(s.callerReports.ruleFrom).toBe('settings');
    expect(s.callerReports.rule).toEqual({
      enabled: true,
      contacts: 1,
      windowSeconds: 60,
      minIntervalSeconds: 15,
      confirmWith: 'probe',
    });
    const east = s.callerReports.regions[E]!;
    expect(east).toMatchObject({ inWindow: 1, reports: 1, checks: 1 });
    expect(east.lastCheckAt).toBe(east.lastReportAt);
    expect(s.callerReports.regions[W]).toMatchObject({ inWindow: 1, reports: 1, checks: 0, lastCheckAt: null });
    expect(Date.parse(s.callerReports.regions[W]!.lastReportAt!)).toBeLessThanOrEqual(Date.parse(east.lastReportAt!));
    expect(s.recentChanges.at(-1)).toMatchObject({ execution: executionArn, reported: { contacts: 1 } });
  });

  it('status: the rule in words, a row per region, and the change that reports started', async () => {
    const r = await lexdr(['status']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      "Callers' reports: 1 contact(s) within 60 s start a check of the active region (at most one per 15 s), confirmed by the configured probe:",
    );
    expect(r.out).toMatch(/ {2}us-east-1 +1 +\S+ ago +\S+ ago +1 \/ 1/);
    expect(r.out).toMatch(/\* us-west-2 +1 +\S+ ago +- +1 \/ 0/);
    expect(r.out).toMatch(/us-east-1 → us-west-2 {2}failover: reported by 1 caller, confirmed by OrderFlowers: /);
  });

  it('history: the change says how many callers reported and which probe confirmed it', async () => {
    const j = await lexdr(['history', '--since', '1h', '--json']);
    const [change] = JSON.parse(j.out) as RegionChange[];
    expect(change).toMatchObject({ from: E, to: W, reason: 'failover', reported: { contacts: 1 } });
    expect(change!.reported!.confirmedBy).toMatch(/^OrderFlowers: /);
    const text = await lexdr(['history', '--since', '1h']);
    expect(text.out).toContain(`failover  reported by 1 caller, confirmed by ${change!.reported!.confirmedBy}`);
  });
});

describe('lexdr --aws status reads the report windows of the deployed table', () => {
  useAwsDouble();
  const now = Date.now();
  const items: Record<string, Record<string, unknown>> = {
    'us-east-1#settings': {
      connectRegion: 'us-east-1#settings',
      settings: JSON.stringify({
        connectRegion: 'us-east-1',
        callerReports: { enabled: true, contacts: 2, windowSeconds: 60, minIntervalSeconds: 30, confirmWith: 'speech' },
      }),
    },
    'us-east-1#reports#us-east-1': {
      connectRegion: 'us-east-1#reports#us-east-1',
      version: 9,
      recent: { 'contact-a': now - 5000, 'contact-b': now - 20_000, 'contact-c': now - 120_000 },
      lastTriggerAt: now - 20_000,
      reports: 7,
      triggers: 2,
      lastReportAt: now - 5000,
    },
  };
  beforeAll(() => {
    extraAnswers.push((r) => {
      if (r.target !== 'DynamoDB_20120810.GetItem') return undefined;
      const key = (JSON.parse(r.text) as { Key: { connectRegion: { S: string } } }).Key.connectRegion.S;
      if (!key.includes('#')) return undefined; // the lexDR item: the double's own
      const item = items[key];
      return [200, item ? { Item: marshall(item) } : {}];
    });
  });

  it('GetItem of each region window (consistent) and of the settings item; the rule and windows in --json', async () => {
    const r = await awsLexdr([...FLAGS, 'status', '--json']);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const keys = calls
      .filter((c) => c.target === 'DynamoDB_20120810.GetItem')
      .map((c) => [
        (c.body.Key as { connectRegion: { S: string } }).connectRegion.S,
        c.body.TableName,
        c.body.ConsistentRead,
      ]);
    expect(keys).toEqual(
      expect.arrayContaining([
        ['us-east-1#settings', 'lexDR', true],
        ['us-east-1#reports#us-east-1', 'lexDR', true],
        ['us-east-1#reports#us-west-2', 'lexDR', true],
      ]),
    );
    const s = JSON.parse(r.out) as StatusReport;
    expect(s.callerReports).toEqual({
      rule: { enabled: true, contacts: 2, windowSeconds: 60, minIntervalSeconds: 30, confirmWith: 'speech' },
      ruleFrom: 'settings',
      regions: {
        'us-east-1': {
          inWindow: 2,
          lastReportAt: new Date(now - 5000).toISOString(),
          lastCheckAt: new Date(now - 20_000).toISOString(),
          reports: 7,
          checks: 2,
        },
        'us-west-2': { inWindow: 0, lastReportAt: null, lastCheckAt: null, reports: 0, checks: 0 },
      },
    });
  });
});
