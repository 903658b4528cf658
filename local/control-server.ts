/**
 * The local system's HTTP front door: the lookup Lambda over HTTP (POST a Connect event, get its answer), the report
 * function as the contact flow invokes it (POST a Connect event → 202 at once, run in the background), status for
 * the CLI, and a server-sent event stream of cycles, executions and reports. Every request must name a loopback (or
 * the configured) Host; every mutating one must come from no foreign Origin and carry the per-start token
 * (`x-lexdr-token`) when one is in force — except the two that Connect calls (see `CONNECT_ROUTES`).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, isMutating, listen, readBody, refusal, sendBodyError, sendJson, sendRefusal } from './http';
import { CONTROL_PLANE_TARGETS, DYNAMO_FAULT_MODES, FUNCTION_TARGETS, LAMBDA_FAULT_MODES } from './fault-modes';
import type { DynamoFaultMode, FunctionTarget } from './fault-modes';
import { AsyncQueueFullError } from './async-invoke';
import { lambdaFaultSchema } from './lambda-faults';
import { reportsView } from './report-view';
import type { LocalSystem, SystemEvent } from './system';

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean;

export interface ControlServer {
  url: string;
  server: Server;
  /** Adds routes tried before the built-in ones (the dashboard adds its pages here). */
  use(route: Route): void;
  close(): Promise<void>;
}

/** Sets a fault on one of lexdr's own parts: the probe or health-check function, or the table (workflow and lookup). */
export function setControlPlaneFault(
  sys: LocalSystem,
  target: string,
  body: unknown,
): { ok: true; fault: unknown } | { ok: false; status: number; message: string } {
  const mode = (body as { mode?: unknown } | null)?.mode;
  if ((FUNCTION_TARGETS as readonly string[]).includes(target)) {
    const parsed = lambdaFaultSchema.safeParse(body);
    if (!parsed.success)
      return {
        ok: false,
        status: 400,
        message: `mode ${JSON.stringify(mode)}: must be one of ${LAMBDA_FAULT_MODES.join(', ')}`,
      };
    const fn = sys.functions[target as FunctionTarget];
    fn.setFault(parsed.data);
    return { ok: true, fault: fn.fault() };
  }
  if (target === 'dynamodb') {
    if (typeof mode !== 'string' || !(DYNAMO_FAULT_MODES as readonly string[]).includes(mode))
      return {
        ok: false,
        status: 400,
        message: `mode ${JSON.stringify(mode)}: must be one of ${DYNAMO_FAULT_MODES.join(', ')}`,
      };
    sys.dynamo.setFault({ mode: mode as DynamoFaultMode });
    return { ok: true, fault: sys.dynamo.fault() };
  }
  return { ok: false, status: 404, message: `no fault target "${target}": one of ${CONTROL_PLANE_TARGETS.join(', ')}` };
}

/** The status the CLI and the dashboard show. */
export async function localStatus(sys: LocalSystem) {
  const [item, history] = await Promise.all([sys.readItem(), sys.history()]);
  return {
    connectRegion: sys.config.connectRegion,
    regions: sys.config.regions,
    item,
    lastProbes: sys.lastProbes(),
    history: history.slice(-20),
    faults: Object.fromEntries(Object.entries(sys.lex).map(([r, l]) => [r, l.fault()])),
    /** Callers' reports per region in the last minutes, and the checks they started. */
    reports: reportsView(sys.config.regions, sys.reports(), (arn) => sys.checkStatus(arn), history, sys.clock()),
    controlPlaneFaults: {
      ...Object.fromEntries(Object.entries(sys.functions).map(([t, f]) => [t, f.fault()])),
      dynamodb: sys.dynamo.fault(),
    },
    executions: sys.executions.slice(-10).map((e) => ({
      name: e.name,
      status: e.status,
      startedAt: e.startedAt,
      stoppedAt: e.stoppedAt,
      error: e.error,
    })),
  };
}

/**
 * The routes Amazon Connect calls, which need no per-start token: the lookup (a read) and the report function. On AWS
 * neither caller holds a secret — Connect is let in by the functions' resource policies — so whatever plays Connect
 * locally (the flow simulator, `lexdr simulate`) reaches them as Connect does. The Host and Origin checks still hold:
 * no web page and no rebound name can post to them. The report function is built to take forged reports (they never
 * move callers; checks are rate-limited per region), so an open report route costs at most a few extra probes.
 */
