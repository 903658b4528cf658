/**
 * The bridge's container entry point: configuration from the environment, the auth token from Secrets
 * Manager (and the human number from SSM when so configured), the settings from the settings item of the DR
 * table (a bridge that cannot read them does not start), then serve until SIGTERM, when live calls are given
 * DRAIN_DEADLINE_MS to finish.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startBridge } from './bridge';
import { loadBridgeConfig, withoutSecrets } from './config';

async function main(): Promise<void> {
  const logger = new Logger({ serviceName: 'lexdr-twilio' });
  const cfg = await loadBridgeConfig(process.env, {
    secret: async (arn) => {
      const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: arn }));
      if (!out.SecretString) throw new Error(`secret ${arn} has no string value`);
      return out.SecretString;
    },
    parameter: async (name) => {
      const out = await new SSMClient({}).send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return out.Parameter?.Value ?? '';
    },
  });
  if (cfg.local) logger.warn('LEXDR_LOCAL=1: plain-text auth token and local endpoints allowed');
  const bridge = await startBridge(cfg, { logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, activeCalls: bridge.activeCalls() });
    const r = await bridge.shutdown(cfg.drainDeadlineMs);
    logger.info('stopped', r);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: Error) => {
  process.stderr.write(
    JSON.stringify({
      level: 'ERROR',
      message: 'bridge failed to start',
      error: withoutSecrets(String(err?.message ?? err), process.env),
    }) + '\n',
  );
  process.exit(1);
});
