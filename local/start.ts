/**
 * `npm start`: lexdr on this machine with no AWS account. Local Lex regions, a local DynamoDB and CloudWatch,
 * the real ASL run every minute (like the EventBridge schedule) with the real handlers, the lookup over HTTP.
 * Writes the endpoints and a per-start token to .lexdr/local.json (owner-only) for the CLI; DynamoDB keeps its
 * tables in .lexdr/dynamodb/ across restarts (`--fresh` starts empty). Ctrl-C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { logger } from '../core/powertools';
import { startControlServer } from './control-server';
import { mountDashboard } from './dashboard/routes';
import { ownerOf, runningElsewhere } from './endpoints-file';
import { isLoopbackHost } from './http';
import { startLocalSystem } from './system';
import type { LocalEndpoints } from './system';

export const LOCAL_DIR = join(process.cwd(), '.lexdr');
export const LOCAL_FILE = join(LOCAL_DIR, 'local.json');
export const DATA_DIR = join(LOCAL_DIR, 'dynamodb');

const SCHEDULE_MS = 60_000;

async function main(): Promise<void> {
  // The console lines below summarise each cycle; the handlers' JSON logs only when asked for.
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('ERROR');
  const { values } = parseArgs({
    options: {
      'port-base': { type: 'string', default: process.env.LEXDR_PORT_BASE ?? '4600' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-schedule': { type: 'boolean', default: false },
      twilio: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      'no-token': { type: 'boolean', default: false },
      duplicates: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`npm start [-- --port-base 4600] [--host 127.0.0.1] [--no-schedule] [--twilio] [--fresh]
                [--duplicates 0.2] [--no-token]

Starts local Lex regions, DynamoDB, CloudWatch, Step Functions and the health-check workflow (every minute).
Ports: control/lookup/dashboard = base, DynamoDB = base+1, CloudWatch = base+2, Step Functions = base+3,
Lex regions = base+10…
  --fresh          start with empty tables (DynamoDB keeps them in ${DATA_DIR} otherwise)
  --duplicates R   deliver this share (0–1) of the scheduled executions twice, overlapping (at-least-once)
  --no-token       do not require the per-start token (only with a loopback --host)`);
    return;
  }
  const base = Number(values['port-base']);
  if (!Number.isInteger(base) || base < 1024 || base > 65000)
    throw new Error(`--port-base "${values['port-base']}": must be a whole number from 1024 to 65000`);
  const host = values.host!;
  const duplicates = Number(values.duplicates);
  if (!(duplicates >= 0 && duplicates <= 1)) throw new Error(`--duplicates "${values.duplicates}": must be 0–1`);
  if (values['no-token'] && !isLoopbackHost(host))
    throw new Error(`--host ${host} is not a loopback address: it needs the token (drop --no-token)`);
  // A fresh secret per start: local.json (owner-only) hands it to the CLI, the dashboard page carries it.
  const token = values['no-token'] ? undefined : randomBytes(24).toString('base64url');
  const busy = runningElsewhere(LOCAL_FILE);
  if (busy) throw new Error(busy);
  mkdirSync(LOCAL_DIR, { recursive: true, mode: 0o700 });
  if (values.fresh) rmSync(DATA_DIR, { recursive: true, force: true });
  mkdirSync(DATA_DIR, { recursive: true });

  const sys = await startLocalSystem({
    host,
    ...(token !== undefined ? { token } : {}),
    dataDir: DATA_DIR,
    ...(duplicates > 0 ? { atLeastOnce: { rate: duplicates } } : {}),
    ports: {
      dynamodb: base + 1,
      cloudwatch: base + 2,
      stepfunctions: base + 3,
      lex: Object.fromEntries(
        ['us-east-1', 'us-west-2', 'eu-west-2', 'eu-central-1', 'ap-southeast-2'].map((r, i) => [r, base + 10 + i]),
      ),
    },
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE')
      throw new Error(
        `port ${(err as { port?: number }).port ?? ''} is in use: is lexdr already running? Try --port-base ${base + 100}`,
      );
    throw err;
  });
  const control = await startControlServer(sys, { host, port: base });
  mountDashboard(control, sys);
  const extras: Partial<LocalEndpoints> = {
    lookup: `${control.url}/lookup`,
    report: `${control.url}/report`,
    control: control.url,
    dashboard: `${control.url}/`,
  };

  // --- Twilio bridge (npm start -- --twilio): signed with the local auth token `local-twilio-token` ---
  const twilioBridge = values.twilio
    ? await (await import('./twilio')).startLocalBridge(sys, { host, port: base + 5 })
    : undefined;
  if (twilioBridge) extras.twilio = twilioBridge.url;
  // --- end Twilio bridge ---

  const endpoints = { ...sys.endpoints(extras), pid: process.pid };
  writeFileSync(LOCAL_FILE, JSON.stringify(endpoints, null, 2) + '\n', { mode: 0o600 });
  chmodSync(LOCAL_FILE, 0o600); // mode applies only when the file is created

  const { config } = sys;
  console.log(`lexdr is running locally (no AWS account).
  regions      ${config.regions.map((r, i) => `${r}${i === 0 ? ' (primary)' : ''} ${sys.lex[r]!.url}`).join('\n               ')}
  DynamoDB     ${sys.dynamo.url} (tables ${config.tableName}, ${config.historyTableName}; data in ${DATA_DIR}${values.fresh ? ', started fresh' : ''})
  Step Fns     ${sys.stepfunctions.url} (${sys.runner.stateMachineArn}; SDK clients: disable host prefixes)
  CloudWatch   ${sys.cloudwatch.url}
  lookup       POST ${control.url}/lookup
  report       POST ${control.url}/report (callers' bot failures, as the contact flow reports them; 202 at once)
  dashboard    ${control.url}/
  health check every ${config.cadenceSeconds} s (${config.failThreshold} failures to fail over, ${config.recoverThreshold} passes to fail back)
  endpoints    ${LOCAL_FILE} (owner-only; ${token ? 'holds the token every mutating request needs' : 'no token: --no-token'})${duplicates > 0 ? `\n  at-least-once ${duplicates * 100}% of executions delivered twice` : ''}${twilioBridge ? `\n  twilio       ${twilioBridge.url}/twiml (auth token local-twilio-token; replay: npx tsx twilio/replay.ts --call test/fixtures/audio/order-roses.json)` : ''}

Try:  npx lexdr fault us-east-1 down   then   npx lexdr status     (Ctrl-C stops)`);

  let stopping = false;
  sys.onEvent((e) => {
    if (e.type === 'cycle') {
      const d = e.state.decision;
      const t = new Date().toISOString().slice(11, 19);
      const probes = e.probes.map((p) => `${p.region}:${p.ok ? 'ok' : p.reason}`).join(' ');
      if (d?.change)
        console.log(`${t} REGION CHANGE ${d.change.from} → ${d.change.to} (${d.change.reason}: ${d.change.detail})`);
      else if (e.probes.some((p) => !p.ok)) console.log(`${t} active ${d?.to} | ${probes}`);
    } else if (e.type === 'report') {
      // A report-started check, or a report the function failed on, is news; the rest shows on the dashboard.
      const r = e.record;
      const t = e.record.at.slice(11, 19);
      if (r.result?.executionArn)
        console.log(`${t} CALLERS REPORTED ${r.lexRegion} failing (${r.result.fresh}): check ${r.result.executionArn}`);
      else if (r.error) console.log(`${t} report function failed (attempt ${r.attempt}): ${r.error.name}`);
    } else if (e.record.status !== 'SUCCEEDED' && !stopping) {
      // An execution stopped by Ctrl-C is expected: only the others are news.
      console.log(`execution ${e.record.name} ${e.record.status}: ${e.record.error} ${e.record.cause ?? ''}`);
    } else if (e.record.status !== 'SUCCEEDED') {
      logger.debug('execution stopped with the local system', { name: e.record.name, status: e.record.status });
    }
  });

  const abort = new AbortController();
  let running = Promise.resolve();
  const tick = () => {
    running = sys.runExecution({}, { signal: abort.signal }).then(() => undefined);
  };
  if (!values['no-schedule']) tick();
  const timer = values['no-schedule'] ? undefined : setInterval(tick, SCHEDULE_MS);

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    if (timer) clearInterval(timer);
    abort.abort();
    await running.catch(() => undefined);
    // Only the system that wrote the endpoints file removes it.
    if (ownerOf(LOCAL_FILE) === process.pid) rmSync(LOCAL_FILE, { force: true });
    await control.close();
    await twilioBridge?.close();
    await sys.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(`lexdr: ${err.message}`);
  process.exit(1);
});
