/**
 * The checks of `lexdr preflight` and `lexdr verify`: one result per line — `✓` passed, `✗` failed (with its fix: a
 * config key or a command), `!` a warning, `ℹ` information — and the report both print (or give as JSON).
 */

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'info';

export interface CheckResult {
  /** What was checked (`bootstrap`, `lambda-concurrency`, `lookup`, …). */
  check: string;
  status: CheckStatus;
  /** The region the result is about, when it is about one. */
  region?: string;
  message: string;
  /** How to fix it: the config key to change or the command to run. */
  fix?: string;
}

export const SYMBOLS: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', info: 'ℹ' };

function result(status: CheckStatus, check: string, message: string, fix?: string, region?: string): CheckResult {
  return { check, status, message, ...(region ? { region } : {}), ...(fix ? { fix } : {}) };
}
export const pass = (check: string, message: string, region?: string) =>
  result('pass', check, message, undefined, region);
export const info = (check: string, message: string, region?: string, fix?: string) =>
  result('info', check, message, fix, region);
export const fail = (check: string, message: string, fix: string | undefined, region?: string) =>
  result('fail', check, message, fix, region);
export const warn = (check: string, message: string, fix: string | undefined, region?: string) =>
  result('warn', check, message, fix, region);

/** A check that cannot run: the deployed stack lacks the output it needs (a stack of an older lexdr). */
export const missingOutput = (check: string, output: string): CheckResult =>
  fail(
    check,
    `the stack has no ${output} output`,
    'redeploy the stack with this lexdr version (`npx cdk deploy --all`)',
  );

/** `✗ us-west-2: … — fix: …`. */
export function formatCheck(c: CheckResult): string {
  return `${SYMBOLS[c.status]} ${c.region ? `${c.region}: ` : ''}${c.message}${c.fix ? ` — fix: ${c.fix}` : ''}`;
}

/** The results under their section titles, in the order given. */
export function formatChecks(sections: { title: string; checks: CheckResult[] }[]): string {
  return sections
    .filter((s) => s.checks.length > 0)
    .map((s) => [s.title, ...s.checks.map((c) => `  ${formatCheck(c)}`)].join('\n'))
    .join('\n\n');
}

export const failures = (checks: readonly CheckResult[]): CheckResult[] => checks.filter((c) => c.status === 'fail');

/** An AWS SDK error in a line: `Name: message`. */
export function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string } | undefined;
  const name = e?.name && e.name !== 'Error' ? e.name : (e?.code ?? 'Error');
  const message = (e?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  return message && message !== name ? `${name}: ${message}` : name;
}

/** The caller may not do it (IAM): AccessDenied and its service-specific spellings. */
export function isAccessDenied(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name ?? '';
  return /AccessDenied|AuthorizationError|Unauthorized|Forbidden/i.test(name);
}

export const errorName = (err: unknown): string => (err as { name?: string } | undefined)?.name ?? '';

/** The fix of a call that failed: the permission to allow when it was denied, else what to check. */
export function permissionFix(err: unknown, permission: string): string {
  return isAccessDenied(err) ? `allow ${permission} for your identity` : `check ${permission} and the network path`;
}

/**
 * Runs one check; an error it does not handle itself becomes a failed result naming what could not be read and the
 * permission to check, so one unreadable service never hides the other checks.
 */
export async function guarded(
  check: string,
  region: string | undefined,
  what: string,
  permission: string,
  f: () => Promise<CheckResult[]>,
): Promise<CheckResult[]> {
  try {
    return await f();
  } catch (err) {
    return [fail(check, `cannot read ${what} (${errorText(err)})`, permissionFix(err, permission), region)];
  }
}
