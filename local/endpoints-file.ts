/**
 * The endpoints file `npm start` writes (`.lexdr/local.json`): what it holds (`LocalEndpoints`: everything a client
 * needs to reach the local system), and who owns it — one per checkout, owned by the process that wrote it.
 * A second `npm start` in the same checkout refuses while the first runs (they would share the data directory), and
 * only the owner removes the file when it stops. The CLI finds the file from any folder of the checkout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Settings } from '../core/settings';
import type { LexdrConfig } from '../infra/config';

export const ENDPOINTS_FILE = join('.lexdr', 'local.json');

/** What `npm start` writes to .lexdr/local.json: everything a client needs to reach the local system. */
export interface LocalEndpoints {
  dynamodb: string;
  cloudwatch: string;
  lookup: string;
  table: string;
  historyTable: string;
  metricNamespace: string;
  connectRegion: string;
  regions: string[];
  /** The local Step Functions endpoint (AWS JSON 1.0; SDK clients disable host prefixes). */
  stepfunctions: string;
  stateMachineArn: string;
  /** The per-start token (npm start): the CLI and the dashboard send it; SDK clients use it as access key. */
  token?: string;
  /** The process that serves these endpoints (npm start): the CLI checks it still runs. */
  pid?: number;
  lex: Record<string, string>;
  bots: {
    name: string;
    regions: Record<
      string,
      { botId: string; botAliasId: string; botAliasArn: string; localeId: string; botName: string; botAlias: string }
    >;
  }[];
  dashboard?: string;
  twilio?: string;
  control?: string;
  /** The report function over HTTP: POST a ContactFlowEvent (a caller's bot failure); it answers 202 at once. */
  report?: string;
}

/** What a running local system is made of, as far as the endpoints file names it. */
export interface EndpointsSource {
  config: Pick<
    LexdrConfig,
    'tableName' | 'historyTableName' | 'metricNamespace' | 'connectRegion' | 'regions' | 'bots'
  >;
  settings: Pick<Settings, 'bots'>;
  /** The servers' URLs: DynamoDB, CloudWatch, Step Functions and the Lex runtime per region. */
  urls: { dynamodb: string; cloudwatch: string; stepfunctions: string; lex: Record<string, string> };
  stateMachineArn: string;
  /** The per-start token in force. @default none */
  token?: string;
}

/** The endpoints of a local system (the lookup is called in-process: no URL), with `extra` over them. */
export function localEndpoints(s: EndpointsSource, extra: Partial<LocalEndpoints> = {}): LocalEndpoints {
  const { config } = s;
  return {
    dynamodb: s.urls.dynamodb,
    cloudwatch: s.urls.cloudwatch,
    lookup: '',
    table: config.tableName,
    historyTable: config.historyTableName,
    metricNamespace: config.metricNamespace,
    connectRegion: config.connectRegion,
    regions: config.regions,
    stepfunctions: s.urls.stepfunctions,
    stateMachineArn: s.stateMachineArn,
    ...(s.token !== undefined ? { token: s.token } : {}),
    lex: s.urls.lex,
    bots: s.settings.bots.map((b) => ({
      name: b.name,
      regions: Object.fromEntries(
        Object.entries(b.regions).map(([r, ids]) => {
          const c = config.bots.find((x) => x.name === b.name)!;
          return [
            r,
            { ...ids, localeId: b.localeId, botName: c.v1?.botName ?? b.name, botAlias: c.v1?.botAlias ?? 'live' },
          ];
        }),
      ),
    })),
    ...extra,
  };
}

/** Whether a process is alive (signal 0 checks without signalling; EPERM means it exists under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The `.lexdr/local.json` in `from` or the nearest folder above it that has one; undefined when none does. */
export function findEndpointsFile(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, ENDPOINTS_FILE);
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The pid recorded in an endpoints file, if any (unreadable or older files have none). */
export function ownerOf(file: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Why a new `npm start` must not take over `file`: another live system owns it; undefined when it may. */
export function runningElsewhere(file: string, self = process.pid): string | undefined {
  if (!existsSync(file)) return undefined;
  const pid = ownerOf(file);
  if (pid === undefined || pid === self || !processAlive(pid)) return undefined;
  let control = '';
  try {
    control = (JSON.parse(readFileSync(file, 'utf8')) as { control?: string }).control ?? '';
  } catch {
    // unreadable: the pid is enough
  }
  return `a lexdr local system is already running from this checkout (pid ${pid}${control ? `, ${control}` : ''}): use it (\`npx lexdr status\`), or stop it (Ctrl-C in its terminal) before starting another — two systems would share ${dirname(file)}`;
}
