/**
 * The dashboard page (bundled by esbuild with uPlot; no framework, no CDN). Fetches `/dashboard/api/state`
 * on load and after every server-sent event from `/events`; renders in place without reloading.
 */
import uPlot from 'uplot';
import type { AlarmView } from './alarms';
import { activeView, regionLabel, thresholdsText } from './labels';
import type { SeriesPoint } from './routes';

interface RegionHealth {
  fails: number;
  passes: number;
  reason: string;
}
interface Change {
  from: string;
  to: string;
  reason: string;
  detail: string;
  at: string;
  drill: boolean;
}
interface DashboardState {
  now: string;
  status: {
    connectRegion: string;
    regions: string[];
    item: {
      lexRegion: string;
      version: number;
      regionHealth: Record<string, RegionHealth>;
      pin: { region: string; until: string; by: string; reason: string } | null;
    } | null;
    lastProbes: { bot: string; region: string; ok: boolean; reason: string; latencyMs: number }[];
    history: Change[];
    faults: Record<string, { mode: string; latencyMs?: number }>;
    executions: { name: string; status: string; startedAt: string; stoppedAt?: string; error?: string }[];
  };
  series: Record<string, SeriesPoint[]>;
  alarms: AlarmView[];
  thresholds: { cadenceSeconds: number; failThreshold: number; recoverThreshold: number };
  faultModes: string[];
  lastCycleAt: string | null;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function ago(iso: string | undefined, now: number): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

let state: DashboardState | undefined;
const charts = new Map<string, uPlot>();
const built = new Set<string>();

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

const AXIS = {
  stroke: '#8b9ab4',
  grid: { stroke: 'rgba(139,154,180,0.12)', width: 1 },
  ticks: { stroke: 'rgba(139,154,180,0.25)', width: 1, size: 4 },
  font: '11px system-ui, sans-serif',
};
const pad2 = (n: number) => String(n).padStart(2, '0');
/** x axis: wall-clock time of the cycle (HH:MM:SS). */
const clock = (s: number) => {
  const d = new Date(s * 1000);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
};

const SPARK_HEIGHT = 132;

function sparkOptions(width: number): uPlot.Options {
  return {
    width,
    height: SPARK_HEIGHT,
    cursor: { show: false },
    legend: { show: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(50, max * 1.15)] } },
    axes: [
      { ...AXIS, size: 26, space: 70, values: (_u, splits) => splits.map(clock) },
      {
        ...AXIS,
        size: 52,
        space: 28,
        label: 'ms',
        labelSize: 14,
        labelFont: AXIS.font,
        values: (_u, splits) => splits.map((v) => `${v}`),
      },
    ],
    series: [
      {},
      { label: 'latency (ms)', stroke: '#38bdf8', width: 1.5, fill: 'rgba(56,189,248,0.12)', points: { show: false } },
      {
        label: 'failed probe',
        stroke: 'transparent',
        width: 0,
        points: { show: true, size: 6, fill: '#ef4444', stroke: '#ef4444' },
      },
    ],
  };
}

function buildRegionCard(region: string, index: number, modes: string[]): HTMLElement {
  const select = el('select', { 'data-testid': `fault-mode-${region}`, id: `fault-mode-${region}` });
  for (const m of modes.filter((x) => x !== 'none')) select.append(el('option', { value: m }, m));
  const inject = el('button', { class: 'danger', 'data-testid': `inject-${region}` }, 'Inject');
  const clear = el('button', { 'data-testid': `clear-${region}` }, 'Clear');
  inject.addEventListener('click', () => void setFault(region, select.value).catch(showError));
  clear.addEventListener('click', () => void setFault(region, 'none').catch(showError));
  const card = el(
    'div',
    { class: 'region', id: `region-${region}`, 'data-testid': `region-${region}` },
    el(
      'div',
      { class: 'head' },
      el('span', { class: 'title' }, region),
      el('span', { class: 'tag' }, index === 0 ? 'primary' : `priority ${index + 1}`),
      el('span', { class: 'tag active hidden', id: `active-tag-${region}` }, 'active'),
      el('span', { class: 'tag fault hidden', id: `fault-tag-${region}` }),
      el('span', { class: 'status', id: `status-${region}` }, el('span', { class: 'dot' }), el('span', {}, '…')),
    ),
    el(
      'div',
      { class: 'stats' },
      stat('fails', `fails-${region}`, true),
      stat('passes', `passes-${region}`, true),
      stat('last probe', `probe-${region}`, false),
    ),
    el(
      'div',
      { class: 'spark-caption' },
      'Probe latency, ms (slowest bot per cycle) · ',
      el('span', { class: 'failed-key' }, '●'),
      ' failed probe',
    ),
    el('div', { class: 'spark', id: `spark-${region}`, 'data-testid': `spark-${region}` }),
    el('div', { class: 'controls' }, select, inject, clear),
  );
  return card;
}

function stat(label: string, id: string, meter: boolean): HTMLElement {
  return el(
    'div',
    { class: 'stat' },
    el('div', { class: 'k' }, label),
    el('div', { class: 'v', id }, '–'),
    ...(meter
      ? [el('div', { class: `meter ${label === 'passes' ? 'pass' : ''}` }, el('span', { id: `${id}-m` }))]
      : []),
  );
}

function showError(err: unknown): void {
  $('drill-result').textContent = `Error: ${(err as Error).message}`;
}

