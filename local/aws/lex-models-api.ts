/**
 * A local Lex V2 model-building endpoint (`models-v2-lex`), per region: the calls `lexdr preflight` reads bots with —
 * `ListBots` (`POST /bots`, with the BotName filter), `DescribeBot`, `DescribeBotAlias` — and Lex Global Resiliency's
 * replica calls: `ListBotReplicas` (`POST /bots/{botId}/replicas`), `DescribeBotReplica`, `ListBotAliasReplicas`
 * (`…/replicas/{replicaRegion}/botaliases`) and `ListBotVersionReplicas` (`…/botversions`). A replicated bot exists in
 * the replica region with the same bot and alias IDs, read-only, as Global Resiliency makes it.
 *
 * moto 5.2.1 serves ListBots/DescribeBot only on paths with a trailing slash (botocore's `/bots/`), which the JS SDK
 * v3 does not send (`/bots`), gives UUIDs for bot IDs (Lex's are 10 characters) and has no replica calls: the whole
 * service is served here.
 */
import { randomInt } from 'node:crypto';
import { AwsApiError } from '../http';
import { notFound, page, startRestServer } from './rest';
import type { RestListenOptions, RestRequest } from './rest';

export interface LocalModelAlias {
  botAliasId: string;
  botAliasName: string;
  botVersion: string;
}

export interface LocalModelBot {
  botId: string;
  botName: string;
  aliases: LocalModelAlias[];
  /** Numbered versions (DRAFT always exists). */
  versions: string[];
}

export type ReplicaStatus = 'Enabling' | 'Enabled' | 'Deleting' | 'Failed';
export type ReplicationStatus = 'Creating' | 'Available' | 'Updating' | 'Deleting' | 'Failed';

/** One Global Resiliency replica of a bot, as its source region reports it. */
export interface LocalReplica {
  status: ReplicaStatus;
  failureReasons: string[];
  /** The aliases as replicated: their version may lag the source's. */
  aliases: { botAliasId: string; botVersion: string; status: ReplicationStatus }[];
  versions: { botVersion: string; status: ReplicationStatus }[];
}

export type LocalLexModelsApiOptions = RestListenOptions;

