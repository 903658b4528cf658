/**
 * One run of the wiring audit (wiring-audit.ts): what every edge finder works with — the model, both sides' deciders —
 * and where the edges and what could not be audited are gathered, then reported.
 */
import type { CfnModel } from './cfn-model';
import { CalleeSide } from './wiring-callee';
import { CallerSide } from './wiring-caller';
import type { Edge, EdgeKind, WiringReport } from './wiring-edge';
import { EDGE_KINDS, edgeOk } from './wiring-edge';

export class AuditContext {
  readonly edges: Edge[] = [];
  /** What the audit found and could not audit, as found (repeats included). */
  readonly unhandled: string[] = [];
  readonly caller: CallerSide;
  readonly callee: CalleeSide;

  constructor(readonly model: CfnModel) {
    this.caller = new CallerSide(model);
    this.callee = new CalleeSide(model);
  }

  /** Adds an edge, once: the same kind, caller, callee and actions are the same edge. */
  add(edge: Edge): void {
    const key = (e: Edge) => `${e.kind}|${e.from}|${e.to}|${e.actions.join(',')}`;
    if (!this.edges.some((e) => key(e) === key(edge))) this.edges.push(edge);
  }

  report(): WiringReport {
    const counts = Object.fromEntries(EDGE_KINDS.map((k) => [k, 0])) as Record<EdgeKind, number>;
    for (const e of this.edges) counts[e.kind] += 1;
    return {
      edges: this.edges,
      broken: this.edges.filter((e) => !edgeOk(e)),
      counts,
      unhandled: [...new Set(this.unhandled)],
      accepted: [...new Set(this.edges.flatMap((e) => e.accepted))],
    };
  }
}
