/**
 * What one stack can deploy: the config's size (bots × regions, probe timeout, concurrency) against the AWS limits
 * (`core/aws-limits.ts`), through lexdr's estimates (`infra/limits.ts`) — the workflow's state, its metric datums and
 * duration, the probe function's reserved concurrency, the settings document, the stacks' resources and template.
 */
import type { z } from 'zod';
import {
  ASYNC_INVOKE_PAYLOAD_LIMIT_BYTES,
  CLOUDFORMATION_STACK_RESOURCES,
  DYNAMODB_ITEM_LIMIT_BYTES,
  EXPRESS_MAX_DURATION_SECONDS,
  INLINE_MAP_MAX_CONCURRENCY,
  LAMBDA_CONCURRENCY_QUOTA_CODE,
  LAMBDA_UNRESERVED_MINIMUM,
  PUT_METRIC_DATA_MAX_DATUMS,
  STATE_PAYLOAD_LIMIT_BYTES,
  TEMPLATE_BODY_LIMIT_BYTES,
  WORKFLOW_TIMEOUT_SECONDS,
} from '../../core/aws-limits';
import {
  OVERLAPPING_EXECUTIONS,
  SETTINGS_REQUEST_FACTOR,
  STATE_SIZE_SAFETY,
  connectStackResources,
  estimatePeakStateBytes,
  estimateSettingsBytes,
  estimateTemplateBytes,
  healthCheckStackResources,
  mapWaves,
  metricDatumsPerExecution,
  probeReservedConcurrency,
  worstExecutionSeconds,
} from '../limits';
import type { BaseConfig } from './schema';

/**
 * The deployability limits (core/aws-limits.ts, against infra/limits.ts's estimates), each reported on the key to
 * change with the value and the limit.
 */
export function checkLimits(c: BaseConfig, ctx: z.RefinementCtx): void {
  const sizing = { ...c, connectRegions: c.connectRegions ?? [c.connectRegion ?? 'us-east-1'] };
  // zod runs refinements even when a basic check failed (an empty list here): those issues are reported already.
  if (sizing.connectRegions.length === 0 || c.regions.length === 0 || c.bots.length === 0) return;
  const probes = c.bots.length * c.regions.length;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

  const state = estimatePeakStateBytes(sizing);
  const stateBudget = Math.floor(STATE_PAYLOAD_LIMIT_BYTES * STATE_SIZE_SAFETY);
  if (state > stateBudget) {
    issue(
      ['bots'],
      `${c.bots.length} bots × ${c.regions.length} regions = ${probes} probes: the workflow's state would reach about ` +
        `${kib(state)} KiB; Step Functions allows ${kib(STATE_PAYLOAD_LIMIT_BYTES)} KiB per state (States.DataLimitExceeded), ` +
        `lexdr keeps ${Math.round(STATE_SIZE_SAFETY * 100)} % of it (${kib(stateBudget)} KiB): configure fewer bots or regions`,
    );
  }
  const datums = metricDatumsPerExecution(sizing);
  if (datums > PUT_METRIC_DATA_MAX_DATUMS) {
    issue(
      ['bots'],
      `${probes} bot regions make ${datums} metric datums per execution; CloudWatch's PutMetricData takes ` +
        `${PUT_METRIC_DATA_MAX_DATUMS}: configure fewer bots or regions`,
    );
  }
  const worst = worstExecutionSeconds(c);
  const timeout = Math.min(WORKFLOW_TIMEOUT_SECONDS, EXPRESS_MAX_DURATION_SECONDS);
  if (worst > timeout) {
    issue(
      ['bots'],
      `${probes} probes run ${INLINE_MAP_MAX_CONCURRENCY} at a time (inline Map concurrency): ${mapWaves(c)} waves of up to ` +
        `probe.timeoutMs ${c.probe.timeoutMs} ms per cycle, so an execution can take ${worst} s when a region hangs; ` +
        `the state machine stops at ${timeout} s: configure fewer bots or regions, or a shorter probe.timeoutMs`,
    );
  }
  const reserved = probeReservedConcurrency(c);
  const reservable = c.lambdaConcurrencyQuota - LAMBDA_UNRESERVED_MINIMUM;
  if (c.reserveProbeConcurrency && reserved > reservable) {
    issue(
      ['lambdaConcurrencyQuota'],
      `the probe function needs a reserved concurrency of ${reserved} (${Math.min(probes, INLINE_MAP_MAX_CONCURRENCY)} ` +
        `probes in flight × ${OVERLAPPING_EXECUTIONS} overlapping executions); with a quota of ${c.lambdaConcurrencyQuota}, Lambda lets you ` +
        `reserve at most ${reservable} (it keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved): raise the account's quota ` +
        `(Service Quotas ${LAMBDA_CONCURRENCY_QUOTA_CODE}) and this key, or set reserveProbeConcurrency: false ` +
        `(\`npx lexdr preflight\` reads the account's quota)`,
    );
  }
  const settings = estimateSettingsBytes(sizing);
  const request = settings * SETTINGS_REQUEST_FACTOR;
  if (settings > DYNAMODB_ITEM_LIMIT_BYTES || request > ASYNC_INVOKE_PAYLOAD_LIMIT_BYTES) {
    issue(
      ['bots'],
      `the settings document (${kib(settings)} KiB) must fit one DynamoDB item (${kib(DYNAMODB_ITEM_LIMIT_BYTES)} KiB) ` +
        `and the deploy-time request that writes it (about ${kib(request)} KiB) Lambda's asynchronous payload ` +
        `(${kib(ASYNC_INVOKE_PAYLOAD_LIMIT_BYTES)} KiB): configure fewer bots or regions`,
    );
  }
  const connect = Boolean(c.connectInstanceArn) || c.connectInstances.length > 0;
  const stacks: [string, number][] = [
    ['the health-check stack has an alarm', healthCheckStackResources(probes)],
    ...(connect
      ? [['the Connect stack has a bot association', connectStackResources(probes)] as [string, number]]
      : []),
  ];
  for (const [what, resources] of stacks) {
    if (resources > CLOUDFORMATION_STACK_RESOURCES) {
      issue(
        ['bots'],
        `${what} per bot and region (${probes}): about ${resources} resources, CloudFormation allows ` +
          `${CLOUDFORMATION_STACK_RESOURCES} per stack: configure fewer bots or regions`,
      );
    }
  }
  const template = estimateTemplateBytes(probes);
  if (template > TEMPLATE_BODY_LIMIT_BYTES) {
    issue(
      ['bots'],
      `${probes} bot regions make the health-check stack's template about ${kib(template)} KiB (dashboard, alarms, ` +
        `settings); CloudFormation takes ${kib(TEMPLATE_BODY_LIMIT_BYTES)} KiB: configure fewer bots or regions`,
    );
  }
}

const kib = (n: number) => (n / 1024).toFixed(n < 10 * 1024 ? 1 : 0);
