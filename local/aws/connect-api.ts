/**
 * A local Amazon Connect endpoint, per region: the instance API (`ListInstances` `GET /instance`, `DescribeInstance`
 * `GET /instance/{InstanceId}`) and the bot associations (`ListBots` `GET /instance/{InstanceId}/bots?lexVersion=V2`,
 * `AssociateBot` `PUT /instance/{InstanceId}/bot`), answered as Connect answers them. The whole service is served here
 * (moto serves the instance calls but not `ListBots`; one service is not split between two endpoints).
 */
import { randomUUID } from 'node:crypto';
import { AwsApiError } from '../http';
import { notFound, page, startRestServer } from './rest';
import type { RestListenOptions, RestRequest } from './rest';

export interface LocalConnectInstance {
  /** Instance ID (a UUID). @default a new one */
  id?: string;
  alias?: string;
  /** @default ACTIVE */
  status?: 'CREATION_IN_PROGRESS' | 'ACTIVE' | 'CREATION_FAILED';
  /** Lex V2 bot alias ARNs associated with the instance. */
  lexV2Bots?: string[];
}

export interface LocalConnectApiOptions extends RestListenOptions {
  /** Instances per region. */
  instances: Record<string, LocalConnectInstance[]>;
  /** @default 123456789012 */
  account?: string;
}

export interface LocalConnectApi {
  url: string;
  /** The ARN of an instance created here. */
  arnOf(region: string, id: string): string;
  /** The instances of a region, as held (tests change them). */
  instances(region: string): Required<LocalConnectInstance>[];
  close(): Promise<void>;
}

export async function startLocalConnectApi(o: LocalConnectApiOptions): Promise<LocalConnectApi> {
  const account = o.account ?? '123456789012';
  const byRegion = new Map<string, Required<LocalConnectInstance>[]>();
  const instances = (region: string) => {
    let list = byRegion.get(region);
    if (!list) byRegion.set(region, (list = []));
    return list;
  };
  for (const [region, list] of Object.entries(o.instances))
    instances(region).push(
      ...list.map((i) => ({
        id: i.id ?? randomUUID(),
        alias: i.alias ?? `lexdr-${region}`,
        status: i.status ?? 'ACTIVE',
        lexV2Bots: [...(i.lexV2Bots ?? [])],
      })),
    );
  const arnOf = (region: string, id: string) => `arn:aws:connect:${region}:${account}:instance/${id}`;
  /** The instance a request names (its ID or ARN), in the region the request was signed for. */
  const find = (req: RestRequest) => {
    const given = req.params.InstanceId ?? '';
    const id = given.startsWith('arn:') ? (given.split('/').pop() ?? '') : given;
    const i = instances(req.region).find((x) => x.id === id);
    if (!i) throw notFound(`Instance not found: ${given}`);
    return i;
  };
  const summary = (region: string, i: Required<LocalConnectInstance>) => ({
    Id: i.id,
    Arn: arnOf(region, i.id),
    IdentityManagementType: 'CONNECT_MANAGED',
    InstanceAlias: i.alias,
    CreatedTime: 1_700_000_000,
    ServiceRole: `arn:aws:iam::${account}:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect`,
    InstanceStatus: i.status,
    InboundCallsEnabled: true,
    OutboundCallsEnabled: true,
    InstanceAccessUrl: `https://${i.alias}.my.connect.aws`,
  });
  const maxResults = (req: RestRequest, max: number) =>
    Math.min(Number(req.query.get('maxResults') ?? max) || max, max);

  const api = await startRestServer({
    service: 'Amazon Connect',
    host: o.host,
    port: o.port,
    guard: o.guard,
    routes: [
      {
        method: 'GET',
        path: '/instance',
        handle: (req) => {
          const p = page(instances(req.region), req.query.get('nextToken'), maxResults(req, 10));
          return {
            body: {
              InstanceSummaryList: p.items.map((i) => summary(req.region, i)),
              ...(p.next ? { NextToken: p.next } : {}),
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/instance/{InstanceId}',
        handle: (req) => {
          const i = find(req);
          return { body: { Instance: { ...summary(req.region, i), Tags: {} } } };
        },
      },
      {
        method: 'GET',
        path: '/instance/{InstanceId}/bots',
        handle: (req) => {
          const i = find(req);
          const version = req.query.get('lexVersion');
          if (version !== 'V1' && version !== 'V2')
            throw new AwsApiError('InvalidRequestException', 'lexVersion must be V1 or V2');
          const bots = version === 'V2' ? i.lexV2Bots.map((AliasArn) => ({ LexV2Bot: { AliasArn } })) : [];
          const p = page(bots, req.query.get('nextToken'), maxResults(req, 25));
          return { body: { LexBots: p.items, ...(p.next ? { NextToken: p.next } : {}) } };
        },
      },
      {
        method: 'PUT',
        path: '/instance/{InstanceId}/bot',
        handle: (req) => {
          const i = find(req);
          const arn = (req.body as { LexV2Bot?: { AliasArn?: string } } | undefined)?.LexV2Bot?.AliasArn;
          if (!arn) throw new AwsApiError('InvalidRequestException', 'LexV2Bot.AliasArn is required locally');
          if (i.lexV2Bots.includes(arn)) throw new AwsApiError('ResourceConflictException', 'already associated', 409);
          i.lexV2Bots.push(arn);
          return { body: undefined };
        },
      },
    ],
  });
  return { url: api.url, arnOf, instances, close: api.close };
}
