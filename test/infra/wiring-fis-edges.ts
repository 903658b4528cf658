/**
 * The wiring audit's edges of AWS FIS experiment templates (wiring-audit.ts): an experiment → each Lambda function it
 * targets (FIS's role may inspect the function and write its fault configuration where the function reads it; the
 * function carries the FIS extension and its role may read that folder, which the bucket's policy does not deny), and
 * an experiment → each CloudWatch alarm of its stop conditions (an alarm of the app, in the experiment's account and
 * region; FIS watches it with its service-linked role, which needs nothing from the templates).
 */
import type { ResourceRef } from './cfn-template';
import { isObject, partitionOf, where } from './cfn-template';
import type { RequestContext } from './iam-eval';
import type { AuditContext } from './wiring-context';
import type { Side } from './wiring-edge';
import { broken, list, ok } from './wiring-edge';

const EXEC_WRAPPER = '/opt/aws-fis/bootstrap';

export function fisExperiments(audit: AuditContext): void {
  const { model } = audit;
  for (const template of model.resources('AWS::FIS::ExperimentTemplate')) {
    const { stack } = template;
    const p = template.res.Properties ?? {};
    const experimentArn = `arn:${partitionOf(stack.region)}:fis:${stack.region}:${stack.account}:experiment/EXPwiringaudit`;
    for (const sc of list(p.StopConditions) as { Source?: unknown; Value?: unknown }[]) {
      if (model.str(stack, sc.Source) !== 'aws:cloudwatch:alarm') continue;
      const arn = model.str(stack, sc.Value);
      const alarm =
        model.findByAtt('AWS::CloudWatch::Alarm', 'Arn', arn) ??
        model.findByAtt('AWS::CloudWatch::CompositeAlarm', 'Arn', arn);
      audit.add({
        kind: 'fis→cloudwatch',
        from: where(template),
        to: alarm ? where(alarm) : arn,
        actions: ['cloudwatch:DescribeAlarms'],
        caller: ok('FIS reads stop-condition alarms with its service-linked role (AmazonFISServiceRolePolicy)'),
        callee: !alarm
          ? broken(`stop condition ${arn} is not an alarm of the app`)
          : alarm.stack.region !== stack.region || alarm.stack.account !== stack.account
            ? broken(`stop condition ${where(alarm)} is in ${alarm.stack.region}, the experiment in ${stack.region}`)
            : ok(`alarm ${where(alarm)} in the experiment's region`),
        accepted: [],
      });
    }
    const roleArn = model.str(stack, p.RoleArn);
    const trust: RequestContext = { 'aws:SourceAccount': stack.account, 'aws:SourceArn': experimentArn };
    const targets = isObject(p.Targets) ? Object.values(p.Targets) : [];
    for (const t of targets as { ResourceType?: unknown; ResourceArns?: unknown }[]) {
      const type = model.str(stack, t.ResourceType);
      if (type !== 'aws:lambda:function') {
        audit.unhandled.push(`${where(template)}: target of type ${type} (only aws:lambda:function is audited)`);
        continue;
      }
      for (const value of list(t.ResourceArns)) {
        const arn = model.str(stack, value);
        const fn = model.findByAtt('AWS::Lambda::Function', 'Arn', arn);
        if (!fn) {
          audit.unhandled.push(`${where(template)}: target ${arn} is not a function of the app`);
          continue;
        }
        const config = configLocation(audit, fn);
        const object = `${config.location}lexdr-wiring-audit.json`;
        const caller = audit.caller.roleAllows(roleArn, 'fis.amazonaws.com', trust, [
          { action: 'lambda:GetFunction', resource: arn, context: {} },
          ...['s3:PutObject', 's3:DeleteObject'].map((action) => ({
            action,
            resource: object,
            context: { 'aws:SecureTransport': 'true' },
          })),
        ]);
        const callee = functionSide(audit, fn, config);
        audit.add({
          kind: 'fis→lambda',
          from: where(template),
          to: where(fn),
          actions: ['lambda:GetFunction', 's3:PutObject', 's3:DeleteObject'],
          caller: caller.side,
          callee: callee.side,
          accepted: [...caller.accepted, ...callee.accepted],
        });
      }
    }
  }
}

