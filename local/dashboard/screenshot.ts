/**
 * The dashboard in Chromium (Debian's, at /usr/bin/chromium or CHROMIUM_PATH, driven by playwright-core), and the
 * docs' picture of it: the browser test (test/browser/dashboard.test.ts) captures the page in the state it drives and
 * writes docs/dashboard.png, so the picture cannot go stale. It is rewritten only when what it shows changes: the
 * PNG carries a fingerprint of the page's code and of what the page says (not the times, names and latencies that
 * differ on every run), and a capture with the same fingerprint leaves the file alone.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { LocalSystem } from '../system';
import { pageScript } from './routes';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The docs' picture of the dashboard (docs/operate.md shows it). */
export const DASHBOARD_PNG = join(__dirname, '..', '..', 'docs', 'dashboard.png');
/** The picture's viewport: fixed, so its size never changes (the page is captured as far as this shows). */
export const SCREENSHOT_VIEWPORT = { width: 1400, height: 1160 };
/** The PNG text chunk's keyword that holds the fingerprint. */
const FINGERPRINT_KEY = 'lexdr-dashboard';

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

/** A capture of the dashboard: the PNG, and the fingerprint of what it shows. */
export interface DashboardShot {
  png: Buffer;
  fingerprint: string;
}

/**
 * Captures the page at `SCREENSHOT_VIEWPORT` (then gives it its viewport back). The fingerprint covers the page's
 * code (script bundle, HTML, style), the viewport, and what the page says: the header, each alarm's state, each
 * region card's status kind and tags, the region changes.
 */
export async function captureDashboard(page: Page): Promise<DashboardShot> {
  const before = page.viewportSize();
  await page.setViewportSize(SCREENSHOT_VIEWPORT);
  try {
    // The charts follow the resize on the next frames.
    await page.evaluate(
      () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
    );
    const png = await page.screenshot({ animations: 'disabled', caret: 'hide' });
    const shown = await page.evaluate(() => {
      const texts = (sel: string) => Array.from(document.querySelectorAll(sel), (e) => e.textContent ?? '');
      return {
        header: texts('#connect-region, #active-region, #active-note, #thresholds, #pin-banner:not(.hidden)'),
        alarms: Array.from(
          document.querySelectorAll('#alarms .alarm'),
          (a) => `${a.querySelector('.name')?.textContent ?? ''}: ${a.getAttribute('data-state') ?? ''}`,
        ),
        regions: Array.from(document.querySelectorAll('#regions .region'), (r) => ({
          region: r.id,
          cls: r.className,
          kind: r.querySelector('.status')?.getAttribute('data-kind') ?? '',
          tags: Array.from(r.querySelectorAll('.tag:not(.hidden)'), (t) => t.textContent ?? ''),
        })),
        changes: Array.from(
          document.querySelectorAll('#timeline li'),
          (li) => `${li.className}: ${li.querySelector('.what')?.textContent ?? li.textContent ?? ''}`,
        ),
      };
    });
    const code = [
      await pageScript(),
      ...['index.html', 'style.css', 'controls.css'].map((f) => readFileSync(join(__dirname, f), 'utf8')),
    ];
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ viewport: SCREENSHOT_VIEWPORT, code, shown }))
      .digest('hex');
    return { png, fingerprint };
  } finally {
    if (before) await page.setViewportSize(before);
  }
}

/**
 * Writes `shot` to `out` unless the picture there already shows the same (the same fingerprint); true when written.
 */
export function saveScreenshot(shot: DashboardShot, out = DASHBOARD_PNG): boolean {
  if (existsSync(out) && pngText(readFileSync(out), FINGERPRINT_KEY) === shot.fingerprint) return false;
  writeFileSync(out, withPngText(shot.png, FINGERPRINT_KEY, shot.fingerprint));
  return true;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The PNG's chunks: type, data, and where each starts and ends. */
function pngChunks(png: Buffer): { type: string; data: Buffer; start: number; end: number }[] {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) return [];
  const out = [];
  for (let at = 8; at + 12 <= png.length;) {
    const length = png.readUInt32BE(at);
    const end = at + 12 + length;
    if (end > png.length) break;
    out.push({
      type: png.toString('latin1', at + 4, at + 8),
      data: png.subarray(at + 8, at + 8 + length),
      start: at,
      end,
    });
    at = end;
  }
  return out;
}

/** The text of the PNG's `tEXt` chunk named `keyword`, if it has one. */
export function pngText(png: Buffer, keyword: string): string | undefined {
  for (const c of pngChunks(png)) {
    if (c.type !== 'tEXt') continue;
    const nul = c.data.indexOf(0);
    if (nul >= 0 && c.data.toString('latin1', 0, nul) === keyword) return c.data.toString('latin1', nul + 1);
  }
  return undefined;
}

/** The PNG with a `tEXt` chunk `keyword` = `text` right after its header chunk (IHDR). */
export function withPngText(png: Buffer, keyword: string, text: string): Buffer {
  const ihdr = pngChunks(png)[0];
  if (ihdr?.type !== 'IHDR') throw new Error('not a PNG: no IHDR chunk after the signature');
  const typeAndData = Buffer.concat([Buffer.from('tEXt', 'latin1'), Buffer.from(`${keyword}\0${text}`, 'latin1')]);
  const chunk = Buffer.alloc(typeAndData.length + 8);
  chunk.writeUInt32BE(typeAndData.length - 4, 0);
  typeAndData.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndData), chunk.length - 4);
  return Buffer.concat([png.subarray(0, ihdr.end), chunk, png.subarray(ihdr.end)]);
}