const CONNECT_ROUTES = /^\/(lookup|report)\/?(\?|$)/;

/**
 * `POST /report`: Lambda's asynchronous Invoke — 202 at once, the function runs in the background and its result or
 * error is never returned (errors are logged). A body that is not JSON is refused (400), as Lambda refuses a payload
 * that is not JSON; a full queue answers 429.
 */
async function acceptReport(sys: LocalSystem, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, 64 * 1024);
  let event: unknown;
  try {
    event = JSON.parse(body.toString('utf8'));
  } catch {
    return sendJson(
      res,
      400,
      { message: 'Could not parse request body into json' },
      { 'x-amzn-errortype': 'InvalidRequestContentException' },
    );
  }
  try {
    sys.reportAsync(event);
  } catch (err) {
    if (!(err instanceof AsyncQueueFullError)) throw err;
    return sendJson(res, 429, { message: err.message }, { 'x-amzn-errortype': err.name });
  }
  sendJson(res, 202, {});
}

export async function startControlServer(
  sys: LocalSystem,
  o: { port?: number; host?: string } = {},
): Promise<ControlServer> {
  const routes: Route[] = [];
  const sse = new Set<ServerResponse>();
  const off = sys.onEvent((e: SystemEvent) => {
    const data =
      e.type === 'cycle'
        ? { type: 'cycle', decision: e.state.decision, probes: e.probes, cycle: e.state.cycle }
        : e.type === 'report'
          ? { type: 'report', ...e.record }
          : { type: 'execution', name: e.record.name, status: e.record.status, error: e.record.error };
    for (const res of sse) res.write(`event: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`);
  });
  // Every request: a loopback (or the configured) Host; every mutating one: no foreign Origin and the token —
  // but the routes Connect calls (CONNECT_ROUTES) need no token.
  const guard = {
    ...sys.guard,
    needsToken: (req: IncomingMessage) => isMutating(req) && !CONNECT_ROUTES.test(req.url ?? ''),
  };
  const server = createServer(async (req, res) => {
    const denied = refusal(req, guard);
    if (denied) return sendRefusal(req, res, denied);
    const url = new URL(req.url ?? '/', 'http://local');
    try {
      for (const r of routes) if (await r(req, res, url)) return;
      if (req.method === 'POST' && url.pathname === '/lookup') {
        const body = await readBody(req, 64 * 1024);
        let event: unknown;
        try {
          event = JSON.parse(body.toString('utf8'));
        } catch {
          event = body.toString('utf8');
        }
        // The lookup never throws: a malformed body gets its safe answer, as in Connect.
        return sendJson(res, 200, await sys.lookup(event));
      }
      if (req.method === 'POST' && url.pathname === '/report') return acceptReport(sys, req, res);
      if (req.method === 'GET' && url.pathname === '/status') return sendJson(res, 200, await localStatus(sys));
      const faultPath = /^\/faults\/([a-z-]+)$/.exec(url.pathname);
      if (req.method === 'PUT' && faultPath) {
        const body = await readBody(req, 4 * 1024);
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          return sendJson(res, 400, { message: 'the body must be JSON: {"mode": "..."}' });
        }
        const r = setControlPlaneFault(sys, faultPath[1]!, json);
        return sendJson(res, r.ok ? 200 : r.status, r.ok ? r.fault : { message: r.message });
      }
      if (req.method === 'GET' && url.pathname === '/events') {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        res.write(': lexdr\n\n');
        sse.add(res);
        req.on('close', () => sse.delete(res));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/healthz') return sendJson(res, 200, { ok: true });
      sendJson(res, 404, { message: `no route ${req.method} ${url.pathname}` });
    } catch (err) {
      if (sendBodyError(res, err, (e) => ({ message: e.message }))) return;
      const status = (err as { status?: number }).status;
      sendJson(res, status && status >= 400 && status < 500 ? status : 500, { message: (err as Error).message });
    }
  });
  const url = await listen(server, o.port ?? 0, o.host ?? '127.0.0.1');
  return {
    url,
    server,
    use: (r) => void routes.push(r),
    close: async () => {
      off();
      for (const res of sse) res.end();
      await closeServer(server);
    },
  };
}
