import { activeView, regionLabel } from '../../local/dashboard/labels';

const R = ['us-east-1', 'us-west-2', 'eu-west-2'];
const h = (fails: number, passes: number, reason = fails ? 'server-error' : 'ok') => ({ fails, passes, reason });

describe('region labels follow the hysteresis', () => {
  it('a region that never failed is healthy at any pass count', () => {
    expect(regionLabel(h(0, 1), 'us-east-1', R, 'us-east-1', 30)).toEqual({ kind: 'healthy', text: 'healthy' });
    expect(regionLabel(h(0, 1), 'us-west-2', R, 'us-east-1', 30).kind).toBe('healthy');
  });

  it('a passing region above the active one, short of recoverThreshold, is recovering (the workflow fails back to it)', () => {
    expect(regionLabel(h(0, 7), 'us-east-1', R, 'us-west-2', 30)).toEqual({
      kind: 'recovering',
      text: 'recovering: 7/30 passes to fail back',
    });
    expect(regionLabel(h(0, 30), 'us-east-1', R, 'us-west-2', 30).kind).toBe('healthy');
    // Below the active region in priority: the workflow never fails back to it, so it is just healthy.
    expect(regionLabel(h(0, 2), 'eu-west-2', R, 'us-west-2', 30).kind).toBe('healthy');
    // No healthy region (err): the first region that passes takes calls at once.
    expect(regionLabel(h(0, 1), 'us-east-1', R, 'err', 30).kind).toBe('healthy');
  });

  it('failing shows the reason; no counters is no data', () => {
    expect(regionLabel(h(1, 0), 'us-west-2', R, 'us-east-1', 30)).toEqual({
      kind: 'failing',
      text: 'failing: server-error',
    });
    expect(regionLabel(undefined, 'us-west-2', R, null, 30).kind).toBe('unknown');
  });

  it('the active-region pill', () => {
    expect(activeView('us-east-1', 'us-east-1')).toMatchObject({ text: 'us-east-1', note: 'primary' });
    expect(activeView('us-west-2', 'us-east-1')).toMatchObject({ cls: 'secondary', note: 'not the primary' });
    expect(activeView('err', 'us-east-1')).toMatchObject({ cls: 'err', note: 'no healthy region' });
    expect(activeView(null, 'us-east-1').text).toBe('no item yet');
  });
});
