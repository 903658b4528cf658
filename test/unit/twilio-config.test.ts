/** The bridge's configuration: what it requires, what it refuses, where the secrets come from. */
import { loadBridgeConfig, withoutSecrets } from '../../twilio/config';

const settings = {
  connectRegion: 'us-east-1',
  regions: ['us-east-1', 'us-west-2'],
  bots: [
    {
      name: 'OrderFlowers',
      localeId: 'en_US',
      regions: {
        'us-east-1': { botId: 'BOT1', botAliasId: 'AL1', botAliasArn: 'arn:aws:lex:us-east-1:1:bot-alias/BOT1/AL1' },
        'us-west-2': { botId: 'BOT2', botAliasId: 'AL2', botAliasArn: 'arn:aws:lex:us-west-2:1:bot-alias/BOT2/AL2' },
      },
    },
  ],
  failThreshold: 2,
  recoverThreshold: 3,
  cadenceSeconds: 10,
  cyclesPerExecution: 6,
  nluEveryCycles: 0,
  probe: { method: 'liveness', utterance: 'x', expectedIntent: 'X', timeoutMs: 1000, latencyBudgetMs: 500 },
  lookupCacheSeconds: 5,
};
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:twilio-AbCdEf';
const base = {
  PUBLIC_BASE_URL: 'https://voice.example.com/',
  TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
  TWILIO_AUTH_TOKEN_SECRET_ARN: SECRET_ARN,
  LEXDR_SETTINGS: JSON.stringify(settings),
  HUMAN_NUMBER: '+15555550100',
};
const asked: string[] = [];
const sources = {
  secret: async (arn: string) => {
    asked.push(arn);
    return 'token-from-secrets-manager\n';
  },
  parameter: async (name: string) => {
    asked.push(name);
    return '+15555550199';
  },
};

beforeEach(() => {
  asked.length = 0;
});

describe('loadBridgeConfig', () => {
  test('in AWS the auth token comes from Secrets Manager; defaults fill the rest', async () => {
    const c = await loadBridgeConfig(base, sources);
    expect(asked).toEqual([SECRET_ARN]);
    expect(c).toMatchObject({
      authToken: 'token-from-secrets-manager',
      publicBaseUrl: 'https://voice.example.com',
      port: 8080,
      botName: 'OrderFlowers',
      local: false,
      lexTimeoutMs: 3000,
      lexApi: 'stream',
      vad: { mode: 2, frameMs: 20, minSpeechMs: 200, endSilenceMs: 700 },
    });
    expect((await loadBridgeConfig({ ...base, LEX_API: 'utterance' }, sources)).lexApi).toBe('utterance');
  });

  test('on Fargate the token arrives as an ECS secret and Secrets Manager is not called', async () => {
    const { TWILIO_AUTH_TOKEN_SECRET_ARN: _a, ...env } = base;
    const c = await loadBridgeConfig({ ...env, TWILIO_AUTH_TOKEN_SECRET: 'from-ecs-secret' }, sources);
    expect(c.authToken).toBe('from-ecs-secret');
    expect(asked).toEqual([]);
  });

  test('the human number may come from SSM', async () => {
    const { HUMAN_NUMBER: _omit, ...env } = base;
    const c = await loadBridgeConfig({ ...env, HUMAN_NUMBER_PARAMETER: '/lexdr/human' }, sources);
    expect(c.humanNumber).toBe('+15555550199');
    expect(asked).toContain('/lexdr/human');
  });

  test('a plain-text auth token is refused outside local runs', async () => {
    await expect(loadBridgeConfig({ ...base, TWILIO_AUTH_TOKEN: 'plain' }, sources)).rejects.toThrow(
      /TWILIO_AUTH_TOKEN: .*only allowed for local runs/,
    );
    const local = await loadBridgeConfig(
      { ...base, TWILIO_AUTH_TOKEN_SECRET_ARN: undefined, TWILIO_AUTH_TOKEN: 'local-twilio-token', LEXDR_LOCAL: '1' },
      sources,
    );
    expect(local.authToken).toBe('local-twilio-token');
    expect(asked).toEqual([]);
  });

  test('bad values are named with the value received', async () => {
    await expect(loadBridgeConfig({ ...base, END_SILENCE_MS: '50' }, sources)).rejects.toThrow(
      /END_SILENCE_MS: got "50"; must be 200–5000/,
    );
    await expect(loadBridgeConfig({ ...base, TWILIO_ACCOUNT_SID: 'nope' }, sources)).rejects.toThrow(
      /TWILIO_ACCOUNT_SID: got "nope"/,
    );
    await expect(loadBridgeConfig({ ...base, HUMAN_NUMBER: '5555' }, sources)).rejects.toThrow(/E\.164/);
    await expect(loadBridgeConfig({ ...base, LEX_API: 'sometimes' }, sources)).rejects.toThrow(
      /LEX_API: got "sometimes"/,
    );
    await expect(loadBridgeConfig({ ...base, LEXDR_BOT: 'Pizza' }, sources)).rejects.toThrow(
      /LEXDR_BOT: got "Pizza"; must be one of OrderFlowers/,
    );
    const { TWILIO_AUTH_TOKEN_SECRET_ARN: _a, ...noToken } = base;
    await expect(loadBridgeConfig(noToken, sources)).rejects.toThrow(/set TWILIO_AUTH_TOKEN_SECRET \(an ECS secret\)/);
  });

  test('an error names a secret variable but never shows its value', async () => {
    const secret = 'sEcReT-4b1d2c3e';
    const err = await loadBridgeConfig(
      { ...base, TWILIO_AUTH_TOKEN: secret, TWILIO_AUTH_TOKEN_SECRET: secret },
      sources,
    ).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/TWILIO_AUTH_TOKEN: got "\(secret, not shown\)"/);
    expect((err as Error).message).not.toContain(secret);
    // The second guard, on whatever message reaches the startup log.
    expect(withoutSecrets(`failed with ${secret} twice: ${secret}`, { TWILIO_AUTH_TOKEN: secret })).toBe(
      'failed with (TWILIO_AUTH_TOKEN) twice: (TWILIO_AUTH_TOKEN)',
    );
  });
});
