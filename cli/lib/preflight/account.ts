/** Preflight: the CDK bootstrap of every region, and the Lambda concurrency the probe function reserves. */
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { probeConcurrency } from '../../../infra/config';
import type { LexdrConfig } from '../../../infra/config';
import { STACK_NAMES } from '../../../core/contract';
import { LAMBDA_CONCURRENCY_QUOTA_CODE, LAMBDA_UNRESERVED_MINIMUM } from '../../../core/aws-limits';
import type { AwsAccess } from '../aws-access';
import { doesNotExist, using } from '../aws-access';
import type { CheckResult } from '../checks';
import { errorName, errorText, fail, guarded, pass, warn } from '../checks';
import type { DeployPlan } from '../deploy-plan';

/** Every region a stack deploys to holds a bootstrap version the synthesized stacks and assets accept. */
export async function bootstrapChecks(aws: AwsAccess, plan: DeployPlan, account: string): Promise<CheckResult[]> {
  const C = 'bootstrap';
  const results = await Promise.all(
    plan.regions.map((region) =>
      guarded(C, region, 'the CDK bootstrap version', 'ssm:GetParameter on /cdk-bootstrap/*', async () => {
        const need = plan.bootstrap.get(region);
        if (!need) return [];
        const fix = `npx cdk bootstrap aws://${account}/${region}`;
        return using(new SSMClient(aws.config(region)), async (ssm) => {
          let value: string | undefined;
          try {
            value = (await ssm.send(new GetParameterCommand({ Name: need.parameter }))).Parameter?.Value;
          } catch (err) {
            if (errorName(err) === 'ParameterNotFound')
              return [fail(C, `CDK is not bootstrapped (no SSM parameter ${need.parameter})`, fix, region)];
            throw err;
          }
          const version = Number(value);
          if (!Number.isInteger(version) || version < need.minVersion)
            return [
              fail(C, `CDK bootstrap version ${value ?? '(empty)'}; this app needs ≥ ${need.minVersion}`, fix, region),
            ];
          return [pass(C, `CDK bootstrap version ${version} (this app needs ≥ ${need.minVersion})`, region)];
        });
      }),
    ),
  );
  return results.flat();
}

// ---------- Lambda concurrency ----------

/** The probe function's reservation today, when a health-check stack is already deployed (a redeploy). */
async function currentProbeReservation(
  aws: AwsAccess,
  region: string,
  logicalId: string | undefined,
): Promise<{ functionName: string; reserved: number } | undefined> {
  if (!logicalId) return undefined;
  const functionName = await using(new CloudFormationClient(aws.config(region)), async (cfn) => {
    try {
      const r = await cfn.send(
        new DescribeStackResourceCommand({ StackName: STACK_NAMES.healthCheck(region), LogicalResourceId: logicalId }),
      );
      return r.StackResourceDetail?.PhysicalResourceId;
    } catch (err) {
      if (doesNotExist(err)) return undefined;
      throw err;
    }
  });
  if (!functionName) return undefined;
  return using(new LambdaClient(aws.config(region)), async (lambda) => {
    try {
      const r = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
      return { functionName, reserved: r.ReservedConcurrentExecutions ?? 0 };
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  });
}

/** Each Connect region's Lambda quota leaves room for the probe function's reserved concurrency (and 100 unreserved). */
export async function concurrencyChecks(aws: AwsAccess, config: LexdrConfig, plan: DeployPlan): Promise<CheckResult[]> {
  const C = 'lambda-concurrency';
  const need = probeConcurrency(config);
  const results = await Promise.all(
    config.connectRegions.map((region) =>
      guarded(C, region, "the account's Lambda settings", 'lambda:GetAccountSettings', async () => {
        const settings = await using(new LambdaClient(aws.config(region)), (l) =>
          l.send(new GetAccountSettingsCommand({})),
        );
        const quota = settings.AccountLimit?.ConcurrentExecutions ?? 0;
        const unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions ?? quota;
        const out: CheckResult[] = [];
        if (need === undefined) {
          out.push(
            pass(
              C,
              `the probe function reserves nothing (reserveProbeConcurrency: false): it shares the ${unreserved} unreserved concurrent executions`,
              region,
            ),
          );
        } else {
          let current: Awaited<ReturnType<typeof currentProbeReservation>>;
          try {
            current = await currentProbeReservation(aws, region, plan.probeFunctionLogicalIds.get(region));
          } catch (err) {
            out.push(
              warn(
                C,
                `cannot tell whether the probe function exists already (${errorText(err)}); counted as a first deploy`,
                'allow cloudformation:DescribeStackResource and lambda:GetFunctionConcurrency',
                region,
              ),
            );
          }
          const reservable = unreserved + (current?.reserved ?? 0) - LAMBDA_UNRESERVED_MINIMUM;
          const counted = current ? `, ${current.reserved} of them reserved by the deployed probe function` : '';
          if (need <= reservable)
            out.push(
              pass(
                C,
                `the probe function can reserve its ${need} concurrent executions (quota ${quota}, ${unreserved} unreserved${counted}; Lambda keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved)`,
                region,
              ),
            );
          else
            out.push(
              fail(
                C,
                `the probe function would reserve ${need} concurrent executions, but this account can reserve at most ${Math.max(0, reservable)} here (quota ${quota}, ${unreserved} unreserved${counted}; Lambda keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved)`,
                `raise the Lambda quota "Concurrent executions" (Service Quotas code ${LAMBDA_CONCURRENCY_QUOTA_CODE}) to at least ${quota + need - reservable} and set lambdaConcurrencyQuota to it, or set reserveProbeConcurrency: false`,
                region,
              ),
            );
        }
        if (quota !== config.lambdaConcurrencyQuota)
          out.push(
            warn(
              C,
              `lambdaConcurrencyQuota is ${config.lambdaConcurrencyQuota} in cdk.json, but the account's quota here is ${quota}`,
              `set lambdaConcurrencyQuota: ${quota}`,
              region,
            ),
          );
        return out;
      }),
    ),
  );
  return results.flat();
}
