/**
 * Verify: the wires of one deployed health-check stack that read and run it — the settings item, one workflow cycle,
 * the lexDR item, the lookup invoked as Amazon Connect invokes it, and RecognizeText on every bot alias.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteSessionCommand, LexRuntimeV2Client, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { connectInstanceFor } from '../../../infra/config';
import type { LexdrConfig } from '../../../infra/config';
import { HEALTH_CHECK_OUTPUTS, STACK_NAMES } from '../../../core/contract';
import { ERR } from '../../../core/dr-item-read';
import { SettingsError } from '../../../core/errors';
import type { LookupAnswer } from '../../../core/lookup-core';
import type { Settings } from '../../../core/settings';
import { parseSettings, readSettingsItem, settingsItemKey } from '../../../core/settings';
import type { AwsAccess } from '../aws-access';
import { using } from '../aws-access';
import type { CheckResult } from '../checks';
import { errorText, fail, isAccessDenied, missingOutput, pass, permissionFix } from '../checks';
import { formatMs } from '../format';
import type { Io } from '../io';
import { sfnExecutions } from '../target';

/** Connect waits at most this long for a Lambda (`InvocationTimeLimitSeconds` 1–8). */
const CONNECT_LAMBDA_LIMIT_MS = 8000;
/** A Step Functions Express execution runs at most 5 minutes; StartSyncExecution answers when it ends. */
const SYNC_EXECUTION_TIMEOUT_MS = 5 * 60_000 + 10_000;

/** Reads and validates the settings item of the Connect region (the whole settings, as the health check reads them). */
export async function readSettings(
  dynamodb: DynamoDBClient,
  table: string,
  connectRegion: string,
): Promise<{ settings?: Settings; check: CheckResult }> {
  const C = 'settings';
  const key = settingsItemKey(connectRegion);
  try {
    const raw = (
      await dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { connectRegion: { S: key } }, ConsistentRead: true }),
      )
    ).Item;
    const settings = readSettingsItem(raw, connectRegion, parseSettings, table);
    return {
      settings,
      check: pass(
        C,
        `settings item ${key}: ${settings.bots.length} bot(s) in ${settings.regions.join(', ')}, probe "${settings.probe.utterance}" → ${settings.probe.expectedIntent}`,
      ),
    };
  } catch (err) {
    const fix = `redeploy the health-check stack (\`npx cdk deploy ${STACK_NAMES.healthCheck(connectRegion)}\`): it writes the settings item`;
    if (err instanceof SettingsError) return { check: fail(C, `settings item ${key}: ${err.message}`, fix) };
    return {
      check: fail(
        C,
        `cannot read settings item ${key} of table ${table} (${errorText(err)})`,
        permissionFix(err, 'dynamodb:GetItem'),
      ),
    };
  }
}

/** Runs one health-check cycle with StartSyncExecution (`{"cycles": 1}`, no drill) and checks it SUCCEEDED. */
export async function runCycle(
  aws: AwsAccess,
  region: string,
  stateMachineArn: string | undefined,
  io: Io,
): Promise<CheckResult> {
  const C = 'workflow';
  if (!stateMachineArn) return missingOutput(C, HEALTH_CHECK_OUTPUTS.stateMachineArn);
  // One attempt: a retried StartSyncExecution would run a second cycle.
  return using(
    new SFNClient({ ...aws.sfnConfig(region, { requestTimeoutMs: SYNC_EXECUTION_TIMEOUT_MS }), maxAttempts: 1 }),
    async (sfn) => {
      const executions = sfnExecutions(sfn, stateMachineArn, io);
      const name = `lexdr-verify-${io.now().toISOString().replace(/[:.]/g, '-')}`;
      const started = io.now().getTime();
      try {
        const r = await executions.run({ cycles: 1 }, name);
        const took = formatMs(io.now().getTime() - started);
        if (r.status === 'SUCCEEDED')
          return pass(C, `one health-check cycle ran (StartSyncExecution ${name}, no drill): SUCCEEDED in ${took}`);
        return fail(
          C,
          `one health-check cycle ended ${r.status}${r.error ? `: ${r.error}` : ''}${r.cause ? ` (${r.cause.slice(0, 300)})` : ''}`,
          `open execution ${r.executionArn} in the Step Functions console and its log group`,
        );
      } catch (err) {
        return fail(
          C,
          `cannot run a cycle of ${stateMachineArn} (${errorText(err)})`,
          permissionFix(err, 'states:StartSyncExecution'),
        );
      }
    },
  );
}

