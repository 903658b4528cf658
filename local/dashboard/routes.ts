/**
 * The local dashboard and the local executions API, mounted on the control server:
 * - `GET /` the dashboard page, `GET /dashboard/app.js` (the page script with uPlot, bundled by esbuild on first
 *   request), `GET /dashboard/style.css` and `/dashboard/controls.css`, `GET /dashboard/uPlot.min.css`;
 * - `GET /dashboard/api/state`: status, per-region probe series, alarm states, thresholds;
 * - `PUT /dashboard/api/fault/{region}` `{mode, latencyMs?}`: fault injection from the page;
 * - `POST /executions` (body: execution input) → `{executionArn, name, startDate}`; `GET /executions/{name}` →
 *   `{executionArn, name, status, startDate, stopDate?, input, output?, error?, cause?}` — what the CLI uses
 *   locally in place of StartExecution / DescribeExecution.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describeIssues } from '../../core/errors';
import { executionInputSchema } from '../../core/health-core';
import type { ControlServer } from '../control-server';
import { localStatus } from '../control-server';
import { isLoopbackHost, readBody, sendJson } from '../http';
import { faultSchema } from '../lex';
import type { LocalSystem } from '../system';
import type { ExecutionRecord } from '../workflow-runner';
import { computeAlarms } from './alarms';
import { activeView, thresholdsText } from './labels';
import type { ProbePoint } from './alarms';

const HERE = __dirname;
const UPLOT_CSS = join(HERE, '..', '..', 'node_modules', 'uplot', 'dist', 'uPlot.min.css');
const MAX_POINTS = 600;
const MAX_EXECUTIONS = 200;

/** One point of a region's sparkline: the slowest bot's latency, failed if any bot failed. */
export interface SeriesPoint {
  t: number;
  latencyMs: number;
  ok: boolean;
  reason: string;
}

interface TrackedExecution {
  executionArn: string;
  name: string;
  input: unknown;
  startDate: string;
  record?: ExecutionRecord;
  done: Promise<unknown>;
}

export interface DashboardMount {
  /** Resolves when every execution started through `POST /executions` has ended. */
  drain(): Promise<void>;
  close(): void;
}

