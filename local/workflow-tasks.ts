/**
 * The local runner's task bindings: every Task state of the ASL bound by its Resource — a Lambda invoke to the real
 * handler (in-process, with Lambda's JSON round trip and payload limits), the DynamoDB and CloudWatch integrations to
 * real SDK v3 calls against the local endpoints, errors named as Step Functions names them. A Task with no binding is
 * an error at construction.
 */
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient, PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TaskState } from './workflow-asl';
import { lambdaRequestJson, lambdaResponseJson } from './workflow-limits';

export type LambdaHandler = (event: unknown) => Promise<unknown>;

/** The Resource of a Lambda invoke task. */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** What the bindings call: the handlers and the clients of the local endpoints. */
export interface TaskTargets {
  /** Lambda ARN (as substituted) → handler. */
  lambdas: Record<string, LambdaHandler>;
  dynamodb: DynamoDBClient;
  cloudwatch: CloudWatchClient;
}

/** An SDK error renamed as Step Functions names it for an integration (e.g. DynamoDB.ConditionalCheckFailedException). */
function integrationError(service: string, err: unknown): Error {
  const e = err as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  const out = new Error(e?.message ?? String(err));
  // No answer from the service (a reset connection, a lost response, a client-side timeout): Step Functions' own
  // client reports these as SdkClientException, which the ASL's Retry lists.
  const noAnswer = e?.$metadata?.httpStatusCode === undefined && !e?.name?.endsWith('Exception');
  out.name = `${service}.${noAnswer ? 'SdkClientException' : (e?.name ?? 'Error')}`;
  return out;
}

function withoutMetadata(o: unknown): unknown {
  if (o && typeof o === 'object') {
    const { $metadata: _m, ...rest } = o as Record<string, unknown>;
    return rest;
  }
  return o;
}

/** The binding of one Task state; throws when its Resource (or its Lambda) has none. */
export function bindTask(stateName: string, s: TaskState, t: TaskTargets): (input: unknown) => Promise<unknown> {
  const r = s.Resource;
  if (r === LAMBDA_INVOKE) {
    const fn = s.Parameters?.FunctionName as string | undefined;
    const handler = fn ? t.lambdas[fn] : undefined;
    if (!handler) throw new Error(`state "${stateName}": no local Lambda for FunctionName ${fn}`);
    return async (input) => {
      const { Payload } = input as { Payload: unknown };
      // One serialisation per direction: the size check and Lambda's JSON round trip (no shared references).
      const request = lambdaRequestJson(Payload);
      let out: unknown;
      try {
        out = await handler(JSON.parse(request));
      } catch (err) {
        // Step Functions reports a function error by its errorType, which Node Lambdas set from error.name.
        const e = err as Error;
        const failure = new Error(e?.message ?? String(err));
        failure.name = e?.name && e.name !== 'Error' ? e.name : 'Error';
        throw failure;
      }
      const response = lambdaResponseJson(out);
      return { Payload: JSON.parse(response), StatusCode: 200, ExecutedVersion: '$LATEST' };
    };
  }
  const dynamo: Record<string, (p: never) => unknown> = {
    'arn:aws:states:::dynamodb:getItem': (p) => new GetItemCommand(p),
    'arn:aws:states:::dynamodb:putItem': (p) => new PutItemCommand(p),
    'arn:aws:states:::dynamodb:updateItem': (p) => new UpdateItemCommand(p),
    'arn:aws:states:::dynamodb:deleteItem': (p) => new DeleteItemCommand(p),
  };
  const make = dynamo[r];
  if (make) {
    return async (input) => {
      try {
        return withoutMetadata(await t.dynamodb.send(make(input as never) as GetItemCommand));
      } catch (err) {
        throw integrationError('DynamoDB', err);
      }
    };
  }
  if (r === 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData') {
    return async (input) => {
      try {
        return withoutMetadata(await t.cloudwatch.send(new PutMetricDataCommand(input as PutMetricDataCommandInput)));
      } catch (err) {
        throw integrationError('CloudWatch', err);
      }
    };
  }
  throw new Error(`state "${stateName}": no local binding for Resource ${r}`);
}
