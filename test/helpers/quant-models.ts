// Small generated models and calibration inputs for the quantization tests.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { buildModel, makeNode, makeTensor, makeValueInfo, type ModelSpec } from '../../lib/onnx';
import type { CalibrationSample } from '../../lib/quantize';

/** Deterministic pseudo-random numbers in [-1, 1). */
export function noise(count: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 0x80000000 - 1;
  }
  return out;
}

export const CONV_INPUT = { name: 'x', dims: [1, 8, 8, 8] };

/** x[1,8,8,8] → Conv 3×3 (8→6) → Relu → Conv 1×1 (6→4) "head" → MaxPool → y, plus labels metadata. */
export function convModelSpec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
      makeNode('Relu', ['c1'], ['r1'], {}, 'relu1'),
      makeNode('Conv', ['r1', 'w2', 'b2'], ['c2'], { kernel_shape: [1, 1] }, 'head'),
      makeNode('MaxPool', ['c2'], ['y'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool'),
    ],
    inputs: [makeValueInfo('x', 'float32', CONV_INPUT.dims)],
    outputs: [makeValueInfo('y', 'float32', [1, 4, 4, 4])],
    initializers: [
      makeTensor('w1', 'float32', [6, 8, 3, 3], noise(6 * 8 * 9, 1).map((v) => v * 0.3)),
      makeTensor('b1', 'float32', [6], [0.1, -0.2, 0.05, 0, 0.3, -0.1]),
      makeTensor('w2', 'float32', [4, 6, 1, 1], noise(24, 2).map((v) => v * 0.5)),
      makeTensor('b2', 'float32', [4], [0.01, 0.02, -0.03, 0.04]),
    ],
    metadata: { labels: '["a","b","c","d"]' },
    opset: 17,
    ...overrides,
  };
}

export function convModel(overrides: Partial<ModelSpec> = {}): Uint8Array {
  return buildModel(convModelSpec(overrides));
}

export function convSamples(count: number, seed = 10): CalibrationSample[] {
  return Array.from({ length: count }, (_, i) => ({
    x: { data: noise(8 * 8 * 8, seed + i), dims: CONV_INPUT.dims },
  }));
}

/** Tabular MLP: x[1,16] → Gemm (transB, bias) → Relu → MatMul → Add → y[1,3]. */
export function mlpModel(): Uint8Array {
  return buildModel({
    nodes: [
      makeNode('Gemm', ['x', 'w1', 'b1'], ['h'], { transB: 1 }, 'fc1'),
      makeNode('Relu', ['h'], ['hr'], {}, 'relu'),
      makeNode('MatMul', ['hr', 'w2'], ['m'], {}, 'fc2'),
      makeNode('Add', ['m', 'b2'], ['y'], {}, 'bias2'),
    ],
    inputs: [makeValueInfo('x', 'float32', [1, 16])],
    outputs: [makeValueInfo('y', 'float32', [1, 3])],
    initializers: [
      makeTensor('w1', 'float32', [32, 16], noise(32 * 16, 3).map((v) => v * 0.4)),
      makeTensor('b1', 'float32', [32], noise(32, 4).map((v) => v * 0.1)),
      makeTensor('w2', 'float32', [32, 3], noise(96, 5).map((v) => v * 0.4)),
      makeTensor('b2', 'float32', [3], [0.1, 0, -0.1]),
    ],
    opset: 13,
  });
}

export function mlpSamples(count: number): CalibrationSample[] {
  return Array.from({ length: count }, (_, i) => ({ x: { data: noise(16, 100 + i), dims: [1, 16] } }));
}

