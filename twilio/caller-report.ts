/**
 * The bridge reports a caller's failed Lex turn to lexdr's report function, as the contact flow does for Connect
 * callers (core/caller-reports.ts): asynchronously (Lambda's `Event` invocation on AWS), never awaited by the call,
 * its failures logged and nothing more — a report that cannot be sent costs the caller nothing.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ReportKind } from '../core/caller-reports';

/** What the bridge sends (the report function's `twilio-bridge` event). */
export interface BridgeReport {
  source: 'twilio-bridge';
  callSid: string;
  bot: string;
  lexRegion: string;
  kind: ReportKind;
}

/** Delivers one report; resolves when it was handed over (not when it was processed). */
export type CallerReporter = (report: BridgeReport) => Promise<void>;

/** Reports through Lambda's asynchronous invocation of the report function (`functionArn`), bounded. */
export function lambdaReporter(functionArn: string, client?: LambdaClient): CallerReporter {
  const lambda =
    client ??
    new LambdaClient({
      maxAttempts: 2,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 500,
        requestTimeout: 1000,
        throwOnRequestTimeout: true,
      }),
    });
  return async (report) => {
    await lambda.send(
      new InvokeCommand({
        FunctionName: functionArn,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(report)),
      }),
    );
  };
}

/** Sends a report without holding the call: failures go to `onError`. */
export function reportInBackground(
  reporter: CallerReporter | undefined,
  report: BridgeReport,
  onError: (err: unknown) => void,
): void {
  if (!reporter) return;
  reporter(report).catch(onError);
}
