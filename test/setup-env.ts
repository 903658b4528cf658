// aws-local-stepfunctions 3.x calls Promise.withResolvers (Node 22+). On Node 20 every Task state
// would fail and a Catch on States.TaskFailed would hide it, so polyfill it for every test file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import '../local/polyfills';
// Tests never reach AWS: fixed, obviously fake credentials for the SDK clients talking to local servers.
process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCAL';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local-secret';
process.env.AWS_REGION ??= 'us-east-1';
// Handlers log through Powertools; keep test output readable (set POWERTOOLS_LOG_LEVEL=DEBUG to see them).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// CDK's built-in template validation starts a WebAssembly engine (about 10 s of CPU per test process); the templates
// are checked by cfn-lint instead (test/infra/cfn-lint.test.ts). `cdk synth` keeps it.
process.env.CDK_VALIDATION ??= 'false';
// Every App built in a test synthesizes with the feature flags `cdk synth` uses (cdk.json context; an App reads
// CDK_CONTEXT_JSON at construction), so the infra tests check the templates that get deployed.
process.env.CDK_CONTEXT_JSON ??= JSON.stringify(
  Object.fromEntries(
    Object.entries(
      (JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
        .context,
    ).filter(([k]) => k.startsWith('@aws-cdk')),
  ),
);
