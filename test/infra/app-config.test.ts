import { App } from 'aws-cdk-lib';
import { buildApp } from '../../infra/app';
import { ConfigError, parseConfig } from '../../infra/config';
import { GLOBAL_RESILIENCY_BOTS, TWILIO } from './deploy-configurations';

const offline = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('config errors name the key, the value received and what is valid', () => {
  test.each([
    [{ cadenceSeconds: 7 }, /cadenceSeconds: got 7; must divide 60 evenly/],
    [{ cadenceSeconds: 2 }, /cadenceSeconds: got 2;.*(>=|at least|too small).*5/i],
    [{ regions: ['us-east-1'] }, /regions: got \["us-east-1"\]; at least two regions/],
    [{ regions: ['us-east-1', 'Mars'] }, /regions\.1: got "Mars"; a region where Lex V2 runs: us-east-1, us-west-2/],
    [{ regions: ['us-east-1', 'us-wst-2'] }, /regions\.1: got "us-wst-2"; a region where Lex V2 runs/],
    [{ connectRegions: ['us-east-1', 'us-wst-2'] }, /connectRegions\.1: got "us-wst-2"; a region where Lex V2 runs/],
    [
      {
        bots: [
          {
            name: 'A',
            source: 'global-resiliency',
            ids: { 'us-wst-2': { botId: 'ABCDEFGHIJ', botAliasId: 'ABCDEFGHIJ' } },
          },
        ],
      },
      /bots\.0\.ids\.us-wst-2: the key "us-wst-2" is not valid: a region where Lex V2 runs/,
    ],
    [{ connectRegion: 'eu-west-2', connectRegions: ['us-east-1'] }, /connectRegion: got "eu-west-2"; must be one of/],
    [{ probe: { timeoutMs: 10000 } }, /probe\.timeoutMs: got 10000; must be shorter than one cycle/],
    [{ failThreshold: 0 }, /failThreshold: got 0;/],
    [{ connectInstanceArn: 'arn:aws:connect:::nope' }, /connectInstanceArn: got "arn:aws:connect:::nope"/],
    [{ agentQueueArn: 'queue-1' }, /agentQueueArn: got "queue-1"/],
    [{ bots: [{ name: 'X', source: 'existing', ids: {} }] }, /bots\.0\.ids: .*missing us-east-1, us-west-2/],
  ])('%j', (input, message) => {
    expect(() => parseConfig(input)).toThrow(ConfigError);
    expect(() => parseConfig(input)).toThrow(message);
  });
});

describe('app', () => {
  test('a bot as code without a definition fails with the names bot/ defines', () => {
    const config = parseConfig({ bots: [{ name: 'Pizza', source: 'code' }] });
    expect(() => buildApp(config, { app: offline(), nag: false })).toThrow(
      /bots: "Pizza" has source "code" but bot\/ defines only OrderFlowers/,
    );
  });

  test('settings no longer ride in the environment: 6 bots × 6 regions (once over 4 KB) synthesizes', () => {
    const regions = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-central-1', 'ap-southeast-2'];
    const ids = Object.fromEntries(regions.map((r) => [r, { botId: 'AAAAAAAAAA', botAliasId: 'BBBBBBBBBB' }]));
    const bots = Array.from({ length: 6 }, (_, i) => ({ name: `Bot${i}`, source: 'existing', ids }));
    const config = parseConfig({ regions, bots });
    expect(() => buildApp(config, { app: offline(), nag: false, account: '111111111111' }).app.synth()).not.toThrow();
  });
});

describe('the optional Twilio bridge', () => {
  test('is deployed only when configured, next to the health check', () => {
    const bots = GLOBAL_RESILIENCY_BOTS;
    const without = buildApp(parseConfig({ bots }), { app: offline(), nag: false, account: '111111111111' });
    expect(without.twilioBridge).toBeUndefined();
    const withIt = buildApp(parseConfig({ bots, twilio: TWILIO }), {
      app: offline(),
      nag: false,
      account: '111111111111',
    });
    expect(withIt.twilioBridge?.region).toBe('us-east-1');
    expect(withIt.twilioBridge?.stackName).toBe('Lexdr-TwilioBridge-us-east-1');
  });

  test('rejects a bad account SID or number with the value received', () => {
    expect(() => parseConfig({ twilio: { ...TWILIO, accountSid: 'SK1' } })).toThrow(/twilio\.accountSid: got "SK1"/);
    expect(() => parseConfig({ twilio: { ...TWILIO, humanNumber: '555' } })).toThrow(/twilio\.humanNumber: got "555"/);
  });
});
