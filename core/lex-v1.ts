/**
 * The Lex V1 runtime SDK (`@aws-sdk/client-lex-runtime-service`), required at its first use: only the legacy
 * `v1-putsession` / `v1-posttext` probes need it, so a probe on Lex V2 never loads it. Lex V1 ended support in
 * September 2025 and the Lambda runtime promises no particular SDK client, so the probe's asset carries its own
 * self-contained copy of this package beside the bundle (`PROBE_BUNDLING` in infra/stacks/sizing.ts), where this
 * `require` finds it; run from source (tests, the local system) it resolves to the project's node_modules.
 */
import type * as LexV1 from '@aws-sdk/client-lex-runtime-service';

/** The name the bundle leaves external and the probe's asset installs beside it. */
export const LEX_V1_PACKAGE = '@aws-sdk/client-lex-runtime-service';

export type LexV1Sdk = typeof LexV1;

let sdk: LexV1Sdk | undefined;

/** The Lex V1 runtime SDK, loaded at the first call. */
export function lexV1Sdk(): LexV1Sdk {
  // A plain `require` (not `import()`), so the bundle stays CommonJS: esbuild keeps an external `import()` as an ES
  // module import, which Node resolves without NODE_PATH and through its ES module loader.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sdk ??= require('@aws-sdk/client-lex-runtime-service') as LexV1Sdk;
  return sdk;
}