let bundle: Promise<string> | undefined;
/** The page script, bundled once per process. */
export function pageScript(): Promise<string> {
  bundle ??= build({
    entryPoints: [join(HERE, 'client.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

function send(res: ServerResponse, type: string, body: string | Buffer): void {
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
  res.end(body);
}

export function mountDashboard(control: ControlServer, sys: LocalSystem): DashboardMount {
  const since = Date.now();
  const series: Record<string, SeriesPoint[]> = Object.fromEntries(sys.config.regions.map((r) => [r, []]));
  const points: ProbePoint[] = [];
  let lastCycleAt: number | null = null;
  const executions = new Map<string, TrackedExecution>();

  const off = sys.onEvent((e) => {
    if (e.type !== 'cycle') return;
    const t = Date.now();
    lastCycleAt = t;
    for (const region of sys.config.regions) {
      const mine = e.probes.filter((p) => p.region === region);
      if (mine.length === 0) continue;
      const failed = mine.find((p) => !p.ok);
      const list = series[region]!;
      list.push({
        t,
        latencyMs: Math.max(...mine.map((p) => p.latencyMs)),
        ok: !failed,
        reason: failed?.reason ?? 'ok',
      });
      if (list.length > MAX_POINTS) list.shift();
      points.push({ t, region, ok: !failed });
    }
    while (points.length > 0 && points[0]!.t < t - 10 * 60_000) points.shift();
  });

  // The page carries the per-start token (only pages served from this very host can read it), and only to a
  // browser on this machine: with a non-loopback --host, other machines get a read-only page.
  const token = sys.guard.token;
  const html = (req: IncomingMessage) => {
    const local = isLoopbackHost((req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''));
    return readFileSync(join(HERE, 'index.html'), 'utf8').replace(
      '<meta charset="utf-8" />',
      `<meta charset="utf-8" />${token && local ? `\n    <meta name="lexdr-token" content="${token}" />` : ''}`,
    );
  };
  // Bundle the page script now, so the first page load does not wait for esbuild.
  pageScript().catch(() => undefined);
  const css = (file: string) => readFileSync(join(HERE, file), 'utf8');

  async function state() {
    const status = await localStatus(sys);
    const now = Date.now();
    return {
      now: new Date(now).toISOString(),
      status,
      series,
      alarms: computeAlarms({
        now,
        regions: sys.config.regions,
        lexRegion: status.item?.lexRegion ?? null,
        lastCycleAt,
        since,
        cadenceSeconds: sys.config.cadenceSeconds,
        probes: points,
        executions: status.executions,
      }),
      thresholds: {
        cadenceSeconds: sys.config.cadenceSeconds,
        failThreshold: sys.config.failThreshold,
        recoverThreshold: sys.config.recoverThreshold,
      },
      faultModes: faultSchema.shape.mode.options,
      lastCycleAt: lastCycleAt === null ? null : new Date(lastCycleAt).toISOString(),
    };
  }

  function describe(x: TrackedExecution) {
    const r = x.record;
    return {
      executionArn: x.executionArn,
      name: x.name,
      status: r ? r.status : 'RUNNING',
      startDate: x.startDate,
      input: x.input,
      ...(r ? { stopDate: r.stoppedAt } : {}),
      ...(r?.output !== undefined ? { output: JSON.stringify(r.output) } : {}),
      ...(r?.error !== undefined ? { error: r.error } : {}),
      ...(r?.cause !== undefined ? { cause: r.cause } : {}),
    };
  }

  control.use(async (req, res, url) => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && (path === '/' || path === '/dashboard' || path === '/index.html')) {
      send(res, 'text/html; charset=utf-8', renderPage(html(req), await state()));
      return true;
    }
    if (method === 'GET' && path === '/dashboard/app.js') {
      send(res, 'text/javascript; charset=utf-8', await pageScript());
      return true;
    }
    if (method === 'GET' && (path === '/dashboard/style.css' || path === '/dashboard/controls.css')) {
      send(res, 'text/css; charset=utf-8', css(path.slice('/dashboard/'.length)));
      return true;
    }
    if (method === 'GET' && path === '/dashboard/uPlot.min.css') {
      send(res, 'text/css; charset=utf-8', readFileSync(UPLOT_CSS));
      return true;
    }
    if (method === 'GET' && path === '/dashboard/api/state') {
      sendJson(res, 200, await state());
      return true;
    }
    const faultPath = /^\/dashboard\/api\/fault\/([a-z0-9-]+)$/.exec(path);
    if (method === 'PUT' && faultPath) {
      const region = faultPath[1]!;
      const lex = sys.lex[region];
      if (!lex) {
        sendJson(res, 404, { message: `no local Lex region ${region} (${sys.config.regions.join(', ')})` });
        return true;
      }
      const body = parseJson((await readBody(req, 16 * 1024)).toString('utf8'));
      const f = faultSchema.safeParse(body);
      if (!f.success) {
        sendJson(res, 400, { message: describeIssues(f.error.issues, body) });
        return true;
      }
      lex.setFault(f.data);
      sendJson(res, 200, lex.fault());
      return true;
    }
    if (method === 'POST' && path === '/executions') {
      const input = parseJson((await readBody(req, 64 * 1024)).toString('utf8') || '{}');
      const parsed = executionInputSchema(sys.settings).safeParse(input);
      if (!parsed.success) {
        sendJson(res, 400, { message: `invalid execution input: ${describeIssues(parsed.error.issues, input)}` });
        return true;
      }
      const name = `cli-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      const executionArn = sys.runner.executionArnFor(name);
      const tracked: TrackedExecution = {
        executionArn,
        name,
        input: parsed.data,
        startDate: new Date().toISOString(),
        done: Promise.resolve(),
      };
      tracked.done = sys.runExecution(parsed.data, { name, executionArn }).then((r) => {
        tracked.record = r;
      });
      executions.set(name, tracked);
      if (executions.size > MAX_EXECUTIONS) executions.delete(executions.keys().next().value!);
      sendJson(res, 200, { executionArn, name, startDate: tracked.startDate });
      return true;
    }
    const execPath = /^\/executions\/([^/]+)$/.exec(path);
    if (method === 'GET' && execPath) {
      const x = executions.get(decodeURIComponent(execPath[1]!));
      if (!x) sendJson(res, 404, { message: `no execution ${execPath[1]} started through this control server` });
      else sendJson(res, 200, describe(x));
      return true;
    }
    return false;
  });

  return {
    drain: async () => {
      await Promise.all([...executions.values()].map((x) => x.done.catch(() => undefined)));
    },
    close: off,
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * The page with its first state in it: the header filled in on the server, and the whole state embedded as JSON for
 * the script to render before any request or live event (no blank page while it loads).
 */
export function renderPage(
  html: string,
  s: {
    status: { connectRegion: string; regions: string[]; item: { lexRegion: string } | null };
    thresholds: { cadenceSeconds: number; failThreshold: number; recoverThreshold: number };
  },
): string {
  const view = activeView(s.status.item?.lexRegion ?? null, s.status.regions[0]);
  const json = JSON.stringify(s).replace(/</g, '\\u003c');
  return html
    .replace(
      '<strong id="connect-region">…</strong>',
      `<strong id="connect-region">${escapeHtml(s.status.connectRegion)}</strong>`,
    )
    .replace(
      '<span id="active-region" class="active-pill" data-testid="active-region">…</span>',
      `<span id="active-region" class="active-pill ${view.cls}" data-testid="active-region">${escapeHtml(view.text)}</span>`,
    )
    .replace(
      '<span id="active-note" class="muted"></span>',
      `<span id="active-note" class="muted">${escapeHtml(view.note)}</span>`,
    )
    .replace(
      '<span id="thresholds" class="muted small"></span>',
      `<span id="thresholds" class="muted small">${escapeHtml(thresholdsText(s.thresholds))}</span>`,
    )
    .replace(
      '<script src="/dashboard/app.js"></script>',
      `<script id="initial-state" type="application/json">${json}</script>\n    <script src="/dashboard/app.js"></script>`,
    );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