export interface LocalLexModelsApi {
  url: string;
  /** Creates a bot with one alias (`live`, at version 1) in a region; returns it. */
  addBot(
    region: string,
    bot: { botName: string; botId?: string; botAliasId?: string; botVersion?: string },
  ): LocalModelBot;
  /** The bot as held in a region (tests change it). */
  bot(region: string, botId: string): LocalModelBot | undefined;
  /** Deletes a bot from a region (and its replication, when it is the source). */
  removeBot(region: string, botId: string): void;
  /**
   * Replicates a bot of `sourceRegion` to `replicaRegion` with the same IDs (Global Resiliency): the replica region
   * gets the bot, the source region the replica's state, everything in sync and Enabled.
   */
  replicate(sourceRegion: string, botId: string, replicaRegion: string): LocalReplica;
  close(): Promise<void>;
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const newId = () => Array.from({ length: 10 }, () => ID_CHARS[randomInt(ID_CHARS.length)]).join('');
const CREATED = 1_700_000_000;

export async function startLocalLexModelsApi(o: LocalLexModelsApiOptions = {}): Promise<LocalLexModelsApi> {
  const bots = new Map<string, LocalModelBot[]>();
  /** Replication state: `<sourceRegion>|<botId>` → replica region → replica. */
  const replication = new Map<string, Map<string, LocalReplica>>();
  const regionBots = (region: string) => {
    let list = bots.get(region);
    if (!list) bots.set(region, (list = []));
    return list;
  };
  const find = (req: RestRequest): LocalModelBot => {
    const b = regionBots(req.region).find((x) => x.botId === req.params.botId);
    if (!b) throw notFound(`Could not find bot ${req.params.botId ?? ''} in ${req.region}`);
    return b;
  };
  /** The source region of a bot's replication, and its replicas, seen from any region that holds the bot. */
  const replicationOf = (region: string, botId: string) => {
    for (const [key, replicas] of replication) {
      const [source, id] = key.split('|');
      if (id === botId && (source === region || replicas.has(region))) return { source: source!, replicas };
    }
    return undefined;
  };
  const replicaFor = (req: RestRequest): { source: string; replica: LocalReplica } => {
    find(req);
    const r = replicationOf(req.region, req.params.botId!);
    const replica = r?.replicas.get(req.params.replicaRegion ?? '');
    if (!r || r.source !== req.region || !replica)
      throw notFound(`bot ${req.params.botId ?? ''} has no replica in ${req.params.replicaRegion ?? ''}`);
    return { source: r.source, replica };
  };
  const summary = (b: LocalModelBot) => ({
    botId: b.botId,
    botName: b.botName,
    botStatus: 'Available',
    latestBotVersion: b.versions[b.versions.length - 1] ?? 'DRAFT',
    lastUpdatedDateTime: CREATED,
    botType: 'Bot',
  });
  const body = (req: RestRequest) => (req.body ?? {}) as { maxResults?: number; nextToken?: string };

  const api = await startRestServer({
    service: 'Lex V2 model building',
    host: o.host,
    port: o.port,
    guard: o.guard,
    routes: [
      {
        method: 'POST',
        path: '/bots',
        handle: (req) => {
          const b = (req.body ?? {}) as {
            filters?: { name?: string; values?: string[]; operator?: string }[];
            maxResults?: number;
            nextToken?: string;
          };
          let list = regionBots(req.region);
          for (const f of b.filters ?? []) {
            if (f.name !== 'BotName') throw new AwsApiError('ValidationException', `filter ${f.name}: only BotName`);
            const v = f.values?.[0] ?? '';
            list = list.filter((x) =>
              f.operator === 'CO' ? x.botName.includes(v) : f.operator === 'NE' ? x.botName !== v : x.botName === v,
            );
          }
          const p = page(list, b.nextToken ?? null, Math.min(b.maxResults ?? 10, 1000));
          return { body: { botSummaries: p.items.map(summary), ...(p.next ? { nextToken: p.next } : {}) } };
        },
      },
      {
        method: 'GET',
        path: '/bots/{botId}',
        handle: (req) => {
          const b = find(req);
          return {
            body: {
              ...summary(b),
              roleArn: `arn:aws:iam::123456789012:role/aws-service-role/lexv2.amazonaws.com/AWSServiceRoleForLexV2Bots`,
              dataPrivacy: { childDirected: false },
              idleSessionTTLInSeconds: 300,
              creationDateTime: CREATED,
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/bots/{botId}/botaliases/{botAliasId}',
        handle: (req) => {
          const b = find(req);
          const a = b.aliases.find((x) => x.botAliasId === req.params.botAliasId);
          if (!a) throw notFound(`Could not find bot alias ${req.params.botAliasId ?? ''} of bot ${b.botId}`);
          return {
            body: {
              ...a,
              botId: b.botId,
              botAliasStatus: 'Available',
              creationDateTime: CREATED,
              lastUpdatedDateTime: CREATED,
            },
          };
        },
      },
      {
        method: 'POST',
        path: '/bots/{botId}/replicas',
        handle: (req) => {
          const b = find(req);
          const r = replicationOf(req.region, b.botId);
          const listed = r && r.source === req.region ? [...r.replicas] : [];
          return {
            body: {
              botId: b.botId,
              sourceRegion: r?.source ?? req.region,
              botReplicaSummaries: listed.map(([replicaRegion, x]) => ({
                replicaRegion,
                creationDateTime: CREATED,
                botReplicaStatus: x.status,
                failureReasons: x.failureReasons,
              })),
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/bots/{botId}/replicas/{replicaRegion}',
        handle: (req) => {
          const { source, replica } = replicaFor(req);
          return {
            body: {
              botId: req.params.botId,
              replicaRegion: req.params.replicaRegion,
              sourceRegion: source,
              creationDateTime: CREATED,
              botReplicaStatus: replica.status,
              failureReasons: replica.failureReasons,
            },
          };
        },
      },
      {
        method: 'POST',
        path: '/bots/{botId}/replicas/{replicaRegion}/botaliases',
        handle: (req) => {
          const { source, replica } = replicaFor(req);
          const p = page(replica.aliases, body(req).nextToken ?? null, body(req).maxResults ?? 50);
          return {
            body: {
              botId: req.params.botId,
              sourceRegion: source,
              replicaRegion: req.params.replicaRegion,
              botAliasReplicaSummaries: p.items.map((a) => ({
                botAliasId: a.botAliasId,
                botAliasReplicationStatus: a.status,
                botVersion: a.botVersion,
                creationDateTime: CREATED,
                lastUpdatedDateTime: CREATED,
                failureReasons: [],
              })),
              ...(p.next ? { nextToken: p.next } : {}),
            },
          };
        },
      },
      {
        method: 'POST',
        path: '/bots/{botId}/replicas/{replicaRegion}/botversions',
        handle: (req) => {
          const { source, replica } = replicaFor(req);
          const p = page(replica.versions, body(req).nextToken ?? null, body(req).maxResults ?? 50);
          return {
            body: {
              botId: req.params.botId,
              sourceRegion: source,
              replicaRegion: req.params.replicaRegion,
              botVersionReplicaSummaries: p.items.map((v) => ({
                botVersion: v.botVersion,
                botVersionReplicationStatus: v.status,
                creationDateTime: CREATED,
                failureReasons: [],
              })),
              ...(p.next ? { nextToken: p.next } : {}),
            },
          };
        },
      },
    ],
  });

  return {
    url: api.url,
    addBot(region, b) {
      const version = b.botVersion ?? '1';
      const bot: LocalModelBot = {
        botId: b.botId ?? newId(),
        botName: b.botName,
        aliases: [{ botAliasId: b.botAliasId ?? newId(), botAliasName: 'live', botVersion: version }],
        versions: version === 'DRAFT' ? [] : [version],
      };
      regionBots(region).push(bot);
      return bot;
    },
    bot: (region, botId) => regionBots(region).find((b) => b.botId === botId),
    removeBot(region, botId) {
      bots.set(
        region,
        regionBots(region).filter((b) => b.botId !== botId),
      );
      replication.delete(`${region}|${botId}`);
    },
    replicate(sourceRegion, botId, replicaRegion) {
      const source = regionBots(sourceRegion).find((b) => b.botId === botId);
      if (!source) throw new Error(`no bot ${botId} in ${sourceRegion}`);
      regionBots(replicaRegion).push(JSON.parse(JSON.stringify(source)) as LocalModelBot);
      const key = `${sourceRegion}|${botId}`;
      if (!replication.has(key)) replication.set(key, new Map());
      const replica: LocalReplica = {
        status: 'Enabled',
        failureReasons: [],
        aliases: source.aliases.map((a) => ({
          botAliasId: a.botAliasId,
          botVersion: a.botVersion,
          status: 'Available',
        })),
        versions: source.versions.map((botVersion) => ({ botVersion, status: 'Available' })),
      };
      replication.get(key)!.set(replicaRegion, replica);
      return replica;
    },
    close: api.close,
  };
}
