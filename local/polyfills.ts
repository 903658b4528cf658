/**
 * lexdr on Node 20 (package.json `engines`; the README says which versions work and why).
 *
 * Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions 3.x uses for every Task state.
 * Without it each Task fails with a TypeError that a Catch on States.TaskFailed silently swallows.
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T | PromiseLike<T>) => void; reject: (e: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/**
 * The SDK's own switch for its Node-version notice (`@aws-sdk/core` `emitWarningIfUnsupportedVersion`): without it,
 * the first client of every process prints a 9-line `NodeVersionSupportWarning` on Node < 22 — in every CLI
 * command, `npm start`, the benchmark and every test worker. Set it to `false` to see the notice.
 */
export const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
process.env[SDK_NODE_WARNING_SWITCH] ??= 'true';
