/**
 * The typed props of lexdr's constructs and their way into the ONE config reader: each construct maps its props onto
 * the config's input (`LexdrConfigInput`, the `lexdr` context of cdk.json) and validates them with `parseConfig` —
 * the same schema, rules, limits and messages. A CDK object (a Connect instance, a topic, a bot deployed by a
 * {@link LexDrBot}) is checked through a stand-in of the shape the schema checks while its ARN or ID is a token, and the
 * construct then wires the object itself.
 */
import { Token } from 'aws-cdk-lib';
import type * as connect from 'aws-cdk-lib/aws-connect';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { BotConfig, BotRegion, LexdrConfig, LexdrConfigInput, ProbeMethod } from '../config';
import { ConfigError, parseConfig } from '../config';

/** A Lex V2 bot's IDs in one region. A {@link LexDrBot} is one. */
export interface LexDrBotIds {
  /** Lex V2 bot ID (10 upper-case letters or digits). */
  readonly botId: string;
  /** Lex V2 bot alias ID of the alias callers reach (10 upper-case letters or digits). */
  readonly botAliasId: string;
}

/** A bot lexdr keeps callers on: a region is healthy when every bot answers there. */
export interface LexDrBotOptions {
  /** The bot's name in lexdr: metric dimensions, the lookup's `bot` parameter, the contact flow (letters, digits, "_", "-"). */
  readonly name: string;
  /**
   * The Lex V2 locale the probes and the contact flow use.
   * @default 'en_US'
   */
  readonly localeId?: string;
  /**
   * The bot in each bot region, by region: the IDs of a bot that exists there, or a {@link LexDrBot} deployed in that
   * region's stack (a cross-region reference: give both stacks `crossRegionReferences: true`). With
   * `globalResiliency`, exactly one entry, any region.
   */
  readonly ids: Readonly<Record<string, LexDrBotIds>>;
  /**
   * The bot is replicated by Lex V2 Global Resiliency: the same IDs in every region, `ids` holds one entry.
   * @default false
   */
  readonly globalResiliency?: boolean;
  /**
   * The bot's Lex V1 name and alias, for the legacy V1 probe methods only.
   * @default - none
   */
  readonly v1?: { readonly botName: string; readonly botAlias: string };
}

/** How the health check probes each bot in each region. */
export interface LexDrProbeOptions {
  /**
   * The method of most probes; `liveness` (Lex V2 PutSession/GetSession/DeleteSession) carries no request charge.
   * @default 'liveness'
   */
  readonly method?: ProbeMethod;
  /**
   * Every this many minutes a cycle probes with NLU (RecognizeText) instead; 0 = never.
   * @default 60
   */
  readonly nluEveryMinutes?: number;
  /**
   * Every this many minutes a cycle probes by speech (RecognizeUtterance of the shipped recording), a speech request
   * each; 0 = never.
   * @default 0
   */
  readonly speechEveryMinutes?: number;
  /**
   * The utterance NLU probes send.
   * @default 'I would like to order some flowers'
   */
  readonly utterance?: string;
  /**
   * The intent an NLU probe must recognise.
   * @default 'OrderFlowers'
   */
  readonly expectedIntent?: string;
  /**
   * The slot Lex must elicit next after the utterance.
   * @default 'FlowerType'
   */
  readonly expectedSlot?: string;
  /**
   * Hard timeout of each Lex call of a probe, in milliseconds (200–10,000, shorter than a cycle).
   * @default 1500
   */
  readonly timeoutMs?: number;
  /**
   * A probe slower than this (milliseconds) counts as failed.
   * @default 1200
   */
  readonly latencyBudgetMs?: number;
}

/** Callers' reports of bot failures: a burst of them starts a health check at once. Reports alone never move callers. */
export interface LexDrCallerReportsOptions {
  /**
   * Whether a burst starts a health check (the reports and their metric are kept either way).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Distinct contacts reporting the active region within `windowSeconds` that start a check.
   * @default 1
   */
  readonly contacts?: number;
  /**
   * The window, in seconds.
   * @default 30
   */
  readonly windowSeconds?: number;
  /**
   * At most one check started per this many seconds.
   * @default 15
   */
  readonly minIntervalSeconds?: number;
  /**
   * How the started check probes the reported region: `speech` (RecognizeUtterance of the shipped recording) or
   * `probe` (the configured method).
   * @default 'speech'
   */
  readonly confirmWith?: 'speech' | 'probe';
}

/** An Amazon Connect instance to wire lexdr into, in the Connect region. */
export interface LexDrConnectOptions {
  /** The instance: the `CfnInstance` of your app, or the instance's ARN. */
  readonly instance: connect.CfnInstance | string;
  /**
   * The queue the contact flows put callers through to when no bot can take them: the `CfnQueue`, or its ARN.
   * @default - no contact flows: the lookup, the report function and the bot aliases are associated, the flows are yours
   */
  readonly queue?: connect.CfnQueue | string;
  /**
   * What the contact flow says to callers it puts through to an agent.
   * @default - the text in flows/tokens.ts
   */
  readonly apologyText?: string;
}

/** Stand-ins of the shape the schema checks, for values that are tokens until deploy time. */
const STAND_IN = {
  botId: 'TOKEN0BOT0',
  botAliasId: 'TOKEN0ALIA',
  instance: (region: string) => `arn:aws:connect:${region}:000000000000:instance/00000000-0000-0000-0000-000000000000`,
  queue: (region: string) =>
    `arn:aws:connect:${region}:000000000000:instance/00000000-0000-0000-0000-000000000000/queue/00000000-0000-0000-0000-000000000000`,
  topic: (region: string) => `arn:aws:sns:${region}:000000000000:lexdr-alarms`,
};

