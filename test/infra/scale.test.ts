import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../../infra/app';
import { parseConfig, probeConcurrency } from '../../infra/config';
import type { LexdrConfigInput } from '../../infra/config';
import {
  ASYNC_INVOKE_PAYLOAD_LIMIT_BYTES,
  INLINE_MAP_MAX_CONCURRENCY,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  LEX_V2_REGIONS,
  WORKFLOW_TIMEOUT_SECONDS,
} from '../../core/aws-limits';
import {
  SETTINGS_REQUEST_FACTOR,
  estimateSettingsBytes,
  estimateTemplateBytes,
  healthCheckStackResources,
} from '../../infra/limits';
import { flat, logicalId, resources, statement } from './template-helpers';

const offline = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const ACCOUNT = '111111111111';
const regions10 = LEX_V2_REGIONS.slice(0, 10);

/** `n` existing bots with their own IDs in each region. */
function bots(n: number, regions: readonly string[]): NonNullable<LexdrConfigInput['bots']> {
  return Array.from({ length: n }, (_, i) => ({
    name: `Bot${String(i).padStart(3, '0')}`,
    source: 'existing' as const,
    ids: Object.fromEntries(
      regions.map((r, ri) => [r, { botId: `B${String(i).padStart(3, '0')}R${ri}XXXX`, botAliasId: 'ALIASXXXXX' }]),
    ),
  }));
}

const envBytes = (vars: Record<string, unknown>) =>
  Object.entries(vars).reduce((n, [k, v]) => n + k.length + flat(v).length, 0);

describe('50 bots × 3 regions', () => {
  const regions = ['us-east-1', 'us-west-2', 'eu-west-2'];
  const config = parseConfig({ regions, bots: bots(50, regions) });
  const app = offline();
  const { healthCheck } = buildApp(config, { app, account: ACCOUNT });
  const template = Template.fromStack(healthCheck);
  const fns = template.findResources('AWS::Lambda::Function');

  test('synthesizes, and every function environment stays far under 4 KB', () => {
    expect(() => app.synth()).not.toThrow();
    for (const fn of Object.values(fns)) {
      expect(envBytes(fn.Properties.Environment?.Variables ?? {})).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT_BYTES / 8);
    }
  });

  test('the settings item carries all 150 bot regions', () => {
    const writer = Object.values(template.findResources('Custom::LexdrSettings'))[0]!;
    const call = flat(writer.Properties.Create);
    for (const b of ['Bot000', 'Bot049']) expect(call).toContain(`\\"name\\":\\"${b}\\"`);
    expect(call.match(/bot-alias\//g)).toHaveLength(150);
    // An update request carries the new and the old properties: within the estimate the config reader checks.
    const request = 2 * JSON.stringify(writer.Properties).length;
    expect(request).toBeLessThanOrEqual(estimateSettingsBytes(config) * SETTINGS_REQUEST_FACTOR);
    expect(request).toBeLessThan(ASYNC_INVOKE_PAYLOAD_LIMIT_BYTES);
  });

  test('the probe has reserved concurrency 40 in flight × 3 executions', () => {
    expect(probeConcurrency(config)).toBe(120);
    const probe = Object.entries(fns).find(([id]) => id.startsWith('ProbeFunction'))![1];
    expect(probe.Properties.ReservedConcurrentExecutions).toBe(120);
  });

  test('150 alias ARNs would pass the role policy limit: the probe may use bot aliases of the 3 regions only', () => {
    const s = statement(template, 'ProbeRole', 'ProbeLexV2Aliases');
    expect([...resources(s)].sort()).toEqual(regions.map((r) => `arn:aws:lex:${r}:${ACCOUNT}:bot-alias/*`).sort());
  });

  test('the template-size and resource-count estimates the config reader checks match the synthesized stack', () => {
    const body = JSON.stringify(app.synth().getStackByName(healthCheck.stackName).template);
    const estimate = estimateTemplateBytes(150);
    expect(body.length).toBeLessThanOrEqual(estimate);
    expect(body.length).toBeGreaterThan(0.8 * estimate);
    const count = Object.keys(template.toJSON().Resources).length;
    expect(count).toBeLessThanOrEqual(healthCheckStackResources(150));
    expect(count).toBeGreaterThan(150);
  });

  test('has no unacknowledged AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks().validateScope(healthCheck);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });
});

describe('two Connect regions (a Connect Global Resiliency pair)', () => {
  const regions = ['us-east-1', 'us-west-2'];
  const config = parseConfig({ connectRegions: ['us-east-1', 'us-west-2'], regions, bots: bots(3, regions) });
  const app = offline();
  const built = buildApp(config, { app, account: ACCOUNT });

  test('one health-check stack per Connect region, each in its region', () => {
    expect([...built.healthChecks.keys()]).toEqual(['us-east-1', 'us-west-2']);
    expect([...built.healthChecks.values()].map((s) => [s.stackName, s.region])).toEqual([
      ['Lexdr-HealthCheck-us-east-1', 'us-east-1'],
      ['Lexdr-HealthCheck-us-west-2', 'us-west-2'],
    ]);
    expect(built.healthCheck).toBe(built.healthChecks.get('us-east-1'));
    expect(() => app.synth()).not.toThrow();
  });

  test.each(['us-east-1', 'us-west-2'])('%s: own lexDR seed, settings item, lookup, alarms and dashboard', (cr) => {
    const t = Template.fromStack(built.healthChecks.get(cr)!);
    const tableId = logicalId(t, 'AWS::DynamoDB::Table', 'TablesTable');
    const seed = flat(Object.values(t.findResources('Custom::LexdrSeed'))[0]!.Properties.Create);
    expect(seed).toContain(`"Item":{"connectRegion":{"S":"${cr}"},"lexRegion":{"S":"us-east-1"}}`);
    const settings = flat(Object.values(t.findResources('Custom::LexdrSettings'))[0]!.Properties.Create);
    expect(settings).toContain(`"connectRegion":{"S":"${cr}#settings"}`);
    expect(settings).toContain(`\\"connectRegion\\":\\"${cr}\\"`);

    // Each lookup reads only its own region's items, from its own region's table.
    const read = statement(t, 'LookupRole', 'ReadDrItem');
    expect(resources(read)).toEqual([`<${tableId}.Arn>`]);
    expect(read.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [cr, `${cr}#settings`] },
    });
    const lookup = Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('LookupFunction'),
    )![1];
    expect(lookup.Properties.Environment.Variables.LEXDR_CONNECT_REGION).toBe(cr);

    // Probes run from this region: the probe and the workflow are in this stack.
    expect(Object.keys(t.findResources('AWS::StepFunctions::StateMachine'))).toHaveLength(1);
    const alarms = JSON.stringify(t.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toContain(`"Name":"ConnectRegion","Value":"${cr}"`);
    const other = cr === 'us-east-1' ? 'us-west-2' : 'us-east-1';
    expect(alarms).not.toContain(`"Name":"ConnectRegion","Value":"${other}"`);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: `lexdr-${cr}` });
    // The CLI finds the region a stack serves in its outputs.
    expect(t.toJSON().Outputs.ConnectRegion.Value).toBe(cr);
  });
});

