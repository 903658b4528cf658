import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Arn, ArnFormat, CfnOutput, Duration, IgnoreMode, RemovalPolicy, Stack, Stage, Token } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
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
import { Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FUNCTION_ENV } from '../../core/contract';
import type { Settings } from '../../core/settings';
import { PUBLIC_PATHS } from '../../twilio/paths';
import type { DrTables } from '../constructs/dr-tables';

const REPO_ROOT = join(__dirname, '..', '..');

/**
 * The bridge's CPU. The task pins it and the image is built for it, whatever the CPU of the machine that runs
 * `cdk deploy` (left to Docker, an Apple-silicon laptop builds an arm64 image that an X86_64 task cannot start).
 */
const BRIDGE_CPU = ecs.CpuArchitecture.X86_64;
/** The Docker platform of {@link BRIDGE_CPU}: derived from it, so the two cannot disagree. */
const IMAGE_PLATFORM = BRIDGE_CPU === ecs.CpuArchitecture.ARM64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64;

/** A Secrets Manager secret's complete ARN: its name, "-" and the six characters Secrets Manager appends. */
const SECRET_COMPLETE_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;

/**
 * Extra exclusions for the image's context (the repository root, narrowed by the root `.dockerignore` allow-list):
 * this synth's output folder when it lies inside the context. CDK copies the context into the cloud assembly; a
 * copy that contains its own destination never ends (ENAMETOOLONG). CDK's own exclusion of the output folder uses
 * its absolute path, which a context-relative pattern never matches.
 */
function outdirExclusion(outdir: string | undefined): string[] {
  if (!outdir) return [];
  const rel = relative(REPO_ROOT, resolve(outdir));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? [rel.split(sep).join('/')] : [];
}

/** Properties of {@link TwilioBridgeStack}. */
export interface TwilioBridgeStackProps extends StackProps {
  /**
   * The handlers' settings (regions, bots and their IDs per region): the bot aliases the task may call and the bot
   * that answers. The bridge itself reads them from the settings item of the DR table, as the functions do.
   */
  readonly settings: Settings;
  /** The DR tables: the bridge reads its Connect region's settings item, and its `lexDR` item through the lookup. */
  readonly tables: DrTables;
  /** lexdr's report function: the bridge reports each caller's failed Lex call to it (asynchronously). */
  readonly reportFunction: lambda.IFunction;
  /** ACM certificate for `domainName` in this stack's region (context `twilio.certificateArn`). */
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
  /** Twilio account SID (AC…): hang-ups and transfers go through its REST API. */
  readonly twilioAccountSid: string;
  /** E.164 number calls are dialled to when no Lex region is healthy. */
  readonly humanNumber: string;
  /** Which configured bot answers. @default the first bot in `settings` */
  readonly botName?: string;
  /** @default a new VPC with two AZs and one NAT gateway */
  readonly vpc?: ec2.IVpc;
  /** @default 2 */
  readonly minTasks?: number;
  /** @default 10 */
  readonly maxTasks?: number;
  /** Scale out when new requests (webhooks + stream upgrades) per task per minute exceed this. @default 60 */
  readonly requestsPerTaskPerMinute?: number;
  /** @default 512 (0.5 vCPU) */
  readonly cpu?: number;
  /** @default 1024 */
  readonly memoryLimitMiB?: number;
  /** How long a stopping task lets live calls finish (≤ 120 s, the ECS stopTimeout limit). @default Duration.seconds(110) */
  readonly drainDeadline?: Duration;
}

/**
 * The Twilio Media Streams bridge on ECS Fargate behind an HTTPS Application Load Balancer: WebSocket
 * streams stay on their task (sticky target group, long idle timeout, slow deregistration), tasks scale on
 * CPU and on new requests per target, the auth token is an ECS secret from Secrets Manager, and the task role
 * may only call Lex StartConversation/RecognizeUtterance/RecognizeText/PutSession on the bot aliases and read its
 * Connect region's `lexDR` item and settings item.
 */