function render(s: DashboardState): void {
  const now = Date.parse(s.now);
  const { status, thresholds } = s;
  const item = status.item;
  const primary = status.regions[0];
  const active = item?.lexRegion ?? null;
  $('connect-region').textContent = status.connectRegion;
  const pill = $('active-region');
  const view = activeView(active, primary);
  pill.textContent = view.text;
  pill.className = `active-pill ${view.cls}`;
  $('active-note').textContent = view.note;
  $('thresholds').textContent = thresholdsText(thresholds);

  const banner = $('pin-banner');
  if (item?.pin) {
    banner.classList.remove('hidden');
    banner.textContent = `📌 Pinned to ${item.pin.region} by ${item.pin.by} until ${new Date(item.pin.until).toLocaleTimeString()} — ${item.pin.reason}. Remove with \`lexdr failback\`.`;
  } else banner.classList.add('hidden');

  const alarms = $('alarms');
  alarms.replaceChildren(
    ...s.alarms.map((a) =>
      el(
        'div',
        { class: `alarm ${a.state}`, 'data-testid': `alarm-${a.id}`, 'data-state': a.state },
        el('span', { class: 'state' }, a.state === 'INSUFFICIENT_DATA' ? 'NO DATA' : a.state),
        el('div', { class: 'name' }, a.name),
        el('div', { class: 'detail' }, a.detail),
      ),
    ),
  );

  const regionsEl = $('regions');
  status.regions.forEach((region, i) => {
    if (!built.has(region)) {
      regionsEl.append(buildRegionCard(region, i, s.faultModes));
      built.add(region);
    }
    const h = item?.regionHealth[region];
    const fault = status.faults[region];
    const probes = status.lastProbes.filter((p) => p.region === region);
    const failed = probes.find((p) => !p.ok);
    $(`region-${region}`).classList.toggle('active', region === active);
    $(`active-tag-${region}`).classList.toggle('hidden', region !== active);
    const ft = $(`fault-tag-${region}`);
    ft.classList.toggle('hidden', !fault || fault.mode === 'none');
    ft.textContent = fault && fault.mode !== 'none' ? `fault: ${fault.mode}` : '';
    const st = $(`status-${region}`);
    const label = regionLabel(h, region, status.regions, active, thresholds.recoverThreshold);
    st.className = `status ${label.kind}`;
    st.dataset.kind = label.kind;
    st.lastElementChild!.textContent = label.text;
    $(`fails-${region}`).textContent = h ? `${h.fails}/${thresholds.failThreshold}` : '–';
    $(`passes-${region}`).textContent = h ? `${h.passes}/${thresholds.recoverThreshold}` : '–';
    $(`fails-${region}-m`).style.width = `${h ? (100 * h.fails) / thresholds.failThreshold : 0}%`;
    $(`passes-${region}-m`).style.width = `${h ? (100 * h.passes) / thresholds.recoverThreshold : 0}%`;
    const p = failed ?? probes[0];
    $(`probe-${region}`).textContent = p ? (p.ok ? `${p.latencyMs} ms` : p.reason) : '–';

    const pts = s.series[region] ?? [];
    const data: uPlot.AlignedData = [
      pts.map((x) => x.t / 1000),
      pts.map((x) => (x.ok ? x.latencyMs : null)),
      pts.map((x) => (x.ok ? null : Math.max(0, x.latencyMs))),
    ];
    const host = $(`spark-${region}`);
    let chart = charts.get(region);
    if (!chart) {
      chart = new uPlot(sparkOptions(Math.max(200, host.clientWidth)), data, host);
      charts.set(region, chart);
    } else chart.setData(data);
  });

  const timeline = $('timeline');
  const changes = [...status.history].reverse();
  timeline.replaceChildren(
    ...(changes.length === 0
      ? [el('li', { class: 'empty' }, 'No region changes yet.')]
      : changes.map((c) =>
          el(
            'li',
            { class: c.reason },
            el(
              'div',
              { class: 'when' },
              `${new Date(c.at).toLocaleTimeString()} · ${ago(c.at, now)}${c.drill ? ' · drill' : ''}`,
            ),
            el('div', { class: 'what' }, `${c.from} → ${c.to}`, el('span', { class: 'reason' }, c.reason)),
            el('div', { class: 'detail' }, c.detail),
          ),
        )),
  );

  const drillRegions = $('drill-regions');
  if (drillRegions.childElementCount === 0)
    for (const r of status.regions)
      drillRegions.append(
        el(
          'label',
          {},
          el('input', { type: 'checkbox', value: r, ...(r === primary ? { checked: '' } : {}) }),
          ` ${r}`,
        ),
      );

  $('executions').replaceChildren(
    ...[...status.executions]
      .reverse()
      .map((e) =>
        el(
          'li',
          {},
          el('span', {}, e.name),
          el(
            'span',
            { class: e.status },
            `${e.status}${e.error ? ` ${e.error}` : ''} · ${ago(e.stoppedAt ?? e.startedAt, now)}`,
          ),
        ),
      ),
  );
}

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
      render(state);
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
}

$('drill-start').addEventListener('click', () => void startDrill());
window.addEventListener('resize', () => {
  for (const [region, chart] of charts)
    chart.setSize({ width: $(`spark-${region}`).clientWidth, height: SPARK_HEIGHT });
});
// The first paint: the state the server embedded in the page (no round trip), then live updates.
const initial = document.getElementById('initial-state')?.textContent;
if (initial) {
  state = JSON.parse(initial) as DashboardState;
  render(state);
} else void refresh().catch(showError);
connect();
// The alarm "health check not running" depends on time passing without events: re-evaluate it now and then.
setInterval(() => void refresh().catch(() => undefined), 5000);
