/**
 * The wiring audit: every service-to-service edge of a synthesized app, found by walking its templates (never from a
 * list kept by hand), and for each edge whether both sides allow it — the caller's role (its trust policy and the
 * IAM policies attached to it, in any stack of the app) and the callee's resource or key policy.
 *
 * Edges: an EventBridge Scheduler schedule → its state machine; a state machine → every Lambda function in its
 * definition, every DynamoDB table of a direct integration, CloudWatch `PutMetricData`; an alarm → its SNS topic →
 * the topic's KMS key; a Lex V2 alias → its code-hook Lambda; an Amazon Connect instance → the Lambda functions it
 * invokes; an ECS task → the secrets of its containers; an AwsCustomResource → the DynamoDB table of its SDK calls;
 * an FIS experiment template → the Lambda functions it targets and the alarms it stops on; and the references
 * between stacks (`Fn::ImportValue`, CDK's cross-region references through SSM).
 *
 * Where the templates cannot say (a condition on a key the audit does not model, a resource outside the app) the edge
 * is accepted and the reason listed in `accepted`; anything the audit does not understand is listed in `unhandled`.
 *
 * The audit's parts: the vocabulary (wiring-edge.ts); the caller's side (wiring-caller.ts) and the
 * callee's (wiring-callee.ts); the edges, found by kind (wiring-workflow-edges.ts, wiring-service-edges.ts,
 * wiring-secret-edges.ts, wiring-fis-edges.ts, wiring-deploy-edges.ts) into one run that reports them
 * (wiring-context.ts).
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { CfnModel } from './cfn-model';
import { AuditContext } from './wiring-context';
import { customResources, references } from './wiring-deploy-edges';
import type { WiringReport } from './wiring-edge';
import { fisExperiments } from './wiring-fis-edges';
import { ecsTasks } from './wiring-secret-edges';
import { alarms, connect, lexAliases } from './wiring-service-edges';
import { schedules, stateMachines } from './wiring-workflow-edges';

/** Audits every edge of a synthesized app. */
export function auditAssembly(assembly: CloudAssembly): WiringReport {
  return auditWiring(CfnModel.of(assembly));
}

export function auditWiring(model: CfnModel): WiringReport {
  const audit = new AuditContext(model);
  schedules(audit);
  stateMachines(audit);
  alarms(audit);
  lexAliases(audit);
  connect(audit);
  ecsTasks(audit);
  customResources(audit);
  fisExperiments(audit);
  references(audit);
  return audit.report();
}
