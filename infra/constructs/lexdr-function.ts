import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../../core/aws-limits';
import { FUNCTION_BUNDLING } from '../stacks/sizing';
import type { FunctionBundling } from '../stacks/sizing';

const PROJECT_ROOT = join(__dirname, '..', '..');

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
  /** Path of the handler file (TypeScript), bundled with the local esbuild. */
  readonly entry: string;
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
   * How the handler is bundled.
   * @default FUNCTION_BUNDLING
   */
  readonly bundling?: FunctionBundling;
}

/**
 * A lexdr Lambda function: Node.js (newest runtime), arm64, JSON logs to its own log group with a retention,
 * bundled locally by esbuild with the AWS SDK left to the runtime, and its own role that may only write its logs.
 * Callers add the statements the function needs to `role`.
 */
export class LexdrFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LexdrFunctionProps) {
    super(scope, id);
    const bundling = props.bundling ?? FUNCTION_BUNDLING;
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

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      // The project's own lock file and root, so `cdk synth` works from any directory.
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
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
