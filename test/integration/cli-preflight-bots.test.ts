/**
 * `lexdr preflight` on the bots: a bot name that is this app's own bot (known by its bot stack's BotId) is no
 * conflict, and existing bots and Global Resiliency replicas are checked in every region — each failing check shown
 * with its fix. The account is served by moto and the local AWS APIs (cli-preflight-fixture.ts).
 */
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import type { LexdrConfigInput } from '../../infra/config';
import {
  at,
  BASE,
  bootstrap,
  cdkJson,
  lexModels,
  lines,
  preflight,
  usePreflightAccount,
} from './cli-preflight-fixture';

usePreflightAccount();

describe('lexdr preflight', () => {
  it("accepts a bot name that is this app's own bot (its bot stack's BotId), and no other", async () => {
    const ours = lexModels.addBot('us-east-1', { botName: 'lexdr-OrderFlowers' });
    const cfn = new CloudFormationClient(at('us-east-1'));
    await cfn.send(
      new CreateStackCommand({
        StackName: 'Lexdr-Bot-OrderFlowers-us-east-1',
        TemplateBody: JSON.stringify({
          Resources: {
            Marker: {
              Type: 'AWS::SSM::Parameter',
              Properties: { Name: '/test/bot-stack', Type: 'String', Value: 'x' },
            },
          },
          Outputs: { BotId: { Value: ours.botId } },
        }),
      }),
    );
    try {
      const r = await preflight(cdkJson('ours', BASE));
      expect(r.out).toContain(
        `✓ us-east-1: Lex bot lexdr-OrderFlowers is this app's (bot ${ours.botId}, stack Lexdr-Bot-OrderFlowers-us-east-1): the deploy updates it`,
      );
      expect(r.code).toBe(0);

      // Another prefix: the name is free again, whatever bots the account has.
      const other = await preflight(cdkJson('prefixed', { ...BASE, botNamePrefix: 'lexdr2-' }));
      expect(other.out).toContain('✓ us-east-1: Lex bot name lexdr2-OrderFlowers is free');
    } finally {
      await cfn.send(new DeleteStackCommand({ StackName: 'Lexdr-Bot-OrderFlowers-us-east-1' }));
      cfn.destroy();
      lexModels.removeBot('us-east-1', ours.botId);
    }
  });

  it('checks existing bots and Global Resiliency replicas in every region', async () => {
    const existingEast = lexModels.addBot('us-east-1', { botName: 'Support' });
    const existingWest = lexModels.addBot('us-west-2', { botName: 'Support' });
    const gr = lexModels.addBot('us-east-1', { botName: 'Billing', botVersion: '3' });
    const replica = lexModels.replicate('us-east-1', gr.botId, 'us-west-2');
    const ids = (b: typeof gr) => ({ botId: b.botId, botAliasId: b.aliases[0]!.botAliasId });
    const config = (westAlias = ids(existingWest).botAliasId): LexdrConfigInput => ({
      connectRegion: 'us-east-1',
      regions: ['us-east-1', 'us-west-2'],
      bots: [
        {
          name: 'Support',
          source: 'existing',
          ids: { 'us-east-1': ids(existingEast), 'us-west-2': { ...ids(existingWest), botAliasId: westAlias } },
        },
        { name: 'Billing', source: 'global-resiliency', ids: { 'us-east-1': ids(gr) } },
      ],
    });
    // No bot from code: only the Connect region's health-check stack deploys, so only us-east-1 needs bootstrapping.
    await bootstrap('us-west-2', undefined);
    try {
      const ok = await preflight(cdkJson('existing', config()));
      expect(ok.out).toContain('regions us-east-1 (');
      expect(ok.out).toContain(
        `✓ us-west-2: bot Support: ${existingWest.botId} (Support) with alias ${ids(existingWest).botAliasId} (live → version 1)`,
      );
      expect(ok.out).toContain(
        `✓ us-west-2: bot Billing: replica of us-east-1 Enabled, alias ${ids(gr).botAliasId} at version 3 in sync`,
      );
      expect(ok.out).toContain('ℹ no connectInstanceArn');
      expect(ok.out).toContain('ℹ no alarmEmail or alarmTopicArn');
      expect(ok.code).toBe(0);

      // A wrong alias ID in one region, and a replica whose alias still points at an older version.
      replica.aliases[0]!.botVersion = '2';
      const bad = await preflight(cdkJson('existing-bad', config('ZZZZZZZZZZ')));
      expect(lines(bad.out, '✗')).toEqual([
        `✗ us-west-2: bot Support: bot ${existingWest.botId} has no alias ZZZZZZZZZZ here — fix: bots[0].ids.us-west-2 (the bot's and its alias's IDs in us-west-2)`,
        expect.stringMatching(
          new RegExp(
            `^✗ us-west-2: bot Billing: the replica of us-east-1 is out of sync: alias ${ids(gr).botAliasId} points at version 2 here, 3 in us-east-1 — fix: wait for the replication`,
          ),
        ),
      ]);
      expect(bad.code).toBe(1);

      // A replica still being enabled.
      replica.aliases[0]!.botVersion = '3';
      replica.status = 'Enabling';
      const enabling = await preflight(cdkJson('existing-enabling', config()));
      expect(lines(enabling.out, '✗')).toEqual([
        '✗ us-west-2: bot Billing: the replica of us-east-1 is Enabling, not Enabled — fix: wait until the replica is Enabled, then run preflight again',
      ]);

      // No replication at all: the bot exists only where its IDs were given.
      lexModels.removeBot('us-west-2', gr.botId);
      const none = await preflight(cdkJson('existing-none', config()));
      expect(lines(none.out, '✗')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^✗ us-west-2: bot Billing: no bot ${gr.botId} here .* — fix: enable Global Resiliency for bot ${gr.botId}`,
          ),
        ),
      ]);

      // The same IDs in both regions, but no replication between them (two bots that merely share IDs).
      lexModels.removeBot('us-east-1', gr.botId);
      for (const region of ['us-east-1', 'us-west-2'])
        lexModels.addBot(region, {
          botName: 'Billing',
          botId: gr.botId,
          botAliasId: ids(gr).botAliasId,
          botVersion: '3',
        });
      const unreplicated = await preflight(cdkJson('existing-unreplicated', config()));
      expect(lines(unreplicated.out, '✗')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^✗ bot Billing \\(${gr.botId}\\): no region lists a Global Resiliency replica of it — fix: enable Global Resiliency`,
          ),
        ),
      ]);
      lexModels.removeBot('us-west-2', gr.botId);
    } finally {
      for (const [region, b] of [
        ['us-east-1', existingEast],
        ['us-west-2', existingWest],
        ['us-east-1', gr],
      ] as const)
        lexModels.removeBot(region, b.botId);
    }
  });
});
