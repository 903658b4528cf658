/** The bridge's counters: served as JSON on /metrics and, per turn, printed as CloudWatch EMF lines. */

export interface MetricsSnapshot {
  callsStarted: number;
  callsActive: number;
  turns: number;
  failovers: number;
  lexErrors: number;
  unavailable: number;
  bargeIns: number;
  hangups: number;
  signatureRejections: number;
  /** Signed streams closed because `start` carried no valid, unused stream token (or none came in time). */
  streamRejections: number;
  /** Stream messages the bridge failed to handle (each closed its call). */
  messageFailures: number;
  turnLatencyMs: { count: number; avg: number; max: number; p95: number };
}

export class BridgeMetrics {
  private readonly c = {
    callsStarted: 0,
    callsActive: 0,
    turns: 0,
    failovers: 0,
    lexErrors: 0,
    unavailable: 0,
    bargeIns: 0,
    hangups: 0,
    signatureRejections: 0,
    streamRejections: 0,
    messageFailures: 0,
  };
  private readonly latencies: number[] = [];

  constructor(
    private readonly o: { namespace: string; emf: boolean; write?: (line: string) => void } = {
      namespace: 'lexdr-twilio',
      emf: false,
    },
  ) {}

  inc(name: keyof typeof this.c, by = 1): void {
    this.c[name] += by;
  }

  /** One Lex turn: its latency and region, as an EMF line when enabled. */
  turn(t: { latencyMs: number; region: string; failovers: number; input: 'speech' | 'dtmf' }): void {
    this.c.turns += 1;
    this.c.failovers += t.failovers;
    this.latencies.push(t.latencyMs);
    if (this.latencies.length > 1000) this.latencies.shift();
    if (!this.o.emf) return;
    const line = JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: this.o.namespace,
            Dimensions: [['LexRegion']],
            Metrics: [
              { Name: 'TurnLatency', Unit: 'Milliseconds' },
              { Name: 'Turns', Unit: 'Count' },
              { Name: 'Failovers', Unit: 'Count' },
            ],
          },
        ],
      },
      LexRegion: t.region,
      TurnLatency: t.latencyMs,
      Turns: 1,
      Failovers: t.failovers,
      input: t.input,
    });
    (this.o.write ?? ((l: string) => process.stdout.write(l + '\n')))(line);
  }

  snapshot(): MetricsSnapshot {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const sum = sorted.reduce((a, b) => a + b, 0);
    return {
      ...this.c,
      turnLatencyMs: {
        count: sorted.length,
        avg: sorted.length ? Math.round(sum / sorted.length) : 0,
        max: sorted.at(-1) ?? 0,
        p95: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]! : 0,
      },
    };
  }
}
