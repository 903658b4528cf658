/**
 * `npx tsx local/dashboard/screenshot.ts [out.png]`: starts a local system in-process with the default setup
 * (cdk.json: two regions, fail over after 2 failures, fail back after 30 passes) and short waits, runs the health
 * check continuously, breaks the primary until the workflow fails over, clears the fault and saves a screenshot of
 * the dashboard while the primary is recovering (default docs/dashboard.png). Needs Chromium at /usr/bin/chromium
 * (or CHROMIUM_PATH).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { readConfigFile } from '../../infra/config';
import { startControlServer } from '../control-server';
import { startLocalSystem } from '../system';
import type { LocalSystem } from '../system';
import { mountDashboard } from './routes';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Runs single-cycle executions back to back (one every `everyMs`) until stopped: a fast schedule. */
export function runContinuously(sys: LocalSystem, everyMs = 300): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await sys.runExecution({ cycles: 1 });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Waits until the dashboard shows `region` as the active region. */
export async function waitForActive(page: Page, region: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction((r) => document.getElementById('active-region')?.textContent === r, region, { timeout });
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? join(__dirname, '..', '..', 'docs', 'dashboard.png');
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);
  const sys = await startLocalSystem({ config: readConfigFile(), waitMs: 200, retryMs: 0 });
  const control = await startControlServer(sys);
  const mount = mountDashboard(control, sys);
  const loop = runContinuously(sys);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1050 } });
    await page.goto(control.url);
    await waitForActive(page, 'us-east-1');
    await page.waitForTimeout(4000); // sparkline points
    sys.lex['us-east-1']!.setFault({ mode: 'down' });
    await waitForActive(page, 'us-west-2');
    await page.waitForTimeout(1500);
    sys.lex['us-east-1']!.setFault({ mode: 'none' });
    // The primary passes again; the workflow fails back after 30 passes: show it on the way.
    await page.waitForFunction(
      () => /recovering: 1\d\/30/.test(document.getElementById('status-us-east-1')?.textContent ?? ''),
      undefined,
      { timeout: 60_000 },
    );
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: true });
    console.log(`saved ${out}`);
  } finally {
    await browser.close();
    await loop.stop();
    await mount.drain();
    mount.close();
    await control.close();
    await sys.close();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
