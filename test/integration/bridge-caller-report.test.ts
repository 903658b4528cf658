/**
 * The Twilio bridge's reporter against a local Lambda endpoint speaking the real Invoke API: the report goes out as
 * an asynchronous (`Event`) invocation of the report function — handed over at once, processed afterwards — and a
 * reporter that fails never reaches the call.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LOCAL_CREDENTIALS } from '../../local/http';
import type { LocalLambdaApi } from '../../local/aws/lambda-api';
import { startLocalLambdaApi } from '../../local/aws/lambda-api';
import type { BridgeReport } from '../../twilio/caller-report';
import { lambdaReporter, reportInBackground } from '../../twilio/caller-report';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:lexdr-report';
const REPORT: BridgeReport = {
  source: 'twilio-bridge',
  callSid: `CA${'b'.repeat(32)}`,
  bot: 'OrderFlowers',
  lexRegion: 'us-east-1',
  kind: 'error',
};

let api: LocalLambdaApi;
let client: LambdaClient;
const received: unknown[] = [];
let release: () => void = () => undefined;

beforeAll(async () => {
  api = await startLocalLambdaApi({
    host: '127.0.0.1',
    port: 0,
    regions: {
      'us-east-1': {
        functions: {
          'lexdr-report': {
            // Holds until released: the reporter must not wait for the function to run.
            handler: async (event) => {
              await new Promise<void>((r) => (release = r));
              received.push(event);
              return { outcome: 'below-threshold' };
            },
          },
        },
      },
    },
  });
  client = new LambdaClient({ endpoint: api.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  release();
  client?.destroy();
  await api?.close();
});

test('a report is an asynchronous invocation: handed over before the function has run, then delivered whole', async () => {
  await lambdaReporter(FN, client)(REPORT);
  expect(received).toEqual([]);
  release();
  await new Promise((r) => setTimeout(r, 50));
  expect(received).toEqual([REPORT]);
});

test('a reporter that fails is logged, never thrown at the call', async () => {
  const errors: unknown[] = [];
  const broken = lambdaReporter('arn:aws:lambda:us-east-1:123456789012:function:missing', client);
  expect(() => reportInBackground(broken, REPORT, (e) => errors.push(e))).not.toThrow();
  await new Promise((r) => setTimeout(r, 200));
  expect(errors).toHaveLength(1);
  expect((errors[0] as Error).name).toBe('ResourceNotFoundException');
});
