/**
 * The health-check stack's functions (probe, health check, lookup): runtime, logs, environment and permissions.
 */
import { fnId, tableId, template } from './health-check-fixture';
import { actions, logicalId, resources, statement, statementsOf } from './template-helpers';

describe('functions', () => {
  test.each([
    ['Probe', 128, 8],
    ['HealthCheck', 128, 5],
    ['Lookup', 512, 3],
  ])('%s: Node.js 24, arm64, JSON logs to its own log group, %i MB, %i s', (prefix, memory, timeout) => {
    const id = fnId(`${prefix}Function`);
    const fn = template.toJSON().Resources[id].Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: memory,
      Timeout: timeout,
      LoggingConfig: {
        LogFormat: 'JSON',
        LogGroup: { Ref: logicalId(template, 'AWS::Logs::LogGroup', `${prefix}Logs`) },
      },
    });
    expect(fn.Timeout).toBeLessThanOrEqual(8);
    expect(fn.Environment.Variables.POWERTOOLS_SERVICE_NAME).toMatch(/^lexdr-/);
  });

  test('function log groups keep logs for a month', () => {
    const groups = template.toJSON().Resources;
    for (const p of ['Probe', 'HealthCheck', 'Lookup'])
      expect(groups[logicalId(template, 'AWS::Logs::LogGroup', `${p}Logs`)].Properties.RetentionInDays).toBe(30);
  });

  test('health check and lookup get where their settings are (table, Connect region), not the settings', () => {
    const env = (p: string) => template.toJSON().Resources[fnId(`${p}Function`)].Properties.Environment.Variables;
    expect(env('HealthCheck')).toEqual({
      POWERTOOLS_SERVICE_NAME: 'lexdr-health-check',
      TABLE_NAME: { Ref: tableId },
      LEXDR_CONNECT_REGION: 'us-east-1',
    });
    expect(env('Lookup')).toEqual({
      POWERTOOLS_SERVICE_NAME: 'lexdr-lookup',
      TABLE_NAME: { Ref: tableId },
      LEXDR_CONNECT_REGION: 'us-east-1',
      LEXDR_REGIONS: 'us-east-1,us-west-2',
    });
    expect(env('Probe')).toEqual({ POWERTOOLS_SERVICE_NAME: 'lexdr-probe' });
  });

  test('the functions that read the settings item are updated after it is written', () => {
    const writer = logicalId(template, 'Custom::LexdrSettings', 'TablesSettings');
    for (const p of ['HealthCheck', 'Lookup'])
      expect(template.toJSON().Resources[fnId(`${p}Function`)].DependsOn).toContain(writer);
  });

  test('the probe function has reserved concurrency for its probes in flight × 3 overlapping executions', () => {
    expect(template.toJSON().Resources[fnId('ProbeFunction')].Properties.ReservedConcurrentExecutions).toBe(2 * 3);
    for (const p of ['HealthCheck', 'Lookup'])
      expect(template.toJSON().Resources[fnId(`${p}Function`)].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('the probe may call the Lex V2 session, text and speech APIs on exactly each bot alias, and nothing else', () => {
    const s = statement(template, 'ProbeRole', 'ProbeLexV2Aliases');
    // RecognizeUtterance: callers' reports are confirmed by speech (callerReports.confirmWith, default 'speech').
    expect(actions(s)).toEqual([
      'lex:DeleteSession',
      'lex:GetSession',
      'lex:PutSession',
      'lex:RecognizeText',
      'lex:RecognizeUtterance',
    ]);
    const arns = resources(s);
    expect(arns).toHaveLength(2);
    expect(arns[0]).toMatch(
      /^arn:aws:lex:us-east-1:111111111111:bot-alias\/<import:Lexdr-Bot-OrderFlowers-us-east-1:.*>\/<import:.*>$/,
    );
    expect(arns[1]).toMatch(/^arn:aws:lex:us-west-2:111111111111:bot-alias\/<ExportsReader.*>\/<ExportsReader.*>$/);
    expect(statementsOf(template, 'ProbeRole').map((x) => x.Sid)).toEqual(['WriteOwnLogs', 'ProbeLexV2Aliases']);
  });

  test('no V1 statement without a V1 probe method', () => {
    expect(statementsOf(template, 'ProbeRole').some((x) => x.Sid === 'ProbeLexV1Aliases')).toBe(false);
  });

  test("the lookup may only GetItem its own Connect region's lexDR and settings items (plus its own logs)", () => {
    const s = statement(template, 'LookupRole', 'ReadDrItem');
    expect(actions(s)).toEqual(['dynamodb:GetItem']);
    expect(resources(s)).toEqual([`<${tableId}.Arn>`]);
    expect(s.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1', 'us-east-1#settings'] },
    });
    expect(statementsOf(template, 'LookupRole').map((x) => x.Sid)).toEqual(['WriteOwnLogs', 'ReadDrItem']);
  });

  test('the health check may only GetItem its settings item', () => {
    const s = statement(template, 'HealthCheckRole', 'ReadSettingsItem');
    expect(actions(s)).toEqual(['dynamodb:GetItem']);
    expect(resources(s)).toEqual([`<${tableId}.Arn>`]);
    expect(s.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['us-east-1#settings'] } });
  });

  test('each function writes only its own log group', () => {
    for (const p of ['Probe', 'HealthCheck', 'Lookup']) {
      const s = statement(template, `${p}Role`, 'WriteOwnLogs');
      expect(actions(s)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(resources(s)).toEqual([`<${logicalId(template, 'AWS::Logs::LogGroup', `${p}Logs`)}.Arn>`]);
    }
    expect(statementsOf(template, 'HealthCheckRole').map((x) => x.Sid)).toEqual(['WriteOwnLogs', 'ReadSettingsItem']);
  });
});
