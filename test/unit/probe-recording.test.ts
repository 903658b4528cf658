/**
 * The shipped recording of the probe phrase (core/probe-recording.ts) and its generator
 * (bot/record-probe-utterance.ts): it says the probe utterance of cdk.json, the module is exactly what the generator
 * writes, and a fresh recording of the phrase is recognised as the shipped one by the local regions' recogniser.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulaw } from 'alawmulaw';
import {
  RECORDING_MODULE,
  RecordingToolError,
  configuredUtterance,
  renderModule,
  writeProbeRecording,
} from '../../bot/record-probe-utterance';
import { PROBE_RECORDING, probeRecordingPcm } from '../../core/probe-recording';
import { SpeechTemplates, envelopeOf } from '../../local/lex/speech';

const CDK_JSON = join(__dirname, '..', '..', 'cdk.json');
const cdkUtterance = (): unknown =>
  (JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: { lexdr: { probe: { utterance?: unknown } } } }).context
    .lexdr.probe.utterance;

describe('the shipped probe recording', () => {
  it("says cdk.json's probe utterance (the phrase the nlu probe sends as text)", () => {
    expect(cdkUtterance()).toBe('I would like to order some flowers');
    expect(PROBE_RECORDING.transcript).toBe(cdkUtterance());
    expect(configuredUtterance(CDK_JSON)).toBe(PROBE_RECORDING.transcript);
  });

  it('is the module the generator writes, unedited', () => {
    expect(readFileSync(RECORDING_MODULE, 'utf8')).toBe(renderModule(PROBE_RECORDING));
  });

  it('is 8 kHz μ-law speech: one to five seconds, not silence', () => {
    const pcm = probeRecordingPcm();
    expect(pcm).toEqual(mulaw.decode(Buffer.from(PROBE_RECORDING.base64, 'base64')));
    expect(pcm.length / PROBE_RECORDING.sampleRate).toBeGreaterThan(1);
    expect(pcm.length / PROBE_RECORDING.sampleRate).toBeLessThan(5);
    // 20 ms frames within 35 dB of the loudest: most of the recording is voiced.
    expect(envelopeOf(pcm, 8000).frames).toBeGreaterThan(40);
  });

  it("stays recognised when a test registers another recording of the same phrase (the region's shipped template)", () => {
    const templates = new SpeechTemplates();
    templates.registerShipped(probeRecordingPcm(), 8000, PROBE_RECORDING.transcript);
    // A rising tone of the recording's length: a recording no nearer to the probe's than any other sound.
    const other = new Int16Array(probeRecordingPcm().length).map((_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * (200 + i / 50) * i) / 8000)),
    );
    templates.register(other, 8000, PROBE_RECORDING.transcript);
    templates.register(other, 8000, PROBE_RECORDING.transcript);
    expect(templates.size).toBe(2);
    expect(templates.recognize(probeRecordingPcm(), 8000)).toEqual({
      transcript: PROBE_RECORDING.transcript,
      distance: 0,
    });
  });

  it('names a cdk.json without a probe utterance', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lexdr-cdk-json-'));
    try {
      const path = join(dir, 'cdk.json');
      writeFileSync(path, JSON.stringify({ context: { lexdr: {} } }));
      expect(() => configuredUtterance(path)).toThrow(RecordingToolError);
      expect(() => configuredUtterance(path)).toThrow(/no context\.lexdr\.probe\.utterance/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const haveTools = ['espeak-ng', 'sox'].every((t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status === 0);

// espeak-ng and sox are what the generator runs (CI's .ci/run installs them); without them there is nothing to run.
(haveTools ? describe : describe.skip)('bot/record-probe-utterance.ts with espeak-ng and sox', () => {
  it("records cdk.json's utterance into a module whose audio the local regions recognise as the shipped one", () => {
    const dir = mkdtempSync(join(tmpdir(), 'lexdr-probe-recording-'));
    try {
      const out = join(dir, 'probe-recording.ts');
      const written = writeProbeRecording(configuredUtterance(CDK_JSON), out);
      expect(written).toMatchObject({ transcript: cdkUtterance(), encoding: 'mulaw', sampleRate: 8000 });
      expect(readFileSync(out, 'utf8')).toBe(renderModule(written));
      const templates = new SpeechTemplates();
      templates.register(probeRecordingPcm(), 8000, PROBE_RECORDING.transcript);
      const fresh = mulaw.decode(Buffer.from(written.base64, 'base64'));
      expect(templates.recognize(fresh, 8000)?.transcript).toBe(PROBE_RECORDING.transcript);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
