/** The VAD segmenter on the committed μ-law recordings: one utterance per recording, timed by frames. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MULAW_SILENCE } from '../../twilio/audio';
import type { SegmentEvent } from '../../twilio/segmenter';
import { MAX_TIMESTAMP_GAP_MS, UtteranceSegmenter } from '../../twilio/segmenter';
import { WebRtcVad } from '../../twilio/vad';

const AUDIO = join(__dirname, '..', 'fixtures', 'audio');
const FILES = ['order-flowers', 'roses', 'tomorrow', 'ten-am', 'yes'];
const clip = (name: string) => readFileSync(join(AUDIO, `${name}.ulaw`));
const silence = (ms: number) => Buffer.alloc(ms * 8, MULAW_SILENCE);

/** Feeds audio in Twilio's 160-byte frames and collects the events. */
function run(seg: UtteranceSegmenter, audio: Buffer): SegmentEvent[] {
  const out: SegmentEvent[] = [];
  for (let i = 0; i < audio.length; i += 160) out.push(...seg.push(audio.subarray(i, i + 160)));
  return out;
}
const utterancesOf = (events: SegmentEvent[]) =>
  events.filter((e): e is Extract<SegmentEvent, { type: 'utterance' }> => e.type === 'utterance');

describe('UtteranceSegmenter', () => {
  test.each(FILES)('%s followed by 1 s of silence is exactly one utterance, announced once', (name) => {
    const seg = new UtteranceSegmenter();
    const events = run(seg, Buffer.concat([silence(300), clip(name), silence(1000)]));
    expect(events.filter((e) => e.type === 'speech-start')).toHaveLength(1);
    const [u] = utterancesOf(events);
    expect(utterancesOf(events)).toHaveLength(1);
    const clipMs = clip(name).length / 8;
    // It covers the speech (within the 200 ms pre-roll and 200 ms kept after) and no more.
    expect(u!.startMs).toBeGreaterThanOrEqual(100);
    expect(u!.endMs).toBeLessThanOrEqual(300 + clipMs + 220);
    expect(u!.speechMs).toBeGreaterThanOrEqual(200);
    expect(u!.pcm.length).toBe(((u!.endMs - u!.startMs) * 8000) / 1000);
    seg.close();
  });

  test('a whole call: five utterances separated by 1 s pauses are five segments in order', () => {
    const seg = new UtteranceSegmenter();
    const audio = Buffer.concat(FILES.flatMap((f) => [clip(f), silence(1000)]));
    const us = utterancesOf(run(seg, audio));
    expect(us).toHaveLength(5);
    for (let i = 1; i < us.length; i += 1) expect(us[i]!.startMs).toBeGreaterThan(us[i - 1]!.endMs);
  });

  test('the end of an utterance needs the configured silence (the recording ends in ~220 ms of quiet)', () => {
    const seg = new UtteranceSegmenter({ endSilenceMs: 700 });
    expect(utterancesOf(run(seg, Buffer.concat([clip('tomorrow'), silence(400)])))).toHaveLength(0);
    expect(utterancesOf(run(seg, silence(300)))).toHaveLength(1);
  });

  test('silence is counted from media timestamps: a gap in timestamps ends the utterance', () => {
    const seg = new UtteranceSegmenter();
    const speech = Buffer.concat([clip('yes'), silence(100)]);
    const events: SegmentEvent[] = [];
    let ts = 0;
    for (let i = 0; i < speech.length; i += 160, ts += 20) events.push(...seg.push(speech.subarray(i, i + 160), ts));
    expect(utterancesOf(events)).toHaveLength(0);
    // Packets lost for a second: the next frame's timestamp says so.
    events.push(...seg.push(silence(20), ts + 1000));
    expect(utterancesOf(events)).toHaveLength(1);
  });

  test('a click shorter than the minimum speech time is not an utterance', () => {
    const seg = new UtteranceSegmenter({ minSpeechMs: 200 });
    const click = clip('order-flowers').subarray(0, 8 * 100);
    expect(run(seg, Buffer.concat([click, silence(1500)]))).toEqual([]);
  });

  test('10 ms frames segment the same recording the same way', () => {
    const seg = new UtteranceSegmenter({ frameMs: 10 });
    expect(utterancesOf(run(seg, Buffer.concat([clip('roses'), silence(1000)])))).toHaveLength(1);
  });

  test('the WebRTC VAD hears speech in a recording and none in silence', () => {
    const vad = new WebRtcVad(8000, 2);
    const pcm = new Int16Array(160);
    expect(vad.isSpeech(pcm)).toBe(false);
    expect(() => vad.isSpeech(new Int16Array(100))).toThrow(/10, 20 or 30 ms/);
    vad.close();
  });

  describe('bounded by any timestamp', () => {
    const timedPush = (seg: UtteranceSegmenter, ts: number) => {
      const t0 = performance.now();
      const events = seg.push(silence(20), ts);
      return { events, ms: performance.now() - t0 };
    };

    test.each([1e300, 36_000_000, Number.MAX_SAFE_INTEGER])(
      'a timestamp of %d costs milliseconds, not seconds',
      (ts) => {
        const seg = new UtteranceSegmenter();
        const { ms } = timedPush(seg, ts);
        expect(ms).toBeLessThan(250); // unbounded, 36000000 took 3 s and 1e300 threw
        // The clock jumps by at most the believable gap.
        expect(seg.positionMs).toBeLessThanOrEqual(MAX_TIMESTAMP_GAP_MS + 20);
        expect(Number.isFinite(seg.positionMs)).toBe(true);
        seg.close();
      },
    );

    test('a long gap during speech still ends the utterance, and the clock advances by the whole gap', () => {
      const seg = new UtteranceSegmenter();
      const speech = clip('yes');
      const events: SegmentEvent[] = [];
      let ts = 0;
      for (let i = 0; i < speech.length; i += 160, ts += 20) events.push(...seg.push(speech.subarray(i, i + 160), ts));
      expect(utterancesOf(events)).toHaveLength(0);
      const before = seg.positionMs;
      events.push(...seg.push(silence(20), before + 30_000));
      expect(utterancesOf(events)).toHaveLength(1);
      // 30 s of gap (most of it skipped, not run through the VAD) plus the 20 ms frame.
      expect(seg.positionMs).toBe(before + 30_000 + 20);
      // The next utterance is timed on that clock.
      const next: SegmentEvent[] = [];
      const again = Buffer.concat([clip('roses'), silence(1000)]);
      for (let i = 0; i < again.length; i += 160) next.push(...seg.push(again.subarray(i, i + 160)));
      const [u] = utterancesOf(next);
      expect(u!.startMs).toBeGreaterThanOrEqual(before + 30_000 - 200);
      seg.close();
    });

    test('non-finite and backward timestamps add no time', () => {
      const seg = new UtteranceSegmenter();
      seg.push(silence(20), 0);
      for (const ts of [NaN, Infinity, -Infinity, -1e300, 0]) seg.push(silence(20), ts);
      expect(seg.positionMs).toBe(120);
      seg.close();
    });
  });
});