describe('two Connect regions, each with its Connect instance', () => {
  const regions = ['us-east-1', 'us-west-2'];
  const instance = (r: string, n: string) =>
    `arn:aws:connect:${r}:${ACCOUNT}:instance/${n.repeat(8)}-2222-3333-4444-555555555555`;
  const queue = (i: string) => `${i}/queue/66666666-7777-8888-9999-000000000000`;
  const east = instance('us-east-1', '1');
  const west = instance('us-west-2', '9');
  const config = parseConfig({
    connectRegions: regions,
    regions,
    bots: bots(2, regions),
    connectInstanceArn: east,
    agentQueueArn: queue(east),
    connectInstances: [{ instanceArn: west, agentQueueArn: queue(west) }],
  });
  const built = buildApp(config, { app: offline(), account: ACCOUNT });

  test.each([
    ['us-east-1', east],
    ['us-west-2', west],
  ])("%s: the flow in its own instance asks its own region's lookup and reports to its own region", (cr, arn) => {
    const own = (prefix: string) =>
      logicalId(Template.fromStack(built.healthChecks.get(cr)!), 'AWS::Lambda::Function', prefix);
    const lookupId = own('LookupFunction');
    const reportId = own('ReportFunction');
    const t = Template.fromStack(built.connectStacks.get(cr)!);
    const flows = Object.values(t.findResources('AWS::Connect::ContactFlow'));
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) {
      expect(f.Properties.InstanceArn).toBe(arn);
      const arns = [...flat(f.Properties.Content).matchAll(/"LambdaFunctionARN":\s*"([^"]+)"/g)].map((m) => m[1]);
      expect(arns.length).toBeGreaterThan(0);
      for (const a of arns)
        expect(a).toMatch(
          new RegExp(`^<import:Lexdr-HealthCheck-${cr}:ExportsOutputFnGetAtt(${lookupId}|${reportId})Arn`),
        );
      if (f.Properties.Name === 'lexdr')
        expect(arns.some((a) => a!.includes(`ExportsOutputFnGetAtt${reportId}Arn`))).toBe(true);
    }
    for (const a of Object.values(t.findResources('AWS::Connect::IntegrationAssociation')))
      expect(a.Properties.InstanceId).toBe(arn);
  });

  test('an instance outside the Connect regions, or two in one region, is refused', () => {
    expect(() => parseConfig({ connectInstanceArn: west })).toThrow(
      /connectInstanceArn: got .*; is in us-west-2, not one of the Connect regions \(us-east-1\)/,
    );
    expect(() =>
      parseConfig({ connectInstanceArn: east, connectInstances: [{ instanceArn: instance('us-east-1', '2') }] }),
    ).toThrow(/connectInstances\.0\.instanceArn: .*a second Connect instance in us-east-1/);
  });
});

