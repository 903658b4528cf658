/**
 * lexdr's own app keeps its logical IDs: its stacks are thin wrappers over the construct library, and a logical ID
 * that changed would replace its resource on the user's next deploy — the DR tables among them. The fixture holds
 * every configuration's IDs as the app had them before the library existed (test/infra/logical-ids.ts regenerates it,
 * only for a change of ID that is meant).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigurationName } from './deploy-configurations';
import type { StackIds } from './logical-ids';
import { logicalIdsOf } from './logical-ids';

const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'logical-ids.json'), 'utf8')) as Record<
  ConfigurationName,
  Record<string, StackIds>
>;

describe.each(Object.keys(fixture) as ConfigurationName[])('%s', (name) => {
  const now = logicalIdsOf(name);

  test('the same stacks', () => {
    expect(Object.keys(now)).toEqual(Object.keys(fixture[name]));
  });

  test.each(Object.keys(fixture[name]))('%s: every resource keeps its logical ID and type', (stack) => {
    const before = fixture[name][stack]!;
    const after = now[stack]!;
    // Resources may be added (new features); none may disappear or change type.
    const lost = Object.entries(before.Resources).filter(([id, type]) => after.Resources[id] !== type);
    expect(lost).toEqual([]);
    expect(after.Outputs).toEqual(expect.arrayContaining(before.Outputs));
    expect(after.Parameters).toEqual(before.Parameters);
  });

  test('the tables are where they were', () => {
    const tables = (ids: Record<string, StackIds>) =>
      Object.entries(ids).flatMap(([stack, s]) =>
        Object.entries(s.Resources)
          .filter(([, type]) => type === 'AWS::DynamoDB::Table')
          .map(([id]) => `${stack}/${id}`),
      );
    expect(tables(now)).toEqual(tables(fixture[name]));
    expect(tables(now).length).toBeGreaterThan(0);
  });
});
