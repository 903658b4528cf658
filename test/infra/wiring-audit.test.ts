/**
 * The wiring audit (wiring-audit.ts) over every configuration of deploy-configurations.ts: no broken edge, nothing the
 * audit could not read, each edge kind found where the configuration has it (counted, so the audit cannot pass by
 * finding nothing). The IAM semantics the audit relies on are tested in iam-eval.test.ts; a control app with broken
 * edges of several kinds that the audit must report, in wiring-audit-control.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigurationName, Synthesized } from './deploy-configurations';
import { ACCOUNT, CONFIGURATION_NAMES, hasGameDays, synthesize } from './deploy-configurations';
import { fisGameDays } from '../../core/game-days';
import { auditAssembly } from './wiring-audit';
import type { EdgeKind, WiringReport } from './wiring-edge';
import { EDGE_KINDS, describeEdge } from './wiring-edge';

/**
 * What the audit may accept without evaluating it, each with its reason: anything else it accepts fails the test, so
 * a new unevaluated condition or outside resource is looked at once.
 */
const ACCEPTED: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  {
    pattern: /^secret arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:lexdr\/twilio-AbCdEf outside the app: /,
    reason:
      "The Twilio auth token is the user's secret (twilio.authTokenSecretArn): lexdr grants the bridge's execution " +
      'role GetSecretValue on its complete ARN; its key and resource policy are not in the templates.',
  },
];

const root = mkdtempSync(join(tmpdir(), 'lexdr-wiring-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const synthesized = new Map<ConfigurationName, { s: Synthesized; report: WiringReport }>();
beforeAll(() => {
  for (const name of CONFIGURATION_NAMES) {
    const s = synthesize(name, join(root, name));
    synthesized.set(name, { s, report: auditAssembly(s.assembly) });
  }
}, 120_000);
const get = (name: ConfigurationName) => synthesized.get(name)!;

describe.each(CONFIGURATION_NAMES)('configuration "%s"', (name) => {
  test('every edge is allowed by both sides', () => {
    expect(get(name).report.broken.map(describeEdge)).toEqual([]);
  });

  test('the audit understood everything it found', () => {
    expect(get(name).report.unhandled).toEqual([]);
  });

  test('what was accepted without evaluation is listed with its reason', () => {
    expect(get(name).report.accepted.filter((a) => !ACCEPTED.some((x) => x.pattern.test(a)))).toEqual([]);
  });

  test('each edge kind is found as often as the configuration implies (and not where it has none)', () => {
    const { s, report } = get(name);
    const { config } = s;
    const hc = config.connectRegions.length;
    const codeBots = config.bots.filter((b) => b.source === 'code').length;
    const botRegions = config.bots.length * config.regions.length;
    const configuredInstances = (config.connectInstanceArn ? 1 : 0) + config.connectInstances.length;
    // Every health check reads the IDs of the bots of the other regions (two regions at least) through SSM.
    const crossRegionBots = codeBots > 0;
    // Per health check: each FIS experiment targets one function and stops on its alarms.
    const fis = hasGameDays(name) ? fisGameDays() : [];
    const expected: Record<EdgeKind, [min: number, max: number]> = {
      'scheduler→state-machine': [hc, hc],
      'state-machine→lambda': [2 * hc, 2 * hc],
      'state-machine→dynamodb': [3 * hc, 3 * hc],
      'state-machine→cloudwatch': [hc, hc],
      // An alarm per bot and region, and lexdr's own; every one notifies the topic.
      'alarm→sns': [hc * (botRegions + 1), Infinity],
      'sns→kms': config.alarmTopicArn ? [0, 0] : [hc * (botRegions + 1), Infinity],
      'lex→lambda': [codeBots * config.regions.length, codeBots * config.regions.length],
      // Each instance invokes its region's lookup and report function.
      'connect→lambda': [2 * configuredInstances, 2 * configuredInstances],
      'ecs-task→secret': config.twilio ? [1, 1] : [0, 0],
      'custom-resource→dynamodb': [2 * hc, Infinity],
      'fis→lambda': [hc * fis.length, hc * fis.length],
      'fis→cloudwatch': [
        hc * fis.reduce((n, g) => n + g.stopOn.length, 0),
        hc * fis.reduce((n, g) => n + g.stopOn.length, 0),
      ],
      'cross-stack-reference': codeBots > 0 || configuredInstances > 0 ? [1, Infinity] : [0, 0],
      'cross-region-reference': crossRegionBots ? [1, Infinity] : [0, 0],
    };
    const outside = EDGE_KINDS.filter((k) => {
      const [min, max] = expected[k];
      return report.counts[k] < min || report.counts[k] > max;
    }).map((k) => `${k}: ${report.counts[k]} edges, expected ${expected[k].join('–')}`);
    expect(outside).toEqual([]);
  });
});

test('every edge kind of the audit is found in at least one configuration', () => {
  const total = (k: EdgeKind) => CONFIGURATION_NAMES.reduce((n, c) => n + get(c).report.counts[k], 0);
  expect(EDGE_KINDS.filter((k) => total(k) === 0)).toEqual([]);
});

test('Connect reaches the lookup and the report function of its own region, in the health-check stack, from the Connect stack', () => {
  const edges = get('two-connect-regions').report.edges.filter((e) => e.kind === 'connect→lambda');
  const instance = (r: string, id: string) => `Lexdr-Connect-${r} (arn:aws:connect:${r}:${ACCOUNT}:instance/${id})`;
  const east = instance('us-east-1', '11111111-2222-3333-4444-555555555555');
  const west = instance('us-west-2', '22222222-3333-4444-5555-666666666666');
  expect(edges.map((e) => [e.from.replace(/\/.*\(/, ' ('), e.to.replace(/Function[0-9A-F]{8}$/, '')]).sort()).toEqual([
    [east, 'Lexdr-HealthCheck-us-east-1/Lookup'],
    [east, 'Lexdr-HealthCheck-us-east-1/Report'],
    [west, 'Lexdr-HealthCheck-us-west-2/Lookup'],
    [west, 'Lexdr-HealthCheck-us-west-2/Report'],
  ]);
});
