/**
 * LexDr's props and lexdr's config are one contract: every config key is a prop (or stands for an object the
 * construct takes instead), and every literal `@default` the props document is the schema's default. The type checks
 * below fail `npm run build` when the schema gains a key the props lack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LexDrProps } from '../../infra';
import type { LexDrCallerReportsOptions, LexDrProbeOptions } from '../../infra';
import type { LexdrConfigInput } from '../../infra/config';
import { parseConfig } from '../../infra/config';

/** Config keys LexDr takes in another form: CDK objects (`connect`, `alarmTopic`), or per construct or per app. */
type TakenOtherwise =
  | 'connectInstanceArn' // connect.instance
  | 'agentQueueArn' // connect.queue
  | 'apologyText' // connect.apologyText
  | 'connectInstances' // one LexDr (and its `connect`) per Connect region
  | 'connectRegions' // one LexDr per Connect region
  | 'alarmTopicArn' // alarmTopic
  | 'twilio' // LexDrTwilioBridge
  | 'botNamePrefix'; // LexDrBot's botName
type Missing<Config, Props> = Exclude<keyof Config, keyof Props>;
type Extra<Config, Props> = Exclude<keyof Props, keyof Config>;
type Probe = NonNullable<LexdrConfigInput['probe']>;
type Reports = NonNullable<LexdrConfigInput['callerReports']>;

// Each is `true` only when the two sides agree; otherwise its type names the keys, and the assignment fails to compile.
type Agree<Keys, Allowed = never> = [Exclude<Keys, Allowed>] extends [never] ? true : { keys: Exclude<Keys, Allowed> };
const propsCoverConfig: Agree<Missing<LexdrConfigInput, LexDrProps>, TakenOtherwise> = true;
const propsAreConfig: Agree<
  Extra<LexdrConfigInput, LexDrProps>,
  'connect' | 'alarmTopic' | 'tableEncryptionKey'
> = true;
const probeCovered: Agree<Missing<Probe, LexDrProbeOptions> | Extra<Probe, LexDrProbeOptions>> = true;
const reportsCovered: Agree<Missing<Reports, LexDrCallerReportsOptions> | Extra<Reports, LexDrCallerReportsOptions>> =
  true;

test('the props cover the config’s keys (checked by the type checker)', () => {
  expect([propsCoverConfig, propsAreConfig, probeCovered, reportsCovered]).toEqual([true, true, true, true]);
});

/** `prop → literal @default` of an interface's optional props in a source file. */
function documentedDefaults(file: string, iface: string): Record<string, unknown> {
  const source = readFileSync(join(__dirname, '..', '..', 'infra', 'constructs', file), 'utf8');
  const start = source.indexOf(`export interface ${iface} {`);
  if (start < 0) throw new Error(`${iface} not in ${file}`);
  const body = source.slice(start, source.indexOf('\n}', start));
  const found: Record<string, unknown> = {};
  for (const m of body.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*readonly (\w+)\?:/g)) {
    const literal = /@default ('[^']*'|\d+|true|false)\s*$/m.exec(m[1]!)?.[1];
    if (literal !== undefined) found[m[2]!] = JSON.parse(literal.replace(/^'(.*)'$/, '"$1"'));
  }
  return found;
}

test.each([
  ['lex-dr.ts', 'LexDrProps', (c: Record<string, unknown>) => c],
  ['lex-dr-props.ts', 'LexDrProbeOptions', (c: Record<string, unknown>) => c.probe as Record<string, unknown>],
  [
    'lex-dr-props.ts',
    'LexDrCallerReportsOptions',
    (c: Record<string, unknown>) => c.callerReports as Record<string, unknown>,
  ],
])('%s %s: every literal @default is the schema’s default', (file, iface, part) => {
  const documented = documentedDefaults(file, iface);
  expect(Object.keys(documented).length).toBeGreaterThan(3);
  const defaults = part(parseConfig({}) as unknown as Record<string, unknown>);
  for (const [key, value] of Object.entries(documented)) expect([key, defaults[key]]).toEqual([key, value]);
});