/** Reads and validates the lexDR item of the Connect region. */
export async function checkLexDr(
  dynamodb: DynamoDBClient,
  table: string,
  connectRegion: string,
  settings: Settings | undefined,
): Promise<CheckResult> {
  const C = 'lexdr-item';
  let raw: Record<string, AttributeValue> | undefined;
  try {
    raw = (
      await dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { connectRegion: { S: connectRegion } }, ConsistentRead: true }),
      )
    ).Item;
  } catch (err) {
    return fail(
      C,
      `cannot read the lexDR item of table ${table} (${errorText(err)})`,
      permissionFix(err, 'dynamodb:GetItem'),
    );
  }
  if (!raw)
    return fail(
      C,
      `table ${table} has no lexDR item for ${connectRegion}, even after a cycle`,
      'check the state machine and its schedule (scheduleEnabled)',
    );
  const problems: string[] = [];
  const lexRegion = raw.lexRegion?.S;
  const regions = settings?.regions ?? Object.keys(raw.regionHealth?.M ?? {});
  if (lexRegion === undefined) problems.push('no string lexRegion');
  else if (lexRegion !== ERR && !regions.includes(lexRegion))
    problems.push(`lexRegion "${lexRegion}" is not a configured region (${regions.join(', ')})`);
  const version = Number(raw.version?.N);
  if (!Number.isSafeInteger(version) || version < 0) problems.push('no whole-number version');
  const health = raw.regionHealth?.M;
  const missing = regions.filter((r) => !health?.[r]?.M);
  if (missing.length > 0) problems.push(`no regionHealth for ${missing.join(', ')}`);
  if (problems.length > 0)
    return fail(
      C,
      `the lexDR item of ${connectRegion} is not valid: ${problems.join('; ')}`,
      'let the next cycle rewrite it (`npx lexdr failback` or delete the item), and check the stack version',
    );
  if (lexRegion === ERR)
    return fail(
      C,
      `lexDR of ${connectRegion} is "err": no region is healthy, callers take the apology path`,
      'see `npx lexdr status` and the RecognizeText lines',
    );
  const pin = raw.pin?.M?.region?.S;
  return pass(
    C,
    `lexDR of ${connectRegion}: callers go to ${lexRegion}${lexRegion === regions[0] ? ' (primary)' : ''}, version ${version}${pin ? `, pinned to ${pin}` : ''}`,
  );
}

/** A ContactFlowEvent as Amazon Connect sends it from the shipped flow's InvokeLambdaFunction block. */
function contactFlowEvent(connectRegion: string, instanceArn: string, bot: string | undefined) {
  const contactId = randomUUID();
  return {
    Name: 'ContactFlowEvent',
    Details: {
      ContactData: {
        Attributes: {},
        AwsRegion: connectRegion,
        Channel: 'VOICE',
        ContactId: contactId,
        CustomerEndpoint: { Address: '+15555550100', Type: 'TELEPHONE_NUMBER' },
        InitialContactId: contactId,
        InitiationMethod: 'INBOUND',
        InstanceARN: instanceArn,
        PreviousContactId: contactId,
        Queue: null,
        SystemEndpoint: { Address: '+15555550199', Type: 'TELEPHONE_NUMBER' },
      },
      Parameters: bot === undefined ? {} : { bot },
    },
  };
}

