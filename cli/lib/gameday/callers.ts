/**
 * Callers walked through the shipped contact flow during a game day, as Amazon Connect walks them: the real lookup
 * (the local endpoint, or the lookup Lambda through Invoke) bounded by the flow's time limit, then a real Lex turn
 * (RecognizeText) with the bot alias the flow picks — the lookup's answer, or the deployed aliases of the flow's
 * fallback when the lookup gives no answer in time. The settings (bots, aliases, regions, the probe's utterance) are
 * the stack's own: the settings item of the DR table.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import { lexClientFactory } from '../../../core/lex-clients';
import type { Settings } from '../../../core/settings';
import { parseSettings } from '../../../core/settings';
import { readSettingsItem, settingsItemKey } from '../../../core/settings-item';
import { contactFlowEvent, regionOfAliasArn, simulateCall } from '../../../flows/simulate';
import type { BotOutcome } from '../../../flows/simulate';
import { LEXDR_FLOW_FILE, loadFlowTemplate, renderFlow } from '../../../flows/template';
import { lexdrFlowTokens } from '../../../flows/tokens';
import { HEALTH_CHECK_OUTPUTS } from '../../../core/contract';
import { stackOutput } from '../dr-table';
import { TargetNotFoundError, UsageError, explainError } from '../errors';
import type { Io } from '../io';
import type { GlobalOptions, Target } from '../target';
import type { CallersSeen } from './verdict';

/** How long a caller's bot turn may take before the flow's bot block gives up. */
const BOT_TIMEOUT_MS = 3000;

/** The stack's settings, as its functions read them (the settings item of the DR table). */
export async function readSettings(t: Target): Promise<Settings> {
  let out;
  try {
    out = await t.dynamodb.send(
      new GetItemCommand({
        TableName: t.table,
        Key: { connectRegion: { S: settingsItemKey(t.connectRegion) } },
        ConsistentRead: true,
      }),
    );
  } catch (err) {
    throw explainError(err, `table ${t.table} on ${t.where}`);
  }
  try {
    return readSettingsItem(out.Item, t.connectRegion, parseSettings, t.table);
  } catch (err) {
    throw new TargetNotFoundError(`the settings of ${t.where}: ${(err as Error).message}`);
  }
}

export interface Callers {
  /** Walks `n` callers at once through the flow; adds what happened to `seen`. */
  walk(n: number, seen: CallersSeen): Promise<void>;
  close(): void;
}

