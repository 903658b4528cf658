/**
 * The CLI's exit codes, which scripts rely on, and the named errors that carry them.
 * 0 ok · 1 failure (or a drill that did not fail over) · 2 usage / bad input · 3 target not found / unreachable.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
  ) {
    super(message);
  }
}

/** Bad flags, arguments or input: exit 2. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** The local system, the stack, the table or the execution cannot be found or reached: exit 3. */
export class TargetNotFoundError extends CliError {
  override name = 'TargetNotFoundError';
  constructor(message: string) {
    super(message, EXIT.notFound);
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN']);
const NOT_FOUND = new Set([
  'ResourceNotFoundException',
  'StateMachineDoesNotExist',
  'ExecutionDoesNotExist',
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
]);

/** Maps an SDK / network error to a CliError with a hint; other errors pass through unchanged. */
export function explainError(err: unknown, where: string): unknown {
  if (err instanceof CliError) return err;
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } } | undefined;
  const code = e?.code ?? e?.cause?.code ?? '';
  if (UNREACHABLE.has(code) || /ECONNREFUSED|ENOTFOUND|fetch failed/.test(e?.message ?? ''))
    return new TargetNotFoundError(`${where} is not reachable (${code || e?.message}).`);
  if (e?.name && NOT_FOUND.has(e.name)) {
    const hint = /Credential|Unrecognized|Signature|Token/.test(e.name)
      ? ' Check your AWS credentials (AWS_PROFILE, `aws sso login`).'
      : '';
    return new TargetNotFoundError(`${where}: ${e.name}: ${e.message}.${hint}`);
  }
  return err;
}
