/**
 * The dashboard page's rendering: the state in place, without reloading — the header, the alarms, a card per region
 * (counters against the thresholds, its probe-latency chart, fault buttons), the region changes, the executions.
 */
import uPlot from 'uplot';
import { $, ago, el } from './dom';
import { REPORT_VIEW_MINUTES, checkText, reportedText } from '../report-view';
import type { RegionReportsView } from '../report-view';
import { activeView, regionLabel, thresholdsText } from './labels';
import type { DashboardState } from './page-state';
import { SPARK_HEIGHT, sparkOptions } from './sparkline';

/** What the fault buttons of a region card do: set `mode` (`none` clears) on `region`. */
export type FaultAction = (region: string, mode: string) => void;

const charts = new Map<string, uPlot>();
const built = new Set<string>();

function buildRegionCard(region: string, index: number, modes: string[], onFault: FaultAction): HTMLElement {
  const select = el('select', { 'data-testid': `fault-mode-${region}`, id: `fault-mode-${region}` });
  for (const m of modes.filter((x) => x !== 'none')) select.append(el('option', { value: m }, m));
  const inject = el('button', { class: 'danger', 'data-testid': `inject-${region}` }, 'Inject');
  const clear = el('button', { 'data-testid': `clear-${region}` }, 'Clear');
  inject.addEventListener('click', () => onFault(region, select.value));
  clear.addEventListener('click', () => onFault(region, 'none'));
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
    el(
      'div',
      { class: 'reports', 'data-testid': `reports-${region}` },
      el('span', { class: 'k' }, "Callers' reports "),
      el('span', { id: `reports-${region}` }, '–'),
      el('ul', { class: 'report-checks', id: `checks-${region}`, 'data-testid': `checks-${region}` }),
    ),
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

/** Renders `s` in place: the header, the alarms, a card per region (built once), the timeline, the executions. */
export function render(s: DashboardState, onFault: FaultAction): void {
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
      regionsEl.append(buildRegionCard(region, i, s.faultModes, onFault));
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

    renderReports(region, status.reports?.[region], now);

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
            // A change callers' reports started says who reported and which probe confirmed (its detail says the same).
            c.reported
              ? el('div', { class: 'detail reported' }, reportedText(c.reported))
              : el('div', { class: 'detail' }, c.detail),
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

/** A region card's callers' reports: how many in the last minutes, and the checks they started with their outcome. */
function renderReports(region: string, r: RegionReportsView | undefined, now: number): void {
  const extra = r ? [r.repeats ? `${r.repeats} repeated` : '', r.failed ? `${r.failed} failed` : ''] : [];
  $(`reports-${region}`).textContent = !r
    ? '–'
    : [`${r.recent} in the last ${REPORT_VIEW_MINUTES} min`, r.lastAt ? `last ${ago(r.lastAt, now)}` : '', ...extra]
        .filter(Boolean)
        .join(' · ');
  $(`checks-${region}`).replaceChildren(
    ...(r?.checks ?? []).map((c) =>
      el(
        'li',
        { class: c.outcome, 'data-outcome': c.outcome },
        `${ago(c.at, now)} · ${c.contacts} caller${c.contacts === 1 ? '' : 's'} → check ${c.name}: ${checkText(c)}`,
      ),
    ),
  );
}

/** Fits every chart to its card's width. */
export function resizeCharts(): void {
  for (const [region, chart] of charts)
    chart.setSize({ width: $(`spark-${region}`).clientWidth, height: SPARK_HEIGHT });
}