/** An image model: x[1,3,16,16] → Conv 3×3 (3→8, stays float) → Relu → Conv 1×1 (8→4) → class scores y[1,4,16,16]. */
export function imageModel(metadata: Record<string, string> = {}): Uint8Array {
  return buildModel({
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'stem'),
      makeNode('Relu', ['c1'], ['r1'], {}, 'relu'),
      makeNode('Conv', ['r1', 'w2', 'b2'], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'mid'),
      makeNode('Relu', ['c2'], ['r2'], {}, 'relu2'),
      makeNode('Conv', ['r2', 'w3', 'b3'], ['y'], { kernel_shape: [1, 1] }, 'classifier'),
    ],
    inputs: [makeValueInfo('x', 'float32', [1, 3, 16, 16])],
    outputs: [makeValueInfo('y', 'float32', [1, 4, 16, 16])],
    initializers: [
      makeTensor('w1', 'float32', [8, 3, 3, 3], noise(8 * 27, 7).map((v) => v * 0.4)),
      makeTensor('b1', 'float32', [8], noise(8, 8).map((v) => v * 0.1)),
      makeTensor('w2', 'float32', [8, 8, 3, 3], noise(8 * 72, 9).map((v) => v * 0.2)),
      makeTensor('b2', 'float32', [8], noise(8, 10).map((v) => v * 0.1)),
      makeTensor('w3', 'float32', [4, 8, 1, 1], noise(32, 11).map((v) => v * 0.5)),
      makeTensor('b3', 'float32', [4], [0, 0.05, -0.05, 0.02]),
    ],
    metadata,
    opset: 17,
  });
}

/** Noisy PNG pictures of different colours, and a file that is not an image. */
export async function writeCalibrationImages(dir: string, count: number, size = 24): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await sharp({ create: { width: size, height: size, channels: 3, background: { r: 40 * i, g: 128, b: 200 - 30 * i }, noise: { type: 'gaussian', mean: 120 + 10 * i, sigma: 40 } } })
      .png().toFile(path.join(dir, `image-${i}.png`));
  }
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
}

export const FRAGILE_INPUT = { name: 'x', dims: [1, 8, 8, 8] };

/**
 * x[1,8,8,8] → conv1 3×3 → Relu → conv2 3×3 (fragile) → Relu → conv3 3×3 stride 2 → y[1,6,4,4] (a feature map).
 * conv1's channel 7 is always 0 (bias −100 before the Relu); conv2 gives every output channel a weight of 200 on that
 * channel. The float output never sees those weights, but they set conv2's per-channel weight scales, so its real
 * weights (±0.3) round to 0 or ±1 step in int8: conv2 is the one layer that must stay float.
 */
export function fragileModel(): Uint8Array {
  const w2 = noise(8 * 8 * 9, 22).map((v) => v * 0.3);
  for (let o = 0; o < 8; o++) w2[(o * 8 + 7) * 9 + 4] = 200;
  const b1 = Float32Array.from(noise(8, 21), (v) => v * 0.1);
  b1[7] = -100;
  return buildModel({
    nodes: [
      makeNode('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
      makeNode('Relu', ['c1'], ['r1'], {}, 'relu1'),
      makeNode('Conv', ['r1', 'w2', 'b2'], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv2'),
      makeNode('Relu', ['c2'], ['r2'], {}, 'relu2'),
      makeNode('Conv', ['r2', 'w3', 'b3'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, 'conv3'),
    ],
    inputs: [makeValueInfo('x', 'float32', FRAGILE_INPUT.dims)],
    outputs: [makeValueInfo('y', 'float32', [1, 6, 4, 4])],
    initializers: [
      makeTensor('w1', 'float32', [8, 8, 3, 3], noise(8 * 8 * 9, 20).map((v) => v * 0.3)),
      makeTensor('b1', 'float32', [8], b1),
      makeTensor('w2', 'float32', [8, 8, 3, 3], w2),
      makeTensor('b2', 'float32', [8], noise(8, 23).map((v) => v * 0.1)),
      makeTensor('w3', 'float32', [6, 8, 3, 3], noise(6 * 8 * 9, 24).map((v) => v * 0.3)),
      makeTensor('b3', 'float32', [6], noise(6, 25).map((v) => v * 0.1)),
    ],
    opset: 17,
  });
}

export function fragileSamples(count: number, seed = 300): CalibrationSample[] {
  return Array.from({ length: count }, (_, i) => ({ x: { data: noise(8 * 8 * 8, seed + i), dims: FRAGILE_INPUT.dims } }));
}
