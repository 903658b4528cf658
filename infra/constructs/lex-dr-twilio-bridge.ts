import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Arn, ArnFormat, Duration, IgnoreMode, RemovalPolicy, Stage, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FUNCTION_ENV } from '../../core/contract';
import type { Settings } from '../../core/settings';
import { PUBLIC_PATHS } from '../../twilio/paths';
import type { DrTables } from './dr-tables';
import { checkable, parseProps } from './lex-dr-props';

/** The project's root in a checkout (the image's build context); the package's `dist/` in the npm package. */
const ROOT = join(__dirname, '..', '..');

/**
 * The bridge built at `npm pack` (infra/build/bundle-bridge.ts): its bundle, the VAD's .wasm and a Dockerfile that
 * copies them — the runtime stage of twilio/Dockerfile. Only the npm package has it; a checkout builds twilio/Dockerfile.
 */
export const PREBUILT_BRIDGE_DIR = join(ROOT, 'assets', 'twilio-bridge');

/**
 * The bridge's CPU. The task pins it and the image is built for it, whatever the CPU of the machine that runs
 * `cdk deploy` (left to Docker, an Apple-silicon laptop builds an arm64 image that an X86_64 task cannot start).
 */
const BRIDGE_CPU = ecs.CpuArchitecture.X86_64;
/** The Docker platform of {@link BRIDGE_CPU}: derived from it, so the two cannot disagree. */
const IMAGE_PLATFORM = BRIDGE_CPU === ecs.CpuArchitecture.ARM64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64;

/**
 * Extra exclusions for the image's context (the repository root, narrowed by the root `.dockerignore` allow-list):
 * this synth's output folder when it lies inside the context. CDK copies the context into the cloud assembly; a
 * copy that contains its own destination never ends (ENAMETOOLONG). CDK's own exclusion of the output folder uses
 * its absolute path, which a context-relative pattern never matches.
 */
function outdirExclusion(outdir: string | undefined): string[] {
  if (!outdir) return [];
  const rel = relative(ROOT, resolve(outdir));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? [rel.split(sep).join('/')] : [];
}

/** The bridge's image: the package's pre-built bridge, else twilio/Dockerfile over the checkout. */
function bridgeImage(scope: Construct): ecs.ContainerImage {
  if (existsSync(join(PREBUILT_BRIDGE_DIR, 'Dockerfile')))
    return ecs.ContainerImage.fromAsset(PREBUILT_BRIDGE_DIR, { platform: IMAGE_PLATFORM });
  return ecs.ContainerImage.fromAsset(ROOT, {
    file: 'twilio/Dockerfile',
    platform: IMAGE_PLATFORM,
    // The context is what the root .dockerignore allows (what the Dockerfile copies), as `docker build` reads it.
    ignoreMode: IgnoreMode.DOCKER,
    exclude: outdirExclusion(Stage.of(scope)?.outdir),
  });
}

/** What the bridge needs of lexdr in its Connect region (a {@link LexDr} has it all). */
export interface LexDrBridgeSource {
  /** The handlers' settings: the bots, their aliases in every region, the Connect region. */
  readonly settings: Settings;
  /** The DR tables: the bridge reads its Connect region's settings item and `lexDR` item. */
  readonly tables: DrTables;
  /** The report function: the bridge reports each caller's failed Lex call to it (asynchronously). */
  readonly reportFunction: lambda.IFunction;
}