interface ConfigLocation {
  /** `AWS_FIS_CONFIGURATION_LOCATION`: the S3 ARN of the folder, ending in `/` ('' when unset). */
  readonly location: string;
  /** The problems of the function's extension setup. */
  readonly problems: string[];
  readonly variables: Record<string, string>;
}

/** The function's FIS extension setup: the wrapper, the configuration location, a layer. */
function configLocation(audit: AuditContext, fn: ResourceRef): ConfigLocation {
  const { model } = audit;
  const p = fn.res.Properties ?? {};
  const env = model.val(fn.stack, (p.Environment as { Variables?: unknown } | undefined)?.Variables);
  const variables = isObject(env) ? (env as Record<string, string>) : {};
  const problems: string[] = [];
  if (variables.AWS_LAMBDA_EXEC_WRAPPER !== EXEC_WRAPPER)
    problems.push(
      `AWS_LAMBDA_EXEC_WRAPPER is ${JSON.stringify(variables.AWS_LAMBDA_EXEC_WRAPPER)}, not ${EXEC_WRAPPER}`,
    );
  const location = variables.AWS_FIS_CONFIGURATION_LOCATION ?? '';
  if (!/^(arn:[^:]+:s3:::|«)[^/]+\/.*\/$/.test(location))
    problems.push(`AWS_FIS_CONFIGURATION_LOCATION ${JSON.stringify(location)} is not an S3 folder ARN ending in "/"`);
  if (list(p.Layers).length === 0) problems.push('no layer (the FIS extension is a layer)');
  return { location, problems, variables };
}

/** The function's side: set up for the extension, its role may read the folder, and the bucket does not deny it. */
function functionSide(audit: AuditContext, fn: ResourceRef, c: ConfigLocation): { side: Side; accepted: string[] } {
  const { model } = audit;
  if (c.problems.length > 0) return { side: broken(`${where(fn)}: ${c.problems.join('; ')}`), accepted: [] };
  const slash = c.location.indexOf('/');
  const bucketArn = c.location.slice(0, slash);
  const prefix = c.location.slice(slash + 1);
  const object = `${c.location}lexdr-wiring-audit.json`;
  const secure = { 'aws:SecureTransport': 'true' };
  const role = model.str(fn.stack, fn.res.Properties?.Role);
  const reads = audit.caller.roleAllows(role, 'lambda.amazonaws.com', {}, [
    { action: 's3:ListBucket', resource: bucketArn, context: { ...secure, 's3:prefix': prefix } },
    { action: 's3:GetObject', resource: object, context: secure },
  ]);
  if (!reads.side.ok) return reads;
  const bucket = model.findByAtt('AWS::S3::Bucket', 'Arn', bucketArn);
  if (!bucket)
    return {
      side: ok(`${reads.side.detail}; bucket ${bucketArn} outside the app`),
      accepted: [...reads.accepted, `bucket ${bucketArn} outside the app: its policy is not checked`],
    };
  const accepted = [...reads.accepted];
  const bucketRef = model.refOf(bucket);
  for (const policy of model.resources('AWS::S3::BucketPolicy')) {
    if (model.str(policy.stack, policy.res.Properties?.Bucket) !== bucketRef) continue;
    for (const [action, resource] of [
      ['s3:GetObject', object],
      ['s3:PutObject', object],
      ['s3:ListBucket', bucketArn],
    ] as const) {
      const r = audit.callee.noExplicitDeny(policy.stack, policy.res.Properties?.PolicyDocument, where(policy), {
        action,
        resource,
        principal: { arn: role, account: fn.stack.account },
        context: { ...secure, 's3:prefix': prefix },
      });
      accepted.push(...r.accepted);
      if (!r.side.ok) return { side: r.side, accepted };
    }
  }
  return {
    side: ok(`extension set up (${c.location}); ${reads.side.detail}; ${where(bucket)}'s policy does not deny it`),
    accepted,
  };
}
