/**
 * The dashboard page's script, the entry of its bundle (esbuild bundles it with its modules — render.ts, sparkline.ts,
 * dom.ts, labels.ts — and uPlot; no framework, no CDN). Paints the state embedded in the page, then fetches
 * `/dashboard/api/state` after every server-sent event from `/events`; renders in place without reloading.
 */
import { $ } from './dom';
import type { DashboardState } from './page-state';
import { render, resizeCharts } from './render';

let state: DashboardState | undefined;

/** The per-start token the server put in the page (`<meta name="lexdr-token">`), sent with every request. */
const TOKEN = document.querySelector<HTMLMetaElement>('meta[name="lexdr-token"]')?.content ?? '';

async function api(path: string, init?: RequestInit): Promise<unknown> {
  const headers = new Headers(init?.headers);
  if (TOKEN) headers.set('x-lexdr-token', TOKEN);
  const r = await fetch(path, { ...init, headers });
  const body = (await r.json().catch(() => ({}))) as { message?: string };
  if (!r.ok) throw new Error(body.message ?? `HTTP ${r.status}`);
  return body;
}

async function setFault(region: string, mode: string): Promise<void> {
  await api(`/dashboard/api/fault/${region}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode }),
  });
  await refresh();
}

function showError(err: unknown): void {
  $('drill-result').textContent = `Error: ${(err as Error).message}`;
}

const onFault = (region: string, mode: string) => void setFault(region, mode).catch(showError);

let inflight: Promise<void> | undefined;
let again = false;
async function refresh(): Promise<void> {
  if (inflight) {
    again = true;
    return inflight;
  }
  inflight = (async () => {
    do {
      again = false;
      state = (await api('/dashboard/api/state')) as DashboardState;
      render(state, onFault);
    } while (again);
  })().finally(() => (inflight = undefined));
  return inflight;
}

async function startDrill(): Promise<void> {
  const failRegions = Array.from(
    document.querySelectorAll<HTMLInputElement>('#drill-regions input:checked'),
    (i) => i.value,
  );
  const cycles = Number(($('drill-cycles') as HTMLInputElement).value) || undefined;
  const btn = $<HTMLButtonElement>('drill-start');
  const out = $('drill-result');
  btn.disabled = true;
  try {
    const r = (await api('/executions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ drill: { failRegions, reason: 'dashboard drill' }, ...(cycles ? { cycles } : {}) }),
    })) as { name: string };
    out.textContent = `Running ${r.name}…`;
    for (;;) {
      const d = (await api(`/executions/${r.name}`)) as { status: string; error?: string };
      if (d.status !== 'RUNNING') {
        out.textContent = `${r.name}: ${d.status}${d.error ? ` (${d.error})` : ''} — active region ${state?.status.item?.lexRegion ?? '?'}`;
        break;
      }
      await new Promise((res) => setTimeout(res, 300));
    }
  } catch (err) {
    showError(err);
  } finally {
    btn.disabled = false;
    await refresh().catch(() => undefined);
  }
}

function connect(): void {
  const dot = $('live-dot');
  const text = $('live-text');
  const es = new EventSource('/events');
  es.onopen = () => {
    dot.className = 'dot';
    text.textContent = 'live';
  };
  es.onerror = () => {
    dot.className = 'dot off';
    text.textContent = 'reconnecting…';
  };
  const onEvent = () => {
    dot.classList.remove('pulse');
    void dot.offsetWidth;
    dot.classList.add('pulse');
    text.textContent = `live · ${new Date().toLocaleTimeString()}`;
    void refresh().catch(() => undefined);
  };
  es.addEventListener('cycle', onEvent);
  es.addEventListener('execution', onEvent);
  es.addEventListener('report', onEvent);
}

$('drill-start').addEventListener('click', () => void startDrill());
window.addEventListener('resize', resizeCharts);
// The first paint: the state the server embedded in the page (no round trip), then live updates.
const initial = document.getElementById('initial-state')?.textContent;
if (initial) {
  state = JSON.parse(initial) as DashboardState;
  render(state, onFault);
} else void refresh().catch(showError);
connect();
// The alarm "health check not running" depends on time passing without events: re-evaluate it now and then.
setInterval(() => void refresh().catch(() => undefined), 5000);
