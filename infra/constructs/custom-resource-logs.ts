import { CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';

/** Construct ID of the log group added next to each provider handler. */
export const PROVIDER_LOG_GROUP_ID = 'Logs';

/**
 * Gives every custom-resource Lambda CDK writes as a raw `AWS::Lambda::Function` (the core custom resource
 * providers, e.g. the cross-region export reader and writer behind `crossRegionReferences`) an explicit log
 * group with retention, and points the function's `LoggingConfig` at it — otherwise Lambda creates
 * `/aws/lambda/<name>` on first run and keeps its logs forever.
 *
 * CDK creates the cross-region providers while it resolves references, after aspects have run, so this is a
 * validation hook on the stack: the first point of synthesis after they exist. It is idempotent (synthesis can
 * run more than once on an app). Functions built with `aws-lambda` (including AwsCustomResource's singleton)
 * are left to their own `logGroup` props.
 */
export function boundProviderLogs(stack: Stack, retention = logs.RetentionDays.ONE_MONTH): void {
  stack.node.addValidation({
    validate: () => {
      for (const c of stack.node.findAll()) {
        if (!CfnResource.isCfnResource(c) || c instanceof lambda.CfnFunction) continue;
        if (c.cfnResourceType !== 'AWS::Lambda::Function') continue;
        const owner = c.node.scope;
        if (!owner || owner.node.tryFindChild(PROVIDER_LOG_GROUP_ID)) continue;
        const group = new logs.LogGroup(owner, PROVIDER_LOG_GROUP_ID, {
          retention,
          removalPolicy: RemovalPolicy.DESTROY,
        });
        c.addPropertyOverride('LoggingConfig', { LogGroup: group.logGroupName });
      }
      return [];
    },
  });
}
