import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../../core/aws-limits';
import { FUNCTION_BUNDLING, LOOKUP_BUNDLING, PROBE_BUNDLING } from '../stacks/sizing';
import type { FunctionBundling } from '../stacks/sizing';

/** The project's root in a checkout; the package's `dist/` when this file runs compiled from the npm package. */
const PROJECT_ROOT = join(__dirname, '..', '..');

/**
 * The handlers lexdr ships, by name: the entry (relative to the project root) and how it is bundled. `npm pack`
 * bundles each, through this construct's own NodejsFunction path, into `dist/assets/<name>/`
 * (infra/build/bundle-handlers.ts), so that the package needs neither esbuild nor the TypeScript sources.
 */
export const LEXDR_HANDLERS = {
  probe: { entry: 'handlers/probe.ts', bundling: PROBE_BUNDLING },
  'health-check': { entry: 'handlers/health-check.ts', bundling: FUNCTION_BUNDLING },
  lookup: { entry: 'handlers/lookup.ts', bundling: LOOKUP_BUNDLING },
  report: { entry: 'handlers/report.ts', bundling: FUNCTION_BUNDLING },
  fulfillment: { entry: 'bot/fulfillment.ts', bundling: FUNCTION_BUNDLING },
} as const satisfies Record<string, { entry: string; bundling: FunctionBundling }>;
export type LexdrHandlerName = keyof typeof LEXDR_HANDLERS;

/** Where the pre-bundled handlers are: `<root>/assets/<name>/index.js` — only the package's `dist/` has them. */
export const PREBUNDLED_ASSETS_DIR = join(PROJECT_ROOT, 'assets');

/** The folder of a handler's pre-bundled asset, if this copy of lexdr has one. */
export function prebundledAsset(name: LexdrHandlerName): string | undefined {
  const dir = join(PREBUNDLED_ASSETS_DIR, name);
  return existsSync(join(dir, 'index.js')) ? dir : undefined;
}

/** The shipped handler whose entry this is, if any. */
function shippedHandler(entry: string): LexdrHandlerName | undefined {
  const names = Object.keys(LEXDR_HANDLERS) as LexdrHandlerName[];
  return names.find((n) => resolve(PROJECT_ROOT, LEXDR_HANDLERS[n].entry) === resolve(entry));
}

/** A function whose code cannot be found: neither its handler's source nor a pre-bundled asset exists. */
export class HandlerNotFoundError extends Error {
  override name = 'HandlerNotFoundError';
}

/** A word for a POSIX shell, quoted. */
const sh = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Bundling hooks that write each package, bundled with everything it imports, to `node_modules/<name>/index.js` in
 * the function's asset (with a package.json naming its version), after the function's own bundle. Local bundling
 * only: the hooks run the project's esbuild on the project's node_modules. (CDK asks for the Docker command too,
 * with the container's directories, even when it bundles locally: that command fails, saying why.)
 */
function selfContainedHooks(modules: readonly string[], target: string, path: string): nodejs.ICommandHooks {
  const esbuild = join(dirname(require.resolve('esbuild/package.json', { paths: [PROJECT_ROOT] })), 'bin', 'esbuild');
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) => {
      if (inputDir !== PROJECT_ROOT) {
        const why =
          `${path}: bundling ${modules.join(', ')} needs local bundling (the project's esbuild); ` +
          'install the dev dependencies (npm ci) so that CDK bundles without Docker';
        return [`echo ${sh(why)} >&2`, 'exit 1'];
      }
      return modules.flatMap((name) => {
        const entry = require.resolve(name, { paths: [PROJECT_ROOT] });
        const { version } = JSON.parse(
          readFileSync(require.resolve(`${name}/package.json`, { paths: [PROJECT_ROOT] }), 'utf8'),
        ) as { version: string };
        const dir = join(outputDir, 'node_modules', name);
        const manifest = JSON.stringify({ name, version, main: 'index.js', description: `${name}, self-contained` });
        return [
          [
            sh(esbuild),
            sh(entry),
            '--bundle',
            '--platform=node',
            '--format=cjs',
            `--target=${target}`,
            '--minify',
            '--log-level=warning',
            sh(`--outfile=${join(dir, 'index.js')}`),
          ].join(' '),
          `printf '%s' ${sh(manifest)} > ${sh(join(dir, 'package.json'))}`,
        ];
      });
    },
  };
}

