/**
 * What `npx cdk deploy --all` would deploy for a config, read from a synthesis of the real app (bundling skipped, the
 * cdk.json feature flags applied, cdk-nag and CDK's template validation off: about a second): the stacks and their
 * regions, the CDK bootstrap version each region needs — the `requiresBootstrapStackVersion` aws-cdk-lib's stack
 * synthesizer writes for every stack and asset manifest, which the template's `CheckBootstrapVersion` rule enforces —
 * and the logical ID of the probe function, whose reserved concurrency a redeploy replaces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Cdk from 'aws-cdk-lib';
import type * as LexdrApp from '../../infra/app';
import type { LexdrConfig } from '../../infra/config';
import { STACK_NAMES } from '../../core/contract';

export interface BootstrapRequirement {
  /** The lowest bootstrap stack version every stack and asset of the app in the region accepts. */
  minVersion: number;
  /** The SSM parameter holding the region's bootstrap version (`/cdk-bootstrap/<qualifier>/version`). */
  parameter: string;
  /** The stacks that need it. */
  stacks: string[];
}

export interface DeployPlan {
  stacks: { name: string; region: string }[];
  /** Every region a stack deploys to, in the order the app builds them. */
  regions: string[];
  bootstrap: Map<string, BootstrapRequirement>;
  /** Logical ID of the function whose concurrency the health-check stack reserves (the probe), by Connect region. */
  probeFunctionLogicalIds: Map<string, string>;
  /** The warnings and errors the app's constructs annotated (what `cdk synth` and `cdk deploy` print). */
  messages: { level: 'warning' | 'error'; stack: string; text: string }[];
}

interface TemplateResource {
  Type?: string;
  Properties?: { ReservedConcurrentExecutions?: unknown };
}

/** Synthesizes the app for `config` into a scratch folder (removed afterwards) and reads the plan from it. */
export function planDeploy(
  config: LexdrConfig,
  o: { context?: Record<string, unknown>; account?: string } = {},
): DeployPlan {
  // Loaded here, not at the top: only preflight needs the CDK. `require`, not `import()`: the CLI runs through tsx's
  // CommonJS hook (cli/bin.cjs), and a dynamic import would go to Node's ESM loader, which cannot load TypeScript.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { App } = require('aws-cdk-lib') as typeof Cdk;
  const { buildApp } = require('../../infra/app') as typeof LexdrApp;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const outdir = mkdtempSync(join(tmpdir(), 'lexdr-preflight-'));
  try {
    const app = new App({
      outdir,
      context: o.context ?? {},
      // Over any context of the environment: no bundling, and the annotations read from the assembly below rather than
      // printed as a validation report.
      postCliContext: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:annotationsInValidationReport': false },
      builtinCloudFormationValidation: false,
    });
    const assembly = buildApp(config, { app, nag: false, ...(o.account ? { account: o.account } : {}) }).app.synth();
    const stacks: DeployPlan['stacks'] = [];
    const bootstrap = new Map<string, BootstrapRequirement>();
    const probeFunctionLogicalIds = new Map<string, string>();
    const messages: DeployPlan['messages'] = [];
    for (const s of assembly.stacks) {
      for (const m of s.messages)
        if (m.level === 'warning' || m.level === 'error')
          messages.push({
            level: m.level,
            stack: s.stackName,
            text: String(m.entry.data).replace(/\s*\[ack: [^\]]*\]$/, ''),
          });
      const region = s.environment.region;
      stacks.push({ name: s.stackName, region });
      const needs = [s, ...s.dependencies.filter((d) => d.manifest.type === 'cdk:asset-manifest')] as unknown as {
        requiresBootstrapStackVersion?: number;
        bootstrapStackVersionSsmParameter?: string;
      }[];
      for (const n of needs) {
        if (n.requiresBootstrapStackVersion === undefined) continue;
        const had = bootstrap.get(region);
        bootstrap.set(region, {
          minVersion: Math.max(had?.minVersion ?? 0, n.requiresBootstrapStackVersion),
          parameter: n.bootstrapStackVersionSsmParameter ?? had?.parameter ?? '/cdk-bootstrap/hnb659fds/version',
          stacks: [...new Set([...(had?.stacks ?? []), s.stackName])],
        });
      }
      const connectRegion = config.connectRegions.find((r) => STACK_NAMES.healthCheck(r) === s.stackName);
      if (connectRegion) {
        const resources = (s.template as { Resources?: Record<string, TemplateResource> }).Resources ?? {};
        const probe = Object.entries(resources).find(
          ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.ReservedConcurrentExecutions !== undefined,
        );
        if (probe) probeFunctionLogicalIds.set(connectRegion, probe[0]);
      }
    }
    return {
      stacks,
      regions: [...new Set(stacks.map((s) => s.region))],
      bootstrap,
      probeFunctionLogicalIds,
      messages,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