/** Invokes the lookup with a ContactFlowEvent per bot, as Amazon Connect does, and checks each answer. */
export async function checkLookup(
  aws: AwsAccess,
  region: string,
  connectRegion: string,
  functionArn: string | undefined,
  settings: Settings | undefined,
  config: LexdrConfig | undefined,
  io: Io,
): Promise<CheckResult[]> {
  const C = 'lookup';
  if (!functionArn) return [missingOutput(C, HEALTH_CHECK_OUTPUTS.lookupFunctionArn)];
  const account = functionArn.split(':')[4] ?? '000000000000';
  const instanceArn =
    (config && connectInstanceFor(config, connectRegion)?.instanceArn) ??
    `arn:aws:connect:${connectRegion}:${account}:instance/00000000-0000-0000-0000-000000000000`;
  const bots = settings?.bots.map((b) => b.name) ?? [undefined];
  return using(new LambdaClient(aws.config(region)), (lambda) =>
    Promise.all(
      bots.map(async (bot): Promise<CheckResult> => {
        const label = bot ? `lookup (${bot})` : 'lookup';
        const started = io.now().getTime();
        let text: string;
        try {
          const r = await lambda.send(
            new InvokeCommand({
              FunctionName: functionArn,
              InvocationType: 'RequestResponse',
              Payload: new TextEncoder().encode(JSON.stringify(contactFlowEvent(connectRegion, instanceArn, bot))),
            }),
          );
          text = r.Payload ? new TextDecoder().decode(r.Payload) : '';
          if (r.FunctionError)
            return fail(
              C,
              `${label}: the function failed (${r.FunctionError}): ${text.slice(0, 300)}`,
              `see the log group of ${functionArn}`,
            );
        } catch (err) {
          return fail(
            C,
            `${label}: cannot invoke ${functionArn} (${errorText(err)})`,
            permissionFix(err, 'lambda:InvokeFunction'),
          );
        }
        const ms = io.now().getTime() - started;
        let answer: LookupAnswer;
        try {
          answer = JSON.parse(text) as LookupAnswer;
        } catch {
          return fail(
            C,
            `${label}: the answer is not JSON: ${text.slice(0, 200)}`,
            `see the log group of ${functionArn}`,
          );
        }
        const notString = Object.entries(answer ?? {}).filter(([, v]) => typeof v !== 'string');
        if (!answer || typeof answer !== 'object' || notString.length > 0)
          return fail(
            C,
            `${label}: Connect would refuse the answer (STRING_MAP needs a flat map of strings${notString.length ? `; not strings: ${notString.map(([k]) => k).join(', ')}` : ''})`,
            'redeploy the stack with this lexdr version',
          );
        const regions = settings?.regions ?? [];
        const expectedArn = settings?.bots.find((b) => b.name === answer.botName)?.regions[answer.lexRegion]
          ?.botAliasArn;
        const fix = 'see `npx lexdr status`, and the log group of the lookup';
        if (answer.status !== 'ok' && answer.status !== 'pinned')
          return fail(
            C,
            `${label}: answers ${answer.lexRegion || '(no region)'} with status ${answer.status}${answer.detail ? ` (${answer.detail})` : ''}`,
            fix,
          );
        if (regions.length > 0 && !regions.includes(answer.lexRegion))
          return fail(C, `${label}: answers region ${answer.lexRegion}, not one of ${regions.join(', ')}`, fix);
        if (expectedArn !== undefined && answer.botAliasArn !== expectedArn)
          return fail(
            C,
            `${label}: answers alias ${answer.botAliasArn}, the settings have ${expectedArn} in ${answer.lexRegion}`,
            fix,
          );
        if (ms > CONNECT_LAMBDA_LIMIT_MS)
          return fail(
            C,
            `${label}: answered in ${ms} ms; Connect waits at most ${CONNECT_LAMBDA_LIMIT_MS} ms`,
            `see the log group of ${functionArn}`,
          );
        return pass(
          C,
          `${label}: a ContactFlowEvent gets ${answer.lexRegion} (${answer.status}), alias ${answer.botAliasArn}, in ${ms} ms`,
        );
      }),
    ),
  );
}

/** RecognizeText with the probe's utterance on every bot alias in every region: the expected intent must come back. */
export async function checkBots(aws: AwsAccess, settings: Settings | undefined, io: Io): Promise<CheckResult[]> {
  const C = 'recognize-text';
  if (!settings) return [fail(C, 'no bot can be probed: the settings item is unreadable (see above)', undefined)];
  const { utterance, expectedIntent } = settings.probe;
  const jobs = settings.bots.flatMap((bot) =>
    settings.regions.map((region) => ({ bot, region, ids: bot.regions[region] })),
  );
  return Promise.all(
    jobs.map(({ bot, region, ids }) => {
      if (!ids)
        return Promise.resolve(
          fail(C, `bot ${bot.name} has no IDs for ${region} in the settings`, 'redeploy the stack', region),
        );
      return using(new LexRuntimeV2Client(aws.config(region, { requestTimeoutMs: 10_000 })), async (lex) => {
        const sessionId = `lexdr-verify-${randomUUID()}`;
        const target = { botId: ids.botId, botAliasId: ids.botAliasId, localeId: bot.localeId, sessionId };
        const started = io.now().getTime();
        try {
          const r = await lex.send(new RecognizeTextCommand({ ...target, text: utterance }));
          const ms = io.now().getTime() - started;
          const intent = r.interpretations?.[0]?.intent?.name ?? r.sessionState?.intent?.name;
          if (intent === expectedIntent)
            return pass(
              C,
              `RecognizeText on ${bot.name} (${ids.botId}/${ids.botAliasId}): "${utterance}" → ${intent} in ${ms} ms`,
              region,
            );
          return fail(
            C,
            `RecognizeText on ${bot.name} (${ids.botId}/${ids.botAliasId}): "${utterance}" → ${intent ?? 'no intent'}, expected ${expectedIntent}`,
            `compare the bot with the primary's (\`npx lexdr --aws bot diff\`), or set probe.expectedIntent`,
            region,
          );
        } catch (err) {
          return fail(
            C,
            `RecognizeText on ${bot.name} (${ids.botId}/${ids.botAliasId}) failed (${errorText(err)})`,
            isAccessDenied(err)
              ? 'allow lex:RecognizeText on the bot aliases for your identity'
              : 'check the bot alias and its locale in the Lex console',
            region,
          );
        } finally {
          await lex.send(new DeleteSessionCommand(target)).catch(() => undefined);
        }
      });
    }),
  );
}
