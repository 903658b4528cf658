/** A promise bounded in time: settles as `p` does, or rejects with `timeoutError()` after `ms` (the timer cleared). */
export function withTimeout<T>(p: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