describe('limits refused at parse time, naming the key, the value and the limit', () => {
  test.each([
    [
      'state size',
      { regions: regions10, bots: bots(100, regions10) },
      /bots: got 100 items; 100 bots × 10 regions = 1000 probes: the workflow's state would reach about \d+ KiB; Step Functions allows 256 KiB per state/,
    ],
    [
      'metric datums per PutMetricData',
      { regions: regions10, bots: bots(100, regions10) },
      /bots: got 100 items; 1000 bot regions make \d+ metric datums per execution; CloudWatch's PutMetricData takes 1000/,
    ],
    [
      'reserved concurrency',
      { lambdaConcurrencyQuota: 104 },
      /lambdaConcurrencyQuota: got 104; the probe function needs a reserved concurrency of 6 .*reserve at most 4/,
    ],
    [
      'reserved concurrency, large',
      {
        regions: ['us-east-1', 'us-west-2', 'eu-west-2'],
        bots: bots(20, ['us-east-1', 'us-west-2', 'eu-west-2']),
        lambdaConcurrencyQuota: 150,
      },
      /needs a reserved concurrency of 120 \(40 probes in flight × 3 overlapping executions\)/,
    ],
  ])('%s', (_, input, message) => {
    expect(() => parseConfig(input)).toThrow(message);
  });

  test('a new account with a quota of 10 is refused at synth, naming both ways out', () => {
    expect(() => parseConfig({ lambdaConcurrencyQuota: 10 })).toThrow(
      /lambdaConcurrencyQuota: got 10; .*reserve at most -90 .*Service Quotas L-B99A9384.*or set reserveProbeConcurrency: false/,
    );
  });

  test('…and with reserveProbeConcurrency: false synthesizes functions that reserve nothing (Lambda accepts them)', () => {
    const config = parseConfig({ lambdaConcurrencyQuota: 10, reserveProbeConcurrency: false });
    const built = buildApp(config, { app: offline(), account: ACCOUNT, nag: false });
    const fns = [built.healthCheck, ...built.botStacks.values()].flatMap((s) =>
      Object.values(Template.fromStack(s).findResources('AWS::Lambda::Function')),
    );
    expect(fns.length).toBeGreaterThanOrEqual(4);
    for (const f of fns) expect(f.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const warnings = Annotations.fromStack(built.healthCheck).findWarning(
      '*',
      Match.stringLikeRegexp('reserveProbeConcurrency'),
    );
    expect(warnings).toHaveLength(1);
  });

  test('Map waves × probe timeout over the state machine timeout is refused on bots', () => {
    const regions = ['us-east-1', 'us-west-2'];
    const input = { regions, bots: bots(100, regions), probe: { timeoutMs: 9500, latencyBudgetMs: 1500 } };
    expect(() => parseConfig(input)).toThrow(
      new RegExp(
        `200 probes run 40 at a time \\(inline Map concurrency\\): 5 waves .* the state machine stops at ${WORKFLOW_TIMEOUT_SECONDS} s`,
      ),
    );
  });

  test("the state machine timeout the limits assume is the ASL file's", () => {
    const asl = JSON.parse(readFileSync(join(__dirname, '..', '..', 'statemachine', 'health-check.asl.json'), 'utf8'));
    expect(asl.TimeoutSeconds).toBe(WORKFLOW_TIMEOUT_SECONDS);
    const map = Object.values(asl.States as Record<string, { Type: string; MaxConcurrency?: number }>).find(
      (s) => s.Type === 'Map',
    );
    expect(map?.MaxConcurrency).toBe(INLINE_MAP_MAX_CONCURRENCY);
  });

  test('50 × 3 and the default config pass', () => {
    const regions = ['us-east-1', 'us-west-2', 'eu-west-2'];
    expect(() => parseConfig({ regions, bots: bots(50, regions) })).not.toThrow();
    expect(parseConfig({}).connectRegions).toEqual(['us-east-1']);
    expect(parseConfig({ connectRegion: 'eu-west-2', regions: ['eu-west-2', 'eu-central-1'] }).connectRegions).toEqual([
      'eu-west-2',
    ]);
  });
});