export class TwilioBridgeStack extends Stack {
  public readonly service: ecs.FargateService;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The webhook URL to set on the Twilio number (Voice, HTTP POST). */
  public readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: TwilioBridgeStackProps) {
    super(scope, id, props);
    if (!/^arn:aws[a-z-]*:acm:/.test(props.certificateArn))
      throw new Error(`invalid certificateArn "${props.certificateArn}": must be an ACM certificate ARN`);
    if (!/^AC[0-9a-fA-F]{32}$/.test(props.twilioAccountSid))
      throw new Error(`invalid twilioAccountSid "${props.twilioAccountSid}": must be AC followed by 32 hex digits`);
    if (!/^\+[1-9]\d{6,14}$/.test(props.humanNumber))
      throw new Error(`invalid humanNumber "${props.humanNumber}": must be E.164, e.g. +15555550100`);
    if (!Token.isUnresolved(props.authTokenSecretArn) && !SECRET_COMPLETE_ARN.test(props.authTokenSecretArn))
      throw new Error(
        `invalid authTokenSecretArn "${props.authTokenSecretArn}": must be the secret's complete ARN, ending in "-" and the six characters Secrets Manager adds`,
      );
    const drain = props.drainDeadline ?? Duration.seconds(110);
    if (drain.toSeconds() > 120) throw new Error(`invalid drainDeadline ${drain.toSeconds()} s: must be ≤ 120 s`);
    const botName = props.botName ?? props.settings.bots[0]!.name;
    const bot = props.settings.bots.find((b) => b.name === botName);
    if (!bot)
      throw new Error(
        `invalid botName "${botName}": must be one of ${props.settings.bots.map((b) => b.name).join(', ')}`,
      );

    const vpc =
      props.vpc ??
      new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 1,
        flowLogs: { All: { trafficType: ec2.FlowLogTrafficType.REJECT } },
      });
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    const taskDef = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 512,
      memoryLimitMiB: props.memoryLimitMiB ?? 1024,
      runtimePlatform: {
        cpuArchitecture: BRIDGE_CPU,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    // ECS resolves the secret through the execution role: ecs.Secret grants it GetSecretValue on exactly this ARN.
    const authToken = secretsmanager.Secret.fromSecretCompleteArn(this, 'AuthToken', props.authTokenSecretArn);
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
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const publicBaseUrl = `https://${props.domainName}`;
    taskDef.addContainer('Bridge', {
      image: ecs.ContainerImage.fromAsset(REPO_ROOT, {
        file: 'twilio/Dockerfile',
        platform: IMAGE_PLATFORM,
        // The context is what the root .dockerignore allows (what the Dockerfile copies), as `docker build` reads it.
        ignoreMode: IgnoreMode.DOCKER,
        exclude: outdirExclusion(Stage.of(this)?.outdir),
      }),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'bridge', logGroup }),
      environment: {
        PORT: '8080',
        PUBLIC_BASE_URL: publicBaseUrl,
        TWILIO_ACCOUNT_SID: props.twilioAccountSid,
        // The settings item and the lexDR item of this Connect region, as the functions read them.
        [FUNCTION_ENV.table]: props.tables.table.tableName,
        [FUNCTION_ENV.connectRegion]: props.settings.connectRegion,
        LEXDR_BOT: botName,
        LEXDR_REPORT_FUNCTION: props.reportFunction.functionArn,
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
      resources: props.settings.regions.map((r) => bot.regions[r]!.botAliasArn),
    });
    taskDef.taskRole.addToPrincipalPolicy(lexStatement);
    // Its Connect region's lexDR item and settings item only (not another region's).
    props.tables.grantReadItems(taskDef.taskRole, { lexDR: true, settings: true, sid: 'ReadDrItem' });
    // Callers' failed turns, reported to the report function: that function, unqualified, only.
    taskDef.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReportCallerFailures',
        actions: ['lambda:InvokeFunction'],
        resources: [props.reportFunction.functionArn],
      }),
    );

    const albSg = new ec2.SecurityGroup(this, 'AlbSecurityGroup', { vpc, allowAllOutbound: false });
    albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Twilio webhooks and media streams (HTTPS/WSS)');
    albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'redirect to HTTPS');
    const logBucket = new s3.Bucket(this, 'AlbLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      securityGroup: albSg,
      // Media streams are long-lived WebSockets with 20 ms frames; an idle minute means a dead stream.
      idleTimeout: Duration.seconds(120),
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(logBucket, 'alb');
    const https = this.loadBalancer.addListener('Https', {
      port: 443,
      certificates: [acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
      // Only the webhook and the media stream are public; /healthz and /metrics stay inside the VPC.
      defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'not found' }),
    });
    this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: taskDef,
      desiredCount: props.minTasks ?? 2,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      assignPublicIp: false,
    });
    this.targetGroup = https.addTargets('Bridge', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns([...PUBLIC_PATHS])],
      port: 8080,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      // The target group's health check reaches /healthz on the task directly (no listener rule needed).
      healthCheck: { path: '/healthz', healthyHttpCodes: '200', interval: Duration.seconds(15) },
      // A stopping task answers 503 on /healthz and gets no new calls; live streams get the drain deadline.
      deregistrationDelay: drain,
      stickinessCookieDuration: Duration.hours(1),
    });

    const scaling = this.service.autoScaleTaskCount({
      minCapacity: props.minTasks ?? 2,
      maxCapacity: props.maxTasks ?? 10,
    });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60, scaleInCooldown: Duration.minutes(5) });
    scaling.scaleOnRequestCount('NewCalls', {
      requestsPerTarget: props.requestsPerTaskPerMinute ?? 60,
      targetGroup: this.targetGroup,
      scaleInCooldown: Duration.minutes(5),
    });

    this.webhookUrl = `${publicBaseUrl}/twiml`;
    new CfnOutput(this, 'WebhookUrl', {
      value: this.webhookUrl,
      description: 'Twilio number → Voice → A call comes in (HTTP POST)',
    });
    new CfnOutput(this, 'LoadBalancerDns', {
      value: this.loadBalancer.loadBalancerDnsName,
      description: `Point ${props.domainName} here`,
    });

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
  }
}