/** Properties of a {@link LexdrFunction}. */
export interface LexdrFunctionProps {
  /**
   * One of lexdr's handlers: its pre-bundled asset when this copy of lexdr has one (the npm package), else its
   * TypeScript entry bundled with the local esbuild. Give `handler` or `entry`.
   * @default - the handler whose entry `entry` is, if any
   */
  readonly handler?: LexdrHandlerName;
  /**
   * Path of the handler file (TypeScript), bundled with the local esbuild; a shipped handler's entry uses its
   * pre-bundled asset where there is one. Give `handler` or `entry`.
   * @default - the entry of `handler`
   */
  readonly entry?: string;
  /** What the function does (shown in the Lambda console). */
  readonly description: string;
  /** Memory in MB. */
  readonly memorySize: number;
  /** Hard timeout of one invocation. */
  readonly timeout: Duration;
  /**
   * Environment variables. Their total size is checked against Lambda's 4 KB limit at synth time; pass
   * `environmentSizeHint` when values hold unresolved tokens.
   * @default {} (plus POWERTOOLS_SERVICE_NAME)
   */
  readonly environment?: Record<string, string>;
  /**
   * The environment as it will be deployed (tokens replaced by values of their real length), for the size check.
   * @default - `environment` itself
   */
  readonly environmentSizeHint?: Record<string, string>;
  /**
   * Powertools service name (log `service` field).
   * @default 'lexdr'
   */
  readonly serviceName?: string;
  /**
   * Concurrency reserved for this function (taken from the account's pool, and its ceiling).
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How the handler is bundled. A shipped handler's pre-bundled asset is used only with its own bundling.
   * @default the shipped handler's bundling (LEXDR_HANDLERS), else FUNCTION_BUNDLING
   */
  readonly bundling?: FunctionBundling;
}

/**
 * A lexdr Lambda function: Node.js (newest runtime), arm64, JSON logs to its own log group with a retention,
 * bundled locally by esbuild with the AWS SDK left to the runtime (or, from the npm package, the same bundle made at
 * `npm pack`), and its own role that may only write its logs. Callers add the statements the function needs to `role`.
 */
export class LexdrFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LexdrFunctionProps) {
    super(scope, id);
    if ((props.handler === undefined) === (props.entry === undefined))
      throw new TypeError(`${this.node.path}: give either handler or entry`);
    const name = props.handler ?? shippedHandler(props.entry!);
    const shipped = name === undefined ? undefined : LEXDR_HANDLERS[name];
    const entry = props.entry ?? join(PROJECT_ROOT, shipped!.entry);
    const bundling = props.bundling ?? shipped?.bundling ?? FUNCTION_BUNDLING;
    // The pre-bundled asset is this handler bundled exactly so: with other bundling, bundle it here.
    const asset =
      name !== undefined && JSON.stringify(bundling) === JSON.stringify(shipped!.bundling)
        ? prebundledAsset(name)
        : undefined;
    if (!asset && !existsSync(entry))
      throw new HandlerNotFoundError(
        `${this.node.path}: the handler ${entry} does not exist` +
          (name !== undefined ? `, nor its pre-bundled asset ${join(PREBUNDLED_ASSETS_DIR, name)}` : '') +
          ': reinstall lexdr, or run from a checkout with its dev dependencies',
      );
    const environment = { POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'lexdr', ...props.environment };
    const sized: Record<string, string> = { ...environment, ...props.environmentSizeHint };
    const bytes = Object.entries(sized).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8'),
      0,
    );
    if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
      const largest = Object.entries(sized).sort((a, b) => b[1].length - a[1].length)[0];
      throw new Error(
        `${this.node.path}: environment variables would take ${bytes} bytes; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}. ` +
          `The largest is ${largest?.[0]} (${largest?.[1].length} bytes): configure fewer bots or regions.`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const common: lambda.FunctionOptions = {
      description: props.description,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
    };
    this.function = asset
      ? // NodejsFunction's own layout: the bundle is index.js, the handler its `handler` export.
        new lambda.Function(this, 'Function', {
          ...common,
          runtime: lambda.Runtime.NODEJS_24_X,
          code: lambda.Code.fromAsset(asset),
          handler: 'index.handler',
        })
      : new nodejs.NodejsFunction(this, 'Function', {
          ...common,
          runtime: lambda.Runtime.NODEJS_24_X,
          entry,
          // The project's own lock file and root, so `cdk synth` works from any directory.
          projectRoot: PROJECT_ROOT,
          depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
          handler: 'handler',
          bundling: {
            forceDockerBundling: false,
            minify: bundling.minify,
            target: bundling.target,
            externalModules: [...bundling.externalModules, ...(bundling.selfContainedModules ?? [])],
            ...(bundling.nodeModules ? { nodeModules: [...bundling.nodeModules] } : {}),
            ...(bundling.selfContainedModules?.length
              ? { commandHooks: selfContainedHooks(bundling.selfContainedModules, bundling.target, this.node.path) }
              : {}),
          },
        });
    this.function.node.addDependency(this.role);
  }
}
