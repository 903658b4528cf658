import { computeAlarms } from '../../local/dashboard/alarms';
import type { AlarmInput } from '../../local/dashboard/alarms';
import { failedOver, parseDrill } from '../../cli/commands/drill';
import { parseFault } from '../../cli/commands/fault';
import { sinceIso } from '../../cli/commands/history';
import { UsageError } from '../../cli/lib/errors';
import { parseDuration } from '../../cli/lib/format';

const REGIONS = ['us-east-1', 'us-west-2'];

describe('CLI input parsing', () => {
  it('parses durations and names the flag and value when invalid', () => {
    expect(parseDuration('30m', '--for')).toBe(30 * 60_000);
    expect(parseDuration('2h', '--for')).toBe(7_200_000);
    expect(() => parseDuration('30', '--for')).toThrow('--for "30": must be a duration such as 90s, 30m, 2h or 7d');
    expect(() => parseDuration('10s', '--for', { min: 60_000 })).toThrow(UsageError);
  });

  it('builds the drill input the workflow validates', () => {
    expect(parseDrill({ fail: 'us-east-1, us-east-1', cycles: '3', reason: 'game day' }, REGIONS).input).toEqual({
      drill: { failRegions: ['us-east-1'], reason: 'game day' },
      cycles: 3,
    });
    expect(() => parseDrill({ fail: 'eu-west-9' }, REGIONS)).toThrow('not a configured region (us-east-1, us-west-2)');
    expect(() => parseDrill({ fail: 'us-east-1', cycles: '31' }, REGIONS)).toThrow('--cycles "31"');
    expect(() => parseDrill({ fail: ',' }, REGIONS)).toThrow('name at least one region');
  });

  it('judges a drill by where the active region ended', () => {
    expect(failedOver('us-west-2', ['us-east-1'], REGIONS)).toBe(true);
    expect(failedOver('us-east-1', ['us-east-1'], REGIONS)).toBe(false);
    expect(failedOver('err', ['us-east-1'], REGIONS)).toBe(false);
    expect(failedOver('err', REGIONS, REGIONS)).toBe(true);
    expect(failedOver(null, ['us-east-1'], REGIONS)).toBe(false);
  });

  it('validates fault region, mode and latency', () => {
    expect(parseFault('us-east-1', 'slow', REGIONS, '500')).toEqual({ mode: 'slow', latencyMs: 500 });
    expect(() => parseFault('us-east-1', 'explode', REGIONS)).toThrow('mode "explode"');
    expect(() => parseFault('mars-1', 'down', REGIONS)).toThrow('target "mars-1"');
    expect(() => parseFault('us-east-1', 'down', REGIONS, '10')).toThrow('--latency only applies to mode slow');
  });

  it('turns --since into the ISO lower bound of changeId', () => {
    const now = new Date('2026-11-02T12:00:00.000Z');
    expect(sinceIso('24h', now)).toBe('2026-11-01T12:00:00.000Z');
    expect(sinceIso('2026-10-01', now)).toBe('2026-10-01T00:00:00.000Z');
    expect(() => sinceIso('last week', now)).toThrow(UsageError);
  });
});

describe('dashboard alarms (same thresholds as the CloudWatch alarms)', () => {
  const now = Date.parse('2026-11-02T12:00:00.000Z');
  const base: AlarmInput = {
    now,
    regions: REGIONS,
    lexRegion: 'us-east-1',
    lastCycleAt: now - 5_000,
    since: now - 600_000,
    cadenceSeconds: 10,
    probes: [],
    executions: [],
  };
  const state = (i: AlarmInput, id: string) => computeAlarms(i).find((a) => a.id === id)!.state;

  it('fires no-healthy-region on err and not-on-primary on a secondary', () => {
    expect(state({ ...base, lexRegion: 'err' }, 'NoHealthyRegion')).toBe('ALARM');
    expect(state({ ...base, lexRegion: 'err' }, 'NotOnPrimary')).toBe('OK');
    expect(state({ ...base, lexRegion: 'us-west-2' }, 'NotOnPrimary')).toBe('ALARM');
    expect(state(base, 'NotOnPrimary')).toBe('OK');
  });

  it('fires probes-failing only after failures in each of the last 3 minutes', () => {
    const fail = (agoMs: number) => ({ t: now - agoMs, region: 'us-east-1', ok: false });
    const two = [fail(10_000), fail(70_000)];
    expect(state({ ...base, probes: two }, 'ProbeFailing-us-east-1')).toBe('OK');
    const three = [...two, fail(130_000)];
    expect(state({ ...base, probes: three }, 'ProbeFailing-us-east-1')).toBe('ALARM');
    expect(state({ ...base, probes: three }, 'ProbeFailing-us-west-2')).toBe('OK');
  });

  it('fires health-check-not-running when no cycle for more than 2 × cadence', () => {
    expect(state({ ...base, lastCycleAt: now - 20_000 }, 'HealthCheckNotRunning')).toBe('OK');
    expect(state({ ...base, lastCycleAt: now - 21_000 }, 'HealthCheckNotRunning')).toBe('ALARM');
    expect(state({ ...base, lastCycleAt: null, since: now - 1_000 }, 'HealthCheckNotRunning')).toBe(
      'INSUFFICIENT_DATA',
    );
  });

  it('fires on a failed execution in the last minute', () => {
    const failed = { status: 'FAILED', stoppedAt: new Date(now - 30_000).toISOString() };
    expect(state({ ...base, executions: [failed] }, 'WorkflowExecutionsFailed')).toBe('ALARM');
    const old = { status: 'FAILED', stoppedAt: new Date(now - 90_000).toISOString() };
    expect(state({ ...base, executions: [old] }, 'WorkflowExecutionsFailed')).toBe('OK');
  });
});
