/**
 * The values one simulated call reads, compares and waits for: its state (`$.External`, `$.Attributes`, `$.Lex`),
 * the flow language's references and operators as far as lexdr's flows use them, and Lambda time limits.
 */

/** The flow cannot be simulated (unknown action type, unsupported reference, a loop). */
export class FlowSimulationError extends Error {
  override name = 'FlowSimulationError';
}

export class LambdaTimeoutError extends Error {
  override name = 'LambdaTimeoutError';
}

export interface CallState {
  External: Record<string, unknown>;
  /** The asynchronous invocation since which `$.External` is undocumented (no synchronous answer after it). */
  externalUnknownAfter?: string;
  Attributes: Record<string, string>;
  Lex: { IntentName: string };
}

export function resolve(value: unknown, state: CallState, where: string): string {
  if (typeof value !== 'string') return value === undefined || value === null ? '' : String(value);
  const m = /^\$\.([A-Za-z]+)\.([A-Za-z0-9_-]+)$/.exec(value);
  if (!value.startsWith('$.')) return value;
  if (!m) throw new FlowSimulationError(`${where}: unsupported reference "${value}"`);
  const [, ns, key] = m as unknown as [string, string, string];
  if (ns === 'External') {
    // Connect does not say what $.External holds after an asynchronous invocation: a flow must not depend on it.
    if (state.externalUnknownAfter !== undefined)
      throw new FlowSimulationError(
        `${where}: reads "${value}" after the asynchronous invocation "${state.externalUnknownAfter}"; Connect does not document what $.External holds then`,
      );
    const v = state.External[key];
    return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  }
  if (ns === 'Attributes') return state.Attributes[key] ?? '';
  if (ns === 'Lex' && key === 'IntentName') return state.Lex.IntentName;
  throw new FlowSimulationError(
    `${where}: unsupported reference "${value}" (the simulator knows $.External, $.Attributes, $.Lex.IntentName)`,
  );
}

export function compare(operator: string, value: string, operand: string, where: string): boolean {
  const n = Number(value);
  const o = Number(operand);
  switch (operator) {
    case 'Equals':
      return value === operand;
    case 'TextStartsWith':
      return value.startsWith(operand);
    case 'TextEndsWith':
      return value.endsWith(operand);
    case 'TextContains':
      return value.includes(operand);
    case 'NumberGreaterThan':
      return n > o;
    case 'NumberGreaterOrEqualTo':
      return n >= o;
    case 'NumberLessThan':
      return n < o;
    case 'NumberLessOrEqualTo':
      return n <= o;
    default:
      throw new FlowSimulationError(`${where}: unsupported condition operator "${operator}"`);
  }
}

export function isStringMap(v: unknown): v is Record<string, string> {
  return (
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
  );
}

export async function withTimeLimit<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** `Name: message` of anything thrown. */
export const describe = (e: unknown) => `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? e}`;