const isToken = (s: string | undefined) => s !== undefined && Token.isUnresolved(s);

/** An ARN for the schema: itself, or a stand-in of its shape while it is a token. */
export const checkable = (arn: string, standIn: string) => (isToken(arn) ? standIn : arn);

/** The ARN of an instance given as a construct or an ARN. */
export const instanceArnOf = (i: connect.CfnInstance | string) => (typeof i === 'string' ? i : i.attrArn);
/** The ARN of a queue given as a construct or an ARN. */
export const queueArnOf = (q: connect.CfnQueue | string) => (typeof q === 'string' ? q : q.attrQueueArn);

/** The config keys of a connection to Amazon Connect, checkable: a token ARN becomes a stand-in in `region`. */
export function connectInput(c: LexDrConnectOptions, region: string): Partial<LexdrConfigInput> {
  const instanceRegion =
    typeof c.instance === 'string' || isToken(c.instance.stack.region) ? region : c.instance.stack.region;
  return {
    connectInstanceArn: checkable(instanceArnOf(c.instance), STAND_IN.instance(instanceRegion)),
    ...(c.queue !== undefined ? { agentQueueArn: checkable(queueArnOf(c.queue), STAND_IN.queue(instanceRegion)) } : {}),
    ...(c.apologyText !== undefined ? { apologyText: c.apologyText } : {}),
  };
}

/** The bots as the config has them, checkable, and how to resolve the IDs that are tokens. */
export function botsInput(bots: readonly LexDrBotOptions[]): {
  input: NonNullable<LexdrConfigInput['bots']>;
  /** Bots whose IDs hold tokens (a {@link LexDrBot} of another stack), by name: their IDs by region. */
  tokenIds: Map<string, (region: string) => BotRegion>;
} {
  const tokenIds = new Map<string, (region: string) => BotRegion>();
  const input = bots.map((b) => {
    const entries = Object.entries(b.ids);
    if (entries.some(([, ids]) => isToken(ids.botId) || isToken(ids.botAliasId))) {
      tokenIds.set(b.name, (region) => {
        const ids = b.ids[region] ?? (b.globalResiliency ? entries[0]?.[1] : undefined);
        if (!ids) throw new ConfigError(`bots: "${b.name}" has no IDs for ${region}`);
        return { botId: ids.botId, botAliasId: ids.botAliasId };
      });
    }
    return {
      name: b.name,
      ...(b.localeId !== undefined ? { localeId: b.localeId } : {}),
      source: b.globalResiliency ? ('global-resiliency' as const) : ('existing' as const),
      ids: Object.fromEntries(
        entries.map(([region, ids]) => [
          region,
          {
            botId: checkable(ids.botId, STAND_IN.botId),
            botAliasId: checkable(ids.botAliasId, STAND_IN.botAliasId),
          },
        ]),
      ),
      ...(b.v1 ? { v1: { botName: b.v1.botName, botAlias: b.v1.botAlias } } : {}),
    };
  });
  return { input, tokenIds };
}

/** A bot whose IDs are tokens: deployed from code elsewhere, its IDs resolved, not configured. */
export const asCodeBot = (b: BotConfig): BotConfig => ({ ...b, source: 'code', ids: {} });

/** The alarm topic's ARN for the schema. */
export const topicInput = (topic: sns.ITopic, region: string): string =>
  checkable(topic.topicArn, STAND_IN.topic(region));

/**
 * `parseConfig` under a construct's own names: `source` names the construct, and each config key (or dotted key
 * prefix) of `keyNames` is reported as the prop it came from (`connectInstanceArn` → `connect.instance`,
 * `twilio.accountSid` → `accountSid` with `{ twilio: '' }`). Throws {@link ConfigError}.
 */
export function parseProps(
  input: LexdrConfigInput,
  source: string,
  keyNames: Readonly<Record<string, string>> = {},
  options: { deployLimits?: boolean } = {},
): LexdrConfig {
  try {
    return parseConfig(withoutUndefined(input), source, options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(
      err.message
        .split('\n')
        .map((line) => renameKey(line, keyNames))
        .join('\n'),
    );
  }
}

/** A line of a ConfigError (`  <key>: …`) with its key renamed by its longest prefix in `keyNames`. */
function renameKey(line: string, keyNames: Readonly<Record<string, string>>): string {
  const m = /^ {2}([A-Za-z0-9_.]+)(?=:)/.exec(line);
  if (!m) return line;
  const parts = m[1]!.split('.');
  for (let n = parts.length; n > 0; n--) {
    const name = keyNames[parts.slice(0, n).join('.')];
    if (name === undefined) continue;
    const renamed = [...(name ? [name] : []), ...parts.slice(n)].join('.');
    return `  ${renamed}${line.slice(m[0].length)}`;
  }
  return line;
}

/** The config with no key set to `undefined` (the schema's defaults apply to absent keys). */
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * A validated config as input again, to check it with a few keys changed (`LexDrConnect`, `LexDrTwilioBridge`): the
 * parsed config is a valid input of the schema.
 */
export function asInput(config: LexdrConfig): LexdrConfigInput {
  return config as LexdrConfigInput;
}
