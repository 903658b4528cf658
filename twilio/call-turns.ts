/**
 * A call's turns as the bridge saw them (logged; the local replay tool reads them), and how a streaming call
 * gathers Lex's events into them: what the caller heard and when, what Lex heard, and Lex's time from hearing the
 * caller to its result (fulfillment included).
 */

/** One turn as the bridge saw it. */
export interface TurnRecord {
  n: number;
  input: 'speech' | 'dtmf';
  transcript: string;
  reply: string;
  region: string;
  failovers: number;
  latencyMs: number;
  closed: boolean;
  utteranceMs?: number;
  /** Streaming: what the caller heard during this turn, with the time since the call started (ms). */
  heard?: { atMs: number; text: string }[];
}

/** Lex's result for a streamed turn, as the stream conversation reports it. */
export interface StreamResult {
  region: string;
  failovers: number;
  closed: boolean;
  inputMode: string;
}

/** Streaming: Lex's events gathered into the call's turn records (appended to `turns`). */
export class StreamTurns {
  /** What the caller heard since the last result. */
  private heard: { atMs: number; text: string }[] = [];
  /** What Lex heard the caller say this turn. */
  private transcript = '';
  /** When Lex's transcript came (or the caller pressed `#`): where Lex's time to its result starts. */
  private heardAt: number | undefined;
  /** Lex heard the caller (a transcript) and has not given its result yet. */
  private inTurn = false;

  constructor(
    private readonly turns: TurnRecord[],
    private readonly now: () => number,
    /** When the call started (the clock of `heard`). */
    private readonly startedAt: number,
  ) {}

  /** The caller ended a DTMF entry (`#`): a turn is under way. */
  keyed(): void {
    this.inTurn = true;
    this.heardAt = this.now();
  }

  /** Lex's transcript of the caller. */
  heardCaller(transcript: string): void {
    this.transcript = transcript;
    this.inTurn = true;
    this.heardAt = this.now();
  }

  /**
   * A response's text: progress while a turn is under way belongs to it; the response after a result, to that
   * result's turn.
   */
  said(messages: string[]): void {
    const text = messages.join(' ');
    if (text === '') return;
    const heard = { atMs: this.now() - this.startedAt, text };
    const last = this.turns.at(-1);
    if (this.inTurn || !last) this.heard.push(heard);
    else {
      (last.heard ??= []).push(heard);
      last.reply = last.reply === '' ? text : `${last.reply} ${text}`;
    }
  }

  /** Lex's result ends the turn: its record, appended to the call's turns. */
  result(r: StreamResult): TurnRecord {
    const latencyMs = this.heardAt === undefined ? 0 : this.now() - this.heardAt;
    const record: TurnRecord = {
      n: this.turns.length + 1,
      input: r.inputMode === 'DTMF' ? 'dtmf' : 'speech',
      transcript: this.transcript,
      reply: '',
      region: r.region,
      failovers: r.failovers,
      latencyMs,
      closed: r.closed,
      heard: this.heard,
    };
    this.heardAt = undefined;
    this.heard = [];
    this.transcript = '';
    this.inTurn = false;
    this.turns.push(record);
    return record;
  }
}
