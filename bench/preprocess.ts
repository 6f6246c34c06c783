// Benchmarks of image ingest + pre-processing and of Node-RED's fan-out clone, for the bench runner to call.
// Nothing runs on import.
import { bufferOf } from '../lib/contract';
import { ingestImage } from '../lib/image';
import { loadSharp } from '../lib/image/libraries';
import { imageToTensor, resolvePreprocessOptions, type ResizeMode } from '../lib/tensor';

 
const { util: redUtil } = require('@node-red/util') as { util: { cloneMessage<T>(msg: T): T } };

export interface PreprocessBenchOptions {
  /** Measured runs (after `warmup` unmeasured ones). */
  iterations: number;
  warmup?: number;
  /** Encoded input; a synthetic 1280x720 JPEG when absent. */
  jpeg?: Buffer;
  width?: number;
  height?: number;
  resize?: ResizeMode;
}

export interface PreprocessBenchResult {
  path: 'sharp' | 'jimp';
  iterations: number;
  /** Mean milliseconds per image: whole step, decoding alone, pre-processing alone. */
  msPerImage: number;
  decodeMs: number;
  preprocessMs: number;
  source: string;
  tensor: string;
}

/** A camera-like JPEG: gradients with texture, so neither decoder gets an unrealistically easy file. */
export async function syntheticJpeg(width = 1280, height = 720, quality = 85): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 12345;
  for (let i = 0, p = 0; i < width * height; i++, p += 3) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const x = i % width;
    const y = (i / width) | 0;
    const noise = (seed >>> 24) & 31;
    pixels[p] = ((x * 255) / width + noise) & 255;
    pixels[p + 1] = ((y * 255) / height + noise) & 255;
    pixels[p + 2] = (((x ^ y) & 0xff) + noise) & 255;
  }
  return loadSharp()(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

async function benchPath(path: 'sharp' | 'jimp', options: PreprocessBenchOptions): Promise<PreprocessBenchResult> {
  const jpeg = options.jpeg ?? (await syntheticJpeg());
  const settings = resolvePreprocessOptions({
    width: options.width ?? 640, height: options.height ?? 640, resize: options.resize ?? 'contain', resizer: path,
  });
  let decodeMs = 0;
  let preprocessMs = 0;
  let last = { source: '', tensor: '' };
  const warmup = options.warmup ?? 2;
  for (let run = 0; run < warmup + options.iterations; run++) {
    const started = performance.now();
    const { image } = await ingestImage(jpeg, { decoder: path });
    const decoded = performance.now();
    const tensor = await imageToTensor(image, settings);
    const finished = performance.now();
    if (run >= warmup) {
      decodeMs += decoded - started;
      preprocessMs += finished - decoded;
    }
    last = { source: `${image.width}x${image.height} ${image.format}`, tensor: `${tensor.dims.join('x')} ${tensor.type}` };
  }
  const n = options.iterations;
  return { path, iterations: n, msPerImage: (decodeMs + preprocessMs) / n, decodeMs: decodeMs / n, preprocessMs: preprocessMs / n, ...last };
}

/** (a) sharp decode + sharp resize + normalisation of a JPEG, ms per image. */
export function benchSharpPreprocess(options: PreprocessBenchOptions): Promise<PreprocessBenchResult> {
  return benchPath('sharp', options);
}

/** (b) the pure-JS path: jimp decode + jimp resize + the same normalisation, ms per image. */
export function benchJimpPreprocess(options: PreprocessBenchOptions): Promise<PreprocessBenchResult> {
  return benchPath('jimp', options);
}

export interface CloneBenchResult {
  iterations: number;
  dims: number[];
  bytes: number;
  /** Microseconds per RED.util.cloneMessage of a message carrying the tensor as a Buffer / as a Float32Array. */
  bufferUsPerClone: number;
  float32ArrayUsPerClone: number;
}

/** (c) Node-RED's fan-out clone of a message with a 1x3x640x640 float32 tensor: Buffer (shared) vs Float32Array (copied). */
export function benchFanOutClone(options: { iterations: number; dims?: number[] }): CloneBenchResult {
  const dims = options.dims ?? [1, 3, 640, 640];
  const elements = new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5);
  const message = (data: Buffer | Float32Array) => ({
    _msgid: 'bench', topic: 'camera/1', payload: 'frame',
    tensor: { data, type: 'float32', dims, layout: 'NCHW', colorOrder: 'RGB', geometry: { sourceWidth: 1280, sourceHeight: 720, width: 640, height: 640, scaleX: 0.5, scaleY: 0.5, padLeft: 0, padTop: 140, resize: 'contain' } },
  });
  const perClone = (msg: object) => {
    for (let i = 0; i < 3; i++) redUtil.cloneMessage(msg);
    const started = process.hrtime.bigint();
    for (let i = 0; i < options.iterations; i++) redUtil.cloneMessage(msg);
    return Number(process.hrtime.bigint() - started) / 1000 / options.iterations;
  };
  return {
    iterations: options.iterations,
    dims,
    bytes: elements.byteLength,
    bufferUsPerClone: perClone(message(bufferOf(elements))),
    float32ArrayUsPerClone: perClone(message(elements)),
  };
}
