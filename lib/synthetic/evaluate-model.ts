// Runs a segmentation model over generated samples and scores it: the check behind the demo model's card.
// Pre-processing follows the model's metadata_props (input_size, scale, mean, std, RGB, NCHW) as training did.
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { ModelInfo } from '../onnx';
import { argmaxClasses, ConfusionMatrix, iouReport, type IouReport } from './evaluate';
import { renderSample } from './render';
import { sampleSeed, type Split } from './dataset';

export interface Normalisation {
  width: number;
  height: number;
  scale: number;
  mean: number[];
  std: number[];
}

export function normalisationFromMetadata(metadata: Record<string, string>): Normalisation {
  const [width, height] = JSON.parse(metadata.input_size ?? 'null') as [number, number];
  if (metadata.color_order !== 'RGB' || metadata.layout !== 'NCHW' || !width || !height) {
    throw new Error('the model metadata must give input_size, color_order RGB and layout NCHW');
  }
  return {
    width,
    height,
    scale: Number(metadata.scale ?? 1 / 255),
    mean: JSON.parse(metadata.mean ?? '[0,0,0]') as number[],
    std: JSON.parse(metadata.std ?? '[1,1,1]') as number[],
  };
}

/** Encoded picture → float32 NCHW tensor data: resize to the input size, then (v · scale − mean) / std. */
export async function pictureTensor(encoded: Buffer, n: Normalisation): Promise<Float32Array> {
  const rgb = await sharp(encoded).removeAlpha().resize(n.width, n.height, { fit: 'fill' }).raw().toBuffer();
  const plane = n.width * n.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (rgb[i * 3 + c]! * n.scale - n.mean[c]!) / n.std[c]!;
  }
  return out;
}

/** mIoU of a model on the first `count` samples of a generated split (the same samples the generator writes). */
export async function evaluateOnSplit(
  modelBytes: Uint8Array,
  info: ModelInfo,
  split: { split: Split; seed: number; count: number; size: number },
): Promise<IouReport> {
  const labels = JSON.parse(info.metadata.labels ?? '[]') as string[];
  const n = normalisationFromMetadata(info.metadata);
  if (n.width !== split.size || n.height !== split.size) {
    throw new Error(`the model takes ${n.width}×${n.height}, the split is ${split.size}×${split.size}: masks would need resizing`);
  }
  const session = await ort.InferenceSession.create(modelBytes);
  try {
    const matrix = new ConfusionMatrix(labels.length);
    for (let i = 0; i < split.count; i++) {
      const sample = await renderSample(sampleSeed(split.seed, split.split, i), split.size);
      const input = new ort.Tensor('float32', await pictureTensor(sample.image, n), [1, 3, n.height, n.width]);
      const outputs = await session.run({ [session.inputNames[0]!]: input });
      const logits = outputs[session.outputNames[0]!]!.data as Float32Array;
      matrix.add(sample.classMap, argmaxClasses(logits, labels.length, n.width * n.height));
    }
    return iouReport(matrix, labels);
  } finally {
    await session.release();
  }
}
