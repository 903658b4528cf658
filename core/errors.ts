/** Named errors: the state machine's ErrorEquals and the tests match on these names. */

/** An execution input, Connect event or HTTP body that does not match its schema. */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** A handler's environment is missing or malformed: fail at load, not on the first call. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** The value at a path of keys in an input (an issue's path), or undefined where the path leaves the input. */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** Formats zod issues as `path: message` lines, naming the value received. */
export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  input: unknown,
): string {
  return issues
    .map((i) => {
      const v = valueAt(input, i.path);
      const got = v === undefined ? 'nothing' : JSON.stringify(v);
      return `${i.path.map(String).join('.') || '(input)'}: got ${got}; ${i.message}`;
    })
    .join('; ');
}
