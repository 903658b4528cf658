/**
 * The logical IDs of lexdr's own app, per configuration (test/infra/deploy-configurations.ts) and stack: every
 * resource (with its type), output and parameter. A logical ID that changes replaces its resource on the next deploy
 * (a DynamoDB table among them), so test/infra/logical-ids.test.ts compares them with the committed fixture.
 *
 * Regenerate the fixture (only when a change of ID is intended, and say so in the release notes):
 *   npx tsx test/infra/logical-ids.ts > test/fixtures/logical-ids.json && npx prettier --write test/fixtures/logical-ids.json
 */
import '../setup-env';
import { rmSync } from 'node:fs';
import { CONFIGURATION_NAMES, synthesize } from './deploy-configurations';
import type { ConfigurationName } from './deploy-configurations';

/** One stack's IDs: `Resources` as `logicalId → type`, `Outputs` and `Parameters` as sorted lists. */
export interface StackIds {
  readonly Resources: Record<string, string>;
  readonly Outputs: string[];
  readonly Parameters: string[];
}

/** The IDs of every stack of one configuration, by stack name. */
export function logicalIdsOf(name: ConfigurationName): Record<string, StackIds> {
  const { assembly } = synthesize(name);
  try {
    const stacks = [...assembly.stacks].sort((a, b) => a.stackName.localeCompare(b.stackName));
    return Object.fromEntries(
      stacks.map((s) => {
        const t = s.template as {
          Resources?: Record<string, { Type: string }>;
          Outputs?: Record<string, unknown>;
          Parameters?: Record<string, unknown>;
        };
        const resources = Object.entries(t.Resources ?? {})
          .map(([id, r]) => [id, r.Type] as const)
          .sort(([a], [b]) => a.localeCompare(b));
        return [
          s.stackName,
          {
            Resources: Object.fromEntries(resources),
            Outputs: Object.keys(t.Outputs ?? {}).sort(),
            Parameters: Object.keys(t.Parameters ?? {}).sort(),
          },
        ];
      }),
    );
  } finally {
    rmSync(assembly.directory, { recursive: true, force: true });
  }
}

/** Every configuration's IDs. */
export function allLogicalIds(): Record<string, Record<string, StackIds>> {
  return Object.fromEntries(CONFIGURATION_NAMES.map((n) => [n, logicalIdsOf(n)]));
}

if (require.main === module) process.stdout.write(`${JSON.stringify(allLogicalIds(), null, 2)}\n`);
