/**
 * The faults the local system can inject into lexdr's own parts, by target — the one list the local servers, the
 * control API, the CLI and the dashboard use. (A Lex region's faults are `FaultMode` in `local/lex/types.ts`.)
 */

export const LAMBDA_FAULT_MODES = ['none', 'throttled', 'error', 'timeout', 'slow'] as const;
export type LambdaFaultMode = (typeof LAMBDA_FAULT_MODES)[number];

export const LAMBDA_FAULT_HELP: Record<LambdaFaultMode, string> = {
  none: 'invoke normally (clears the fault)',
  throttled: 'Lambda.TooManyRequestsException on every invoke (the account concurrency is used up)',
  error: 'Lambda.ServiceException on every invoke',
  timeout: 'Sandbox.Timedout after the function timeout',
  slow: 'every invoke starts delayMs late (default 4000); past the function timeout: Sandbox.Timedout (FIS add-delay)',
};

export const DYNAMO_FAULT_MODES = ['none', 'throttled', 'throughput', 'hang', 'down', 'lost'] as const;
export type DynamoFaultMode = (typeof DYNAMO_FAULT_MODES)[number];

export const DYNAMO_FAULT_HELP: Record<DynamoFaultMode, string> = {
  none: 'answer normally (clears the fault)',
  throttled: '400 ThrottlingException',
  throughput: '400 ProvisionedThroughputExceededException',
  hang: 'never answer until cleared (reads and writes time out)',
  down: '500 InternalServerError',
  lost: 'apply the request, then lose its response (the connection resets)',
};

/** lexdr's functions that a fault can target. */
export const FUNCTION_TARGETS = [
  'probe-function',
  'health-check-function',
  'report-function',
  'lookup-function',
] as const;
export type FunctionTarget = (typeof FUNCTION_TARGETS)[number];

/** Targets of the control API's `PUT /faults/{target}`: lexdr's own parts. */
export const CONTROL_PLANE_TARGETS = [...FUNCTION_TARGETS, 'dynamodb'] as const;
export type ControlPlaneTarget = (typeof CONTROL_PLANE_TARGETS)[number];

/** The modes and their help for a control-plane target. */
export function modesOf(target: ControlPlaneTarget): Record<string, string> {
  return target === 'dynamodb' ? DYNAMO_FAULT_HELP : LAMBDA_FAULT_HELP;
}