/** Properties of {@link LexDrTwilioBridge}: the `twilio` keys of lexdr's config, and the service's size. */
export interface LexDrTwilioBridgeProps {
  /** lexdr in the bridge's Connect region (a {@link LexDr}, or its settings, tables and report function). */
  readonly lexdr: LexDrBridgeSource;
  /** ACM certificate for `domainName`, in the bridge's region. */
  readonly certificateArn: string;
  /** The DNS name Twilio calls (point it at the load balancer); the signatures are checked against it. */
  readonly domainName: string;
  /**
   * Complete ARN (`…:secret:<name>-AbCdEf`) of the Secrets Manager secret whose string value is the Twilio auth
   * token; the task execution role may read exactly this ARN.
   */
  readonly authTokenSecretArn: string;
  /**
   * The customer-managed KMS key the secret is encrypted with: the execution role may decrypt with it, through
   * Secrets Manager only. Its key policy must let IAM policies grant that (the default key policy does).
   * @default the AWS managed key `aws/secretsmanager` (no KMS permission needed)
   */
  readonly authTokenKey?: kms.IKey;
  /** Twilio account SID (AC + 32 hex digits): hang-ups and transfers go through its REST API. */
  readonly accountSid: string;
  /** E.164 number calls are dialled to when no Lex region is healthy. */
  readonly humanNumber: string;
  /**
   * Which configured bot answers.
   * @default the first bot of lexdr's settings
   */
  readonly botName?: string;
  /**
   * The VPC of the service and its load balancer.
   * @default a new VPC with two AZs and one NAT gateway
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Fewest tasks (and the service's desired count).
   * @default 2
   */
  readonly minTasks?: number;
  /**
   * Most tasks.
   * @default 10
   */
  readonly maxTasks?: number;
  /**
   * Scale out when new requests (webhooks + stream upgrades) per task per minute exceed this.
   * @default 60
   */
  readonly requestsPerTaskPerMinute?: number;
  /**
   * CPU units of a task.
   * @default 512 (0.5 vCPU)
   */
  readonly cpu?: number;
  /**
   * Memory of a task, in MiB.
   * @default 1024
   */
  readonly memoryLimitMiB?: number;
  /**
   * How long a stopping task lets live calls finish (≤ 120 s, the ECS stopTimeout limit).
   * @default Duration.seconds(110)
   */
  readonly drainDeadline?: Duration;
  /**
   * The bridge's container image (linux/amd64).
   * @default - lexdr's bridge: twilio/Dockerfile in a checkout, the bridge pre-built at `npm pack` in the package
   */
  readonly image?: ecs.ContainerImage;
}

/** Validates the bridge's `twilio` keys with lexdr's config schema (its messages, under the props' names). */
function checkTwilio(props: LexDrTwilioBridgeProps, settings: Settings, path: string): void {
  parseProps(
    {
      connectRegion: settings.connectRegion,
      regions: [...settings.regions],
      bots: settings.bots.map((b) => ({ name: b.name, localeId: b.localeId, source: 'code' as const })),
      twilio: {
        certificateArn: checkable(
          props.certificateArn,
          'arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000',
        ),
        domainName: props.domainName,
        authTokenSecretArn: checkable(
          props.authTokenSecretArn,
          'arn:aws:secretsmanager:us-east-1:000000000000:secret:token-AbCdEf',
        ),
        accountSid: props.accountSid,
        humanNumber: props.humanNumber,
      },
    },
    `LexDrTwilioBridge props (${path})`,
    { twilio: '' },
    { deployLimits: false },
  );
}

/** What {@link buildTwilioBridge} made that a user's code needs. */
export interface TwilioBridgeParts {
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The webhook URL to set on the Twilio number (Voice, HTTP POST). */
  readonly webhookUrl: string;
}

/**
 * Builds the bridge's resources as children of `scope`: {@link LexDrTwilioBridge} builds them in itself, and
 * lexdr's own `TwilioBridgeStack` in itself — its resources predate the construct, and some properties derive from
 * their construct paths (security group descriptions, whose change replaces the group).
 */