/** The lookup as Connect invokes it on the target: the local endpoint, or the lookup Lambda. */
async function lookupInvoker(
  t: Target,
  g: GlobalOptions,
  io: Io,
): Promise<{ invoke(event: unknown): Promise<unknown>; close(): void; where: string }> {
  if (t.kind === 'local') {
    const url = t.local?.lookup;
    if (!url) throw new TargetNotFoundError('the local system publishes no lookup endpoint: restart `npm start`');
    return {
      where: 'the local lookup',
      async invoke(event) {
        const res = await fetch(url, {
          method: 'POST',
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(10_000),
        });
        const body = await res.text();
        if (!res.ok) throw new Error(`the lookup answered HTTP ${res.status}: ${body.slice(0, 200)}`);
        return JSON.parse(body) as unknown;
      },
      close: () => undefined,
    };
  }
  const fn =
    io.env.LEXDR_LOOKUP_FUNCTION ?? (await stackOutput(g, io, t.connectRegion, HEALTH_CHECK_OUTPUTS.lookupFunctionArn));
  if (!fn) throw new UsageError('the stack has no LookupFunctionArn output: set LEXDR_LOOKUP_FUNCTION');
  const region = g.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? t.connectRegion;
  const endpoint = g.endpointUrl ?? io.env.LEXDR_ENDPOINT_URL;
  const lambda = new LambdaClient({ region, maxAttempts: 1, ...(endpoint ? { endpoint } : {}) });
  return {
    where: `the lookup Lambda ${fn.split(':').pop()}`,
    async invoke(event) {
      const r = await lambda.send(
        new InvokeCommand({ FunctionName: fn, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
      );
      const text = r.Payload ? new TextDecoder().decode(r.Payload) : '';
      if (r.FunctionError) throw new Error(`the lookup failed (${r.FunctionError}): ${text.slice(0, 200)}`);
      return JSON.parse(text) as unknown;
    },
    close: () => lambda.destroy(),
  };
}

export async function callers(t: Target, g: GlobalOptions, io: Io, settings: Settings): Promise<Callers> {
  const account = settings.bots[0]?.regions[settings.regions[0]!]?.botAliasArn.split(':')[4] ?? '000000000000';
  const lambdaArn = (name: string) => `arn:aws:lambda:${settings.connectRegion}:${account}:function:${name}`;
  const instanceArn = `arn:aws:connect:${settings.connectRegion}:${account}:instance/00000000-0000-0000-0000-000000000000`;
  const lookupArn = lambdaArn('lexdr-lookup');
  // The deployed flow's structure with this stack's bots; the function and queue ARNs only name what is invoked.
  const flow = renderFlow(
    loadFlowTemplate(LEXDR_FLOW_FILE),
    lexdrFlowTokens(settings, {
      lookupFunctionArn: lookupArn,
      reportFunctionArn: lambdaArn('lexdr-report'),
      agentQueueArn: `${instanceArn}/queue/00000000-0000-0000-0000-000000000001`,
    }),
  );
  const lookup = await lookupInvoker(t, g, io);
  const endpoint = g.endpointUrl ?? io.env.LEXDR_ENDPOINT_URL;
  const lexEndpoints =
    t.kind === 'local'
      ? t.local?.lex
      : endpoint
        ? Object.fromEntries(settings.regions.map((r) => [r, endpoint]))
        : undefined;
  const lex = lexClientFactory({
    ...(lexEndpoints ? { endpoints: lexEndpoints } : {}),
    timeoutMs: BOT_TIMEOUT_MS,
    ...(t.kind === 'local' ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  let session = 0;
  const bot = async (aliasArn: string): Promise<BotOutcome> => {
    const region = regionOfAliasArn(aliasArn);
    const b = settings.bots.find((x) => x.regions[region]?.botAliasArn === aliasArn);
    const ids = b?.regions[region];
    if (!b || !ids) return 'error';
    try {
      const out = await lex.lexV2(region).send(
        new RecognizeTextCommand({
          botId: ids.botId,
          botAliasId: ids.botAliasId,
          localeId: b.localeId,
          sessionId: `lexdr-gameday-${process.pid}-${(session += 1)}`,
          text: settings.probe.utterance,
        }),
        { abortSignal: AbortSignal.timeout(BOT_TIMEOUT_MS) },
      );
      const intent = out.sessionState?.intent?.name ?? out.interpretations?.[0]?.intent?.name ?? '';
      return intent === settings.probe.expectedIntent ? 'success' : { intent };
    } catch (e) {
      const name = (e as Error).name;
      return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'error';
    }
  };
  return {
    async walk(n, seen) {
      const runs = Array.from({ length: n }, (_, i) =>
        simulateCall(flow, {
          contactId: `lexdr-gameday-${Date.now()}-${i}`,
          invokeLambda: (arn, params, _seconds, c) => {
            if (arn !== lookupArn) return Promise.reject(new Error(`the flow invoked ${arn} synchronously`));
            return lookup.invoke(contactFlowEvent(params, { contactId: c.contactId, instanceArn }));
          },
          bot: (aliasArn) => bot(aliasArn),
        }),
      );
      for (const r of await Promise.allSettled(runs)) {
        seen.walked += 1;
        if (r.status === 'rejected') {
          seen.dropped.push(`the flow walk failed: ${(r.reason as Error)?.message ?? r.reason}`);
          continue;
        }
        const sim = r.value;
        if (sim.errorsTaken.some((e) => e.includes('lookup-region'))) seen.lookupGaveUp += 1;
        if (sim.outcome.kind === 'served') seen.served += 1;
        else
          seen.dropped.push(
            sim.outcome.kind === 'queued' ? 'sent to the agent queue (no bot served)' : sim.outcome.reason,
          );
      }
    },
    close() {
      lookup.close();
      for (const r of settings.regions) lex.lexV2(r).destroy();
    },
  };
}

/** An empty tally of walked callers, naming what walks them. */
export const noCallers = (t: Target): CallersSeen => ({
  walked: 0,
  served: 0,
  lookupGaveUp: 0,
  dropped: [],
  source:
    t.kind === 'local'
      ? 'callers walked through the flow against the local lookup and Lex'
      : 'callers walked through the flow against the lookup Lambda and Lex',
});
