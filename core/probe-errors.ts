/** The probe's own errors: each maps to a probe reason (`classifyError` in probe-core.ts). */

/** A reply that reached Lex but was not what a healthy bot answers (reason `wrong-intent`). */
export class WrongIntentError extends Error {
  override name = 'WrongIntentError';
}

/** The probe cannot run as configured (a missing client). */
export class ProbeSetupError extends Error {
  override name = 'ProbeSetupError';
}
