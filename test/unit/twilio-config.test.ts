/**
 * The bridge's configuration: what it requires, what it refuses, where the secrets come from. Its settings are not
 * configuration: the bridge reads them from the DR table (twilio-settings.test.ts).
 */
import { FUNCTION_ENV } from '../../core/contract';
import { loadBridgeConfig, withoutSecrets } from '../../twilio/config';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:twilio-AbCdEf';
const base = {
  PUBLIC_BASE_URL: 'https://voice.example.com/',
  TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
  TWILIO_AUTH_TOKEN_SECRET_ARN: SECRET_ARN,
  [FUNCTION_ENV.table]: 'lexDR',
  [FUNCTION_ENV.connectRegion]: 'us-east-1',
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
      tableName: 'lexDR',
      connectRegion: 'us-east-1',
      local: false,
      lexTimeoutMs: 3000,
      lexApi: 'stream',
      vad: { mode: 2, frameMs: 20, minSpeechMs: 200, endSilenceMs: 700 },
    });
    expect((await loadBridgeConfig({ ...base, LEX_API: 'utterance' }, sources)).lexApi).toBe('utterance');
    // The bot: the first of the settings unless LEXDR_BOT names one (checked against the settings at start).
    expect(c.botName).toBeUndefined();
    expect((await loadBridgeConfig({ ...base, LEXDR_BOT: 'Pizza' }, sources)).botName).toBe('Pizza');
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
    await expect(loadBridgeConfig({ ...base, LEXDR_CONNECT_REGION: 'east' }, sources)).rejects.toThrow(
      /LEXDR_CONNECT_REGION: got "east"; must be an AWS region/,
    );
    const { TABLE_NAME: _t, ...noTable } = base;
    await expect(loadBridgeConfig(noTable, sources)).rejects.toThrow(/TABLE_NAME: got nothing/);
    const { TWILIO_AUTH_TOKEN_SECRET_ARN: _a, ...noToken } = base;
    await expect(loadBridgeConfig(noToken, sources)).rejects.toThrow(/set TWILIO_AUTH_TOKEN_SECRET \(an ECS secret\)/);
  });

  test('one start-up error names every problem: a missing variable does not hide a refused one', async () => {
    const { TABLE_NAME: _t, HUMAN_NUMBER: _h, ...env } = base;
    const err = await loadBridgeConfig({ ...env, TWILIO_AUTH_TOKEN: 'plain' }, sources).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/TABLE_NAME: got nothing/);
    expect((err as Error).message).toMatch(/TWILIO_AUTH_TOKEN: .*only allowed for local runs/);
    expect((err as Error).message).toMatch(/set HUMAN_NUMBER or HUMAN_NUMBER_PARAMETER/);
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
