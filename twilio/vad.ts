/**
 * The WebRTC voice activity detector (libfvad compiled to WASM by @echogarden/fvad-wasm), instantiated
 * directly from its .wasm file: the package's loader is an ES module, and this project (and its tests)
 * run as CommonJS. The module needs two imports (assert-fail and heap growth) and exports libfvad's C API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Aggressiveness 0 (quality) … 3 (very aggressive), as libfvad's `fvad_set_mode`. */
export type VadMode = 0 | 1 | 2 | 3;
export const VAD_SAMPLE_RATES = [8000, 16000, 32000, 48000] as const;
export type VadSampleRate = (typeof VAD_SAMPLE_RATES)[number];

interface FvadExports {
  c: WebAssembly.Memory;
  /** __wasm_call_ctors */
  d(): void;
  /** fvad_new */
  e(): number;
  /** malloc */
  f(size: number): number;
  /** fvad_free */
  h(inst: number): void;
  /** free */
  i(ptr: number): void;
  /** fvad_set_mode */
  j(inst: number, mode: number): number;
  /** fvad_set_sample_rate */
  k(inst: number, rate: number): number;
  /** fvad_process */
  l(inst: number, frame: number, length: number): number;
}

export class VadError extends Error {
  override name = 'VadError';
}

let compiled: WebAssembly.Module | undefined;

/** Next to the bundle in the container image (the Dockerfile copies it); else from node_modules. */
function wasmPath(): string {
  const bundled = join(__dirname, 'fvad.wasm');
  return existsSync(bundled) ? bundled : require.resolve('@echogarden/fvad-wasm/fvad.wasm');
}

function wasmModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(wasmPath()));
  return compiled;
}

/** One detector (one per call: libfvad keeps state between frames). Frames are 10, 20 or 30 ms of 16-bit PCM. */
export class WebRtcVad {
  private readonly x: FvadExports;
  private readonly inst: number;
  private buf: number;
  private bufSamples: number;
  private closed = false;

  constructor(
    readonly sampleRate: VadSampleRate = 8000,
    readonly mode: VadMode = 2,
  ) {
    const instance = new WebAssembly.Instance(wasmModule(), {
      a: {
        a: () => {
          throw new VadError('libfvad assertion failed');
        },
        b: (requested: number) => {
          const memory = this.x.c;
          const pages = Math.ceil((requested - memory.buffer.byteLength) / 65536);
          try {
            memory.grow(pages);
            return 1;
          } catch {
            return 0;
          }
        },
      },
    });
    this.x = instance.exports as unknown as FvadExports;
    this.x.d();
    this.inst = this.x.e();
    if (!this.inst) throw new VadError('fvad_new failed');
    if (this.x.j(this.inst, mode) !== 0) throw new VadError(`invalid VAD mode ${mode}: must be 0–3`);
    if (this.x.k(this.inst, sampleRate) !== 0)
      throw new VadError(`invalid VAD sample rate ${sampleRate}: must be one of ${VAD_SAMPLE_RATES.join(', ')}`);
    this.bufSamples = (sampleRate / 1000) * 30;
    this.buf = this.x.f(this.bufSamples * 2);
  }

  /** True if the frame holds speech. `frame.length` must be 10, 20 or 30 ms of samples. */
  isSpeech(frame: Int16Array): boolean {
    if (this.closed) throw new VadError('the VAD was closed');
    const ms = (frame.length * 1000) / this.sampleRate;
    if (ms !== 10 && ms !== 20 && ms !== 30)
      throw new VadError(`a VAD frame must be 10, 20 or 30 ms; got ${frame.length} samples (${ms} ms)`);
    new Int16Array(this.x.c.buffer, this.buf, frame.length).set(frame);
    const r = this.x.l(this.inst, this.buf, frame.length);
    if (r < 0) throw new VadError('fvad_process failed');
    return r === 1;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.x.i(this.buf);
    this.x.h(this.inst);
  }
}