export function buildTwilioBridge(scope: Construct, props: LexDrTwilioBridgeProps): TwilioBridgeParts {
  const { settings, tables, reportFunction } = props.lexdr;
  checkTwilio(props, settings, scope.node.path);
  const drain = props.drainDeadline ?? Duration.seconds(110);
  if (drain.toSeconds() > 120) throw new RangeError(`invalid drainDeadline ${drain.toSeconds()} s: must be ≤ 120 s`);
  const botName = props.botName ?? settings.bots[0]!.name;
  const bot = settings.bots.find((b) => b.name === botName);
  if (!bot)
    throw new Error(`invalid botName "${botName}": must be one of ${settings.bots.map((b) => b.name).join(', ')}`);

  const vpc =
    props.vpc ??
    new ec2.Vpc(scope, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
  const cluster = new ecs.Cluster(scope, 'Cluster', {
    vpc,
    containerInsightsV2: ecs.ContainerInsights.ENABLED,
  });

  const taskDef = new ecs.FargateTaskDefinition(scope, 'Task', {
    cpu: props.cpu ?? 512,
    memoryLimitMiB: props.memoryLimitMiB ?? 1024,
    runtimePlatform: {
      cpuArchitecture: BRIDGE_CPU,
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
    },
  });
  // ECS resolves the secret through the execution role: ecs.Secret grants it GetSecretValue on exactly this ARN.
  const authToken = secretsmanager.Secret.fromSecretCompleteArn(scope, 'AuthToken', props.authTokenSecretArn);
  if (props.authTokenKey) {
    // Written by hand: an imported secret's grantRead routes the key's grant through a ViaServicePrincipal, which
    // an IAM role's policy silently drops.
    const secretRegion = Arn.split(props.authTokenSecretArn, ArnFormat.COLON_RESOURCE_NAME).region;
    taskDef.obtainExecutionRole().addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptAuthTokenSecret',
        actions: ['kms:Decrypt'],
        resources: [props.authTokenKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${secretRegion}.amazonaws.com` } },
      }),
    );
  }
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const publicBaseUrl = `https://${props.domainName}`;
  taskDef.addContainer('Bridge', {
    image: props.image ?? bridgeImage(scope),
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'bridge', logGroup }),
    environment: {
      PORT: '8080',
      PUBLIC_BASE_URL: publicBaseUrl,
      TWILIO_ACCOUNT_SID: props.accountSid,
      // The settings item and the lexDR item of this Connect region, as the functions read them.
      [FUNCTION_ENV.table]: tables.table.tableName,
      [FUNCTION_ENV.connectRegion]: settings.connectRegion,
      LEXDR_BOT: botName,
      LEXDR_REPORT_FUNCTION: reportFunction.functionArn,
      HUMAN_NUMBER: props.humanNumber,
      DRAIN_DEADLINE_MS: String(drain.toMilliseconds() - 5000),
      // One StartConversation per call: callers hear the fulfillment progress responses.
      LEX_API: 'stream',
    },
    // The auth token: an ECS secret (the agent resolves it from Secrets Manager at task start), never a
    // plain environment value in the task definition.
    secrets: { TWILIO_AUTH_TOKEN_SECRET: ecs.Secret.fromSecretsManager(authToken) },
    portMappings: [{ containerPort: 8080 }],
    stopTimeout: drain,
    // The bridge writes nothing to disk (logs go to stdout, the bundle is read-only): no writable layer.
    readonlyRootFilesystem: true,
  });

  const lexStatement = new iam.PolicyStatement({
    sid: 'LexRuntimeOnBotAliases',
    // StartConversation carries the calls; RecognizeText the DTMF turns; PutSession the dialog's state on failover.
    actions: ['lex:StartConversation', 'lex:RecognizeUtterance', 'lex:RecognizeText', 'lex:PutSession'],
    resources: settings.regions.map((r) => bot.regions[r]!.botAliasArn),
  });
  taskDef.taskRole.addToPrincipalPolicy(lexStatement);
  // Its Connect region's lexDR item and settings item only (not another region's).
  tables.grantReadItems(taskDef.taskRole, { lexDR: true, settings: true, sid: 'ReadDrItem' });
  // Callers' failed turns, reported to the report function: that function, unqualified, only.
  taskDef.taskRole.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReportCallerFailures',
      actions: ['lambda:InvokeFunction'],
      resources: [reportFunction.functionArn],
    }),
  );

  const albSg = new ec2.SecurityGroup(scope, 'AlbSecurityGroup', { vpc, allowAllOutbound: false });
  albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Twilio webhooks and media streams (HTTPS/WSS)');
  albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'redirect to HTTPS');
  const logBucket = new s3.Bucket(scope, 'AlbLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    lifecycleRules: [{ expiration: Duration.days(90) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'Alb', {
    vpc,
    internetFacing: true,
    securityGroup: albSg,
    // Media streams are long-lived WebSockets with 20 ms frames; an idle minute means a dead stream.
    idleTimeout: Duration.seconds(120),
    dropInvalidHeaderFields: true,
  });
  loadBalancer.logAccessLogs(logBucket, 'alb');
  const https = loadBalancer.addListener('Https', {
    port: 443,
    certificates: [acm.Certificate.fromCertificateArn(scope, 'Certificate', props.certificateArn)],
    sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
    open: false,
    // Only the webhook and the media stream are public; /healthz and /metrics stay inside the VPC.
    defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'not found' }),
  });
  loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });

  const service = new ecs.FargateService(scope, 'Service', {
    cluster,
    taskDefinition: taskDef,
    desiredCount: props.minTasks ?? 2,
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    circuitBreaker: { rollback: true },
    assignPublicIp: false,
  });
  const targetGroup = https.addTargets('Bridge', {
    priority: 10,
    conditions: [elbv2.ListenerCondition.pathPatterns([...PUBLIC_PATHS])],
    port: 8080,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targets: [service],
    // The target group's health check reaches /healthz on the task directly (no listener rule needed).
    healthCheck: { path: '/healthz', healthyHttpCodes: '200', interval: Duration.seconds(15) },
    // A stopping task answers 503 on /healthz and gets no new calls; live streams get the drain deadline.
    deregistrationDelay: drain,
    stickinessCookieDuration: Duration.hours(1),
  });

  const scaling = service.autoScaleTaskCount({
    minCapacity: props.minTasks ?? 2,
    maxCapacity: props.maxTasks ?? 10,
  });
  scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60, scaleInCooldown: Duration.minutes(5) });
  scaling.scaleOnRequestCount('NewCalls', {
    requestsPerTarget: props.requestsPerTaskPerMinute ?? 60,
    targetGroup: targetGroup,
    scaleInCooldown: Duration.minutes(5),
  });

  const webhookUrl = `${publicBaseUrl}/twiml`;

  Validations.of(albSg).acknowledge({
    id: 'AwsSolutions-EC23',
    reason:
      'Twilio reaches the webhook and media streams from its cloud (no fixed source range for the whole platform); every request is authenticated by X-Twilio-Signature, and port 80 only redirects to 443.',
  });
  Validations.of(taskDef.obtainExecutionRole()).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ECS task execution role written by CDK: ecr:GetAuthorizationToken has no resource-level permissions (it must be "*"); image pull, log and secret statements are scoped to the repository, log group and secret.',
  });
  Validations.of(logBucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This bucket holds the load balancer access logs; logging access to the log bucket itself would recurse.',
  });
  Validations.of(taskDef).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'The environment holds non-secret configuration (public URL, account SID, table name, Connect region, bot name, human number); the auth token is an ECS secret from Secrets Manager.',
  });
  return { service, loadBalancer, targetGroup, webhookUrl };
}

/**
 * The Twilio Media Streams bridge, in lexdr's Connect region, on ECS Fargate behind an HTTPS Application Load
 * Balancer: WebSocket streams stay on their task (sticky target group, long idle timeout, slow deregistration), tasks
 * scale on CPU and on new requests per target, the auth token is an ECS secret from Secrets Manager, and the task role
 * may only call Lex StartConversation/RecognizeUtterance/RecognizeText/PutSession on the bot aliases, read its
 * Connect region's `lexDR` item and settings item, and invoke the report function.
 */
export class LexDrTwilioBridge extends Construct implements TwilioBridgeParts {
  public readonly service: ecs.FargateService;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The webhook URL to set on the Twilio number (Voice, HTTP POST). */
  public readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: LexDrTwilioBridgeProps) {
    super(scope, id);
    ({
      service: this.service,
      loadBalancer: this.loadBalancer,
      targetGroup: this.targetGroup,
      webhookUrl: this.webhookUrl,
    } = buildTwilioBridge(this, props));
  }
}
