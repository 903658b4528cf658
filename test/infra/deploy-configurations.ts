/**
 * The configurations whose synthesized templates cfn-lint and the wiring audit check: the default; Connect with an
 * agent queue and alarm e-mail; the Twilio bridge; two Connect regions; a Global Resiliency bot; the game days (FIS
 * experiment templates). Each synthesizes offline (no bundling, no Docker build) into a folder outside the repository.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildApp } from '../../infra/app';
import type { LexdrConfig, LexdrConfigInput } from '../../infra/config';
import { parseConfig } from '../../infra/config';

export const ACCOUNT = '111111111111';
const INSTANCE_EAST = `arn:aws:connect:us-east-1:${ACCOUNT}:instance/11111111-2222-3333-4444-555555555555`;
const INSTANCE_WEST = `arn:aws:connect:us-west-2:${ACCOUNT}:instance/22222222-3333-4444-5555-666666666666`;

/** The Twilio bridge's settings (an ACM certificate, the auth token's secret, the account and the human's number). */
export const TWILIO = {
  certificateArn: `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012`,
  domainName: 'voice.example.com',
  authTokenSecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:lexdr/twilio-AbCdEf`,
  accountSid: `AC${'0'.repeat(32)}`,
  humanNumber: '+15551234567',
} satisfies LexdrConfigInput['twilio'];

/** OrderFlowers made in us-east-1 and replicated by Lex Global Resiliency (the same IDs in every region). */
export const GLOBAL_RESILIENCY_BOTS = [
  {
    name: 'OrderFlowers',
    source: 'global-resiliency',
    ids: { 'us-east-1': { botId: 'AAAAAAAAAA', botAliasId: 'BBBBBBBBBB' } },
  },
] satisfies LexdrConfigInput['bots'];

export const CONFIGURATIONS = {
  default: {},
  connect: {
    connectInstanceArn: INSTANCE_EAST,
    agentQueueArn: `${INSTANCE_EAST}/queue/66666666-7777-8888-9999-000000000000`,
    alarmEmail: 'oncall@example.com',
  },
  twilio: { twilio: TWILIO },
  'two-connect-regions': {
    connectRegions: ['us-east-1', 'us-west-2'],
    connectInstanceArn: INSTANCE_EAST,
    agentQueueArn: `${INSTANCE_EAST}/queue/66666666-7777-8888-9999-000000000000`,
    connectInstances: [
      { instanceArn: INSTANCE_WEST, agentQueueArn: `${INSTANCE_WEST}/queue/77777777-8888-9999-0000-111111111111` },
    ],
  },
  'global-resiliency': { bots: GLOBAL_RESILIENCY_BOTS },
  'game-days': { connectRegions: ['us-east-1', 'us-west-2'], gameDays: true },
} satisfies Record<string, LexdrConfigInput>;

/** Whether a configuration deploys the game days (FIS experiment templates) in every health-check stack. */
export const hasGameDays = (name: ConfigurationName): boolean => parseConfig(CONFIGURATIONS[name]).gameDays;

export type ConfigurationName = keyof typeof CONFIGURATIONS;
export const CONFIGURATION_NAMES = Object.keys(CONFIGURATIONS) as ConfigurationName[];

export interface Synthesized {
  readonly name: ConfigurationName;
  readonly config: LexdrConfig;
  readonly assembly: CloudAssembly;
}

/**
 * Synthesizes one configuration (cdk-nag off: test/infra/cdk-nag.test.ts runs it; CDK's built-in template validation
 * off: cfn-lint.test.ts lints the templates) into `outdir`, by default a new folder under the system's temporary
 * directory.
 */
export function synthesize(
  name: ConfigurationName,
  outdir = mkdtempSync(join(tmpdir(), `lexdr-${name}-`)),
): Synthesized {
  const config = parseConfig(CONFIGURATIONS[name]);
  const app = new App({
    outdir,
    // CDK's own template validation (a WebAssembly engine: ~10 s of CPU to start in each process) is left to cfn-lint.
    builtinCloudFormationValidation: false,
    context: {
      'aws:cdk:bundling-stacks': [],
      // What `cdk synth` looks up for the Twilio bridge's VPC in the account (else CDK writes `dummy1a`…).
      ...Object.fromEntries(
        config.connectRegions.map((r) => [
          `availability-zones:account=${ACCOUNT}:region=${r}`,
          [`${r}a`, `${r}b`, `${r}c`],
        ]),
      ),
    },
  });
  buildApp(config, { app, account: ACCOUNT, nag: false });
  return { name, config, assembly: app.synth() };
}
