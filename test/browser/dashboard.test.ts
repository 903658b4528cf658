/**
 * The local dashboard in a real browser (Debian Chromium through playwright-core): a local system with short
 * Wait states and single-cycle executions every ~300 ms. The page comes with its state (header rendered on the
 * server, the rest from the state embedded in the page, before any request or live event); the test clicks
 * "Inject down" on the primary, waits for the page to show the secondary as active (live, via /events, no reload),
 * clears the fault and sees it return; the region labels follow the hysteresis (only a region the workflow would
 * fail back to is "recovering"); a caller's report on the failed primary shows on its card with the check it started and
 * that check's outcome, and the change it confirmed in the timeline. The failed-over page is docs/dashboard.png: captured at a fixed viewport and written
 * once that test has passed, only when what it shows differs from the committed picture.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { ControlServer } from '../../local/control-server';
import { startControlServer } from '../../local/control-server';
import type { DashboardMount } from '../../local/dashboard/routes';
import { mountDashboard } from '../../local/dashboard/routes';
import {
  CHROMIUM_PATH,
  captureDashboard,
  launchChromium,
  runContinuously,
  saveScreenshot,
  waitForActive,
} from '../../local/dashboard/screenshot';
import type { LocalSystem } from '../../local/system';
import { cycles, startFast } from '../integration/system-fixture';

const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium)
  console.warn(`SKIPPED dashboard browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
const describeIfChromium = hasChromium ? describe : describe.skip;

describeIfChromium('local dashboard in Chromium', () => {
  let sys: LocalSystem;
  let control: ControlServer;
  let mount: DashboardMount;
  let loop: { stop(): Promise<void> };
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    sys = await startFast(undefined, { waitMs: 200 });
    control = await startControlServer(sys);
    mount = mountDashboard(control, sys);
    loop = runContinuously(sys, 300);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(control.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await loop?.stop();
    await mount?.drain();
    mount?.close();
    await control?.close();
    await sys?.close();
  });

  it('first paint: the page comes with its state, without the state API or a live event', async () => {
    const fresh = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const errors: string[] = [];
    fresh.on('pageerror', (e) => errors.push(e.message));
    const asked: string[] = [];
    await fresh.route(/\/dashboard\/api\/state|\/events/, (route) => {
      asked.push(route.request().url());
      return route.abort();
    });
    await fresh.goto(control.url, { waitUntil: 'load' });
    expect(await fresh.textContent('#active-region')).toBe('us-east-1');
    expect(await fresh.textContent('#connect-region')).toBe('us-east-1');
    expect(await fresh.textContent('#thresholds')).toContain('fail back after 3 passes');
    // Region cards, counters and sparklines from the embedded state.
    expect(await fresh.locator('[data-testid^="region-"]').count()).toBe(2);
    expect(await fresh.textContent('#passes-us-east-1')).toMatch(/^\d\/3$/);
    // Neither region ever failed: both are healthy, whatever their pass count (not "recovering").
    for (const r of ['us-east-1', 'us-west-2'])
      expect(await fresh.getAttribute(`#status-${r}`, 'data-kind')).toBe('healthy');
    expect(asked.every((u) => /\/events/.test(u))).toBe(true); // the state was not fetched
    expect(errors).toEqual([]);
    await fresh.close();

    // Without JavaScript the header still says where calls go.
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const bare = await ctx.newPage();
    await bare.goto(control.url);
    expect(await bare.textContent('#active-region')).toBe('us-east-1');
    expect(await bare.textContent('#active-note')).toBe('primary');
    await ctx.close();
  }, 40_000);

  it('region cards share the full width; sparklines have a time axis and a latency axis in ms', async () => {
    await page.waitForSelector('[data-testid="region-us-west-2"] .spark canvas');
    const box = async (sel: string) => (await page.locator(sel).boundingBox())!;
    const regions = await box('#regions');
    const [a, b] = [await box('[data-testid="region-us-east-1"]'), await box('[data-testid="region-us-west-2"]')];
    expect(b.x + b.width - a.x).toBeGreaterThan(regions.width - 2);
    expect(a.width).toBeGreaterThan(regions.width * 0.45);
    // uPlot lays the plot area (.u-over) out inside the axes: a y axis on the left, an x axis below.
    const over = await box('[data-testid="spark-us-east-1"] .u-over');
    const canvas = await box('[data-testid="spark-us-east-1"] canvas');
    expect(over.x - canvas.x).toBeGreaterThanOrEqual(40);
    expect(canvas.y + canvas.height - (over.y + over.height)).toBeGreaterThanOrEqual(20);
    expect(await page.textContent('[data-testid="region-us-east-1"]')).toContain('Probe latency, ms');
  });

  it('shows the primary active, with alarms and a sparkline per region', async () => {
    await waitForActive(page, 'us-east-1');
    await page.waitForSelector('[data-testid="region-us-west-2"] .spark canvas');
    expect(await page.getAttribute('[data-testid="alarm-NotOnPrimary"]', 'data-state')).toBe('OK');
    expect(await page.getAttribute('[data-testid="alarm-NoHealthyRegion"]', 'data-state')).toBe('OK');
    expect(await page.textContent('#live-text')).toMatch(/live/);
    expect(pageErrors).toEqual([]);
  }, 40_000);

  it('inject down on us-east-1 → the page shows us-west-2 active; clear → us-east-1 again', async () => {
    const loads: string[] = [];
    page.on('framenavigated', (f) => loads.push(f.url()));
    await page.selectOption('[data-testid="fault-mode-us-east-1"]', 'down');
    await page.click('[data-testid="inject-us-east-1"]');
    // The click starts the page's request to the control API; the region takes the fault when it lands.
    const deadline = Date.now() + 10_000;
    while (sys.lex['us-east-1']!.fault().mode !== 'down' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(sys.lex['us-east-1']!.fault().mode).toBe('down');

    await waitForActive(page, 'us-west-2');
    expect((await sys.readItem())!.lexRegion).toBe('us-west-2');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="alarm-NotOnPrimary"]')?.getAttribute('data-state') === 'ALARM',
    );
    // The history record is written after the item: wait for the timeline to catch up.
    await page.waitForFunction(() =>
      document.getElementById('timeline')!.textContent!.includes('us-east-1 → us-west-2'),
    );
    expect(await page.textContent('[data-testid="region-us-east-1"]')).toContain('fault: down');
    // The docs' picture: the primary down, calls failed over to the secondary.
    const shot = await captureDashboard(page);

    await page.click('[data-testid="clear-us-east-1"]');
    await waitForActive(page, 'us-east-1');
    expect((await sys.readItem())!.lexRegion).toBe('us-east-1');
    await page.waitForFunction(() => document.getElementById('timeline')!.textContent!.includes('failback'));
    expect(loads).toEqual([]); // live updates, no reload
    expect(pageErrors).toEqual([]);
    if (saveScreenshot(shot)) console.log('docs/dashboard.png: the dashboard shows something new; picture rewritten');
  }, 60_000);

  it('starts a drill from the page', async () => {
    // Without the fast schedule: its real (passing) probes of us-east-1 would interleave with the drill's cycles.
    await loop.stop();
    await page.fill('#drill-cycles', '3');
    await page.click('#drill-start');
    await page.waitForFunction(
      () => /SUCCEEDED/.test(document.getElementById('drill-result')?.textContent ?? ''),
      undefined,
      {
        timeout: 30_000,
      },
    );
    const drills = (await sys.history()).filter((c) => c.drill);
    expect(drills).toEqual([expect.objectContaining({ from: 'us-east-1', to: 'us-west-2', reason: 'failover' })]);
  }, 60_000);

  it('labels only the region the workflow would fail back to as recovering, with its passes', async () => {
    // After the drill: us-west-2 active, us-east-1 counted failed by the drill. One real cycle: it passes once.
    await waitForActive(page, 'us-west-2');
    await cycles(sys, 1);
    await page.waitForFunction(
      () => document.getElementById('status-us-east-1')?.textContent === 'recovering: 1/3 passes to fail back',
    );
    expect(await page.getAttribute('#status-us-east-1', 'data-kind')).toBe('recovering');
    expect(await page.getAttribute('#status-us-west-2', 'data-kind')).toBe('healthy');
    await cycles(sys, 2);
    await waitForActive(page, 'us-east-1');
    await page.waitForFunction(() => document.getElementById('status-us-east-1')?.textContent === 'healthy');
    expect(await page.getAttribute('#status-us-west-2', 'data-kind')).toBe('healthy');
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it("shows a caller's report, the check it started and its outcome, and the change it confirmed", async () => {
    await waitForActive(page, 'us-east-1');
    sys.lex['us-east-1']!.setFault({ mode: 'down' });
    const r = await sys.report({
      Name: 'ContactFlowEvent',
      Details: {
        ContactData: { ContactId: 'c0ffee00-0000-4000-8000-000000000001' },
        Parameters: { bot: 'OrderFlowers', lexRegion: 'us-east-1', kind: 'error' },
      },
    });
    expect(r.outcome).toBe('triggered');
    await waitForActive(page, 'us-west-2');
    const name = r.executionArn!.split(':').at(-2)!;
    await page.waitForFunction(
      () => document.querySelector('[data-testid="checks-us-east-1"] li')?.getAttribute('data-outcome') === 'confirmed',
    );
    expect(await page.textContent('#reports-us-east-1')).toMatch(/^1 in the last 5 min · last \d+s ago$/);
    expect(await page.textContent('[data-testid="checks-us-east-1"] li')).toMatch(
      new RegExp(`1 caller → check ${name}: confirmed: us-east-1 → us-west-2 \\(OrderFlowers: `),
    );
    await page.waitForFunction(() =>
      document.getElementById('timeline')!.textContent!.includes('reported by 1 caller, confirmed by OrderFlowers: '),
    );
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
