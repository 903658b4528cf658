/** A region's request counters (per operation, counted on arrival) and its log of the latest requests. */
import type { LexRequestRecord } from './types';

const MAX_REQUEST_LOG = 1000;

export class RequestLog {
  private readonly counters: Record<string, number> = {};
  private readonly log: LexRequestRecord[] = [];

  /** Counts the request's operation and logs the record (kept by reference: what the route notes shows). */
  add(record: LexRequestRecord): void {
    this.counters[record.operation] = (this.counters[record.operation] ?? 0) + 1;
    this.log.push(record);
    if (this.log.length > MAX_REQUEST_LOG) this.log.shift();
  }

  /** Requests per operation. */
  stats(): Record<string, number> {
    return { ...this.counters };
  }

  /** The logged requests, newest last. */
  entries(): readonly LexRequestRecord[] {
    return this.log;
  }
}
