/**
 * lexdr as a CDK construct library (the npm package's entry): `new LexDr(this, 'LexDr', {...})` in the stack of each
 * Amazon Connect region, `new LexDrBot(...)` in the stack of each bot region for bots defined as code,
 * `LexDrConnect` / `LexDrTwilioBridge` for the wiring kept in stacks of their own. docs/construct-library.md has the
 * props; lexdr's own app (infra/app.ts) builds its stacks from these.
 */
export { LexDr } from './constructs/lex-dr';
export type { LexDrProps } from './constructs/lex-dr';
export type {
  LexDrBotIds,
  LexDrBotOptions,
  LexDrCallerReportsOptions,
  LexDrConnectOptions,
  LexDrProbeOptions,
} from './constructs/lex-dr-props';
export { HEALTH_CHECK_ASL_FILE, LexDrFromConfig } from './constructs/lex-dr-from-config';
export type { LexDrFromConfigProps } from './constructs/lex-dr-from-config';
export { LexDrConnect } from './constructs/lex-dr-connect';
export type { LexDrConnectProps } from './constructs/lex-dr-connect';
export { DEFAULT_BOT_NAME_PREFIX, LexDrBot } from './constructs/lex-dr-bot';
export type { LexDrBotProps } from './constructs/lex-dr-bot';
export { LexDrTwilioBridge } from './constructs/lex-dr-twilio-bridge';
export type { LexDrBridgeSource, LexDrTwilioBridgeProps } from './constructs/lex-dr-twilio-bridge';

// The parts the constructs expose (their types, and their grants).
export { DrTables } from './constructs/dr-tables';
export { DrAlarms } from './constructs/dr-alarms';
export { DrDashboard } from './constructs/dr-dashboard';
export { HealthCheckWorkflow } from './constructs/health-check-workflow';
export { HandlerNotFoundError, LexdrFunction } from './constructs/lexdr-function';
export { ConnectIntegration } from './constructs/connect-integration';

// The config reader the props go through, for a config kept as JSON (cdk.json's `lexdr` context).
export { ConfigError, parseConfig } from './config';
export type { BotConfig, LexdrConfig, LexdrConfigInput, ProbeMethod } from './config';
export type { BotIdResolver } from './settings';

// Bots as code.
export { orderFlowers } from '../bot';
export type { BotDefinition } from '../bot';
