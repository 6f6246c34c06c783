// Calibration inputs from image files: decode with sharp, resize, normalise, lay out as the model expects.
// A small local stand-in for lib/tensor's pre-processing (to be replaced by it once merged).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { PipelineError } from '../errors';
import type { ModelInfo } from '../onnx';
import type { CalibrationSample } from './calibrate';

export interface ImagePreprocessing {
  width: number;
  height: number;
  /** Per-channel (RGB) mean and std applied after scaling: (pixel × scale − mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
  scale: number;
  layout: 'NCHW' | 'NHWC';
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.bmp']);

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function triple(value: unknown): [number, number, number] | undefined {
  if (typeof value === 'number') return [value, value, value];
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number')) return value as [number, number, number];
  return undefined;
}

/** input_size metadata: a number (square), [width, height] or { width, height }. */
function sizeOf(value: unknown): { width: number; height: number } | undefined {
  if (typeof value === 'number') return { width: value, height: value };
  if (Array.isArray(value) && value.length === 2) return { width: Number(value[0]), height: Number(value[1]) };
  if (value && typeof value === 'object' && 'width' in value && 'height' in value) {
    return { width: Number((value as { width: unknown }).width), height: Number((value as { height: unknown }).height) };
  }
  return undefined;
}

/**
 * Pre-processing for a model: explicit options win, then metadata_props (input_size, mean, std, scale as JSON),
 * then the model's fixed input shape. Throws when no size can be found.
 */
export function resolvePreprocessing(info: ModelInfo, overrides: Partial<ImagePreprocessing> = {}): ImagePreprocessing {
  const input = info.inputs[0];
  const dims = input?.dims ?? [];
  const layout = overrides.layout ?? (dims.length === 4 && dims[3] === 3 ? 'NHWC' : 'NCHW');
  const fixed = layout === 'NCHW' ? { height: dims[2], width: dims[3] } : { height: dims[1], width: dims[2] };
  const fromMeta = sizeOf(parseJson(info.metadata.input_size));
  const width = overrides.width ?? fromMeta?.width ?? (typeof fixed.width === 'number' ? fixed.width : undefined);
  const height = overrides.height ?? fromMeta?.height ?? (typeof fixed.height === 'number' ? fixed.height : undefined);
  if (!width || !height) {
    throw new PipelineError('input_size_unknown', 'the model input has no fixed size and no input_size metadata; give the calibration image size (--size WxH)');
  }
  const metaScale = parseJson(info.metadata.scale);
  return {
    width,
    height,
    layout,
    mean: overrides.mean ?? triple(parseJson(info.metadata.mean)) ?? [0, 0, 0],
    std: overrides.std ?? triple(parseJson(info.metadata.std)) ?? [1, 1, 1],
    scale: overrides.scale ?? (typeof metaScale === 'number' ? metaScale : 1 / 255),
  };
}

/** One image (file path or encoded bytes) as a float tensor [1, 3, H, W] or [1, H, W, 3]. */
export async function imageToTensor(image: string | Buffer, prep: ImagePreprocessing): Promise<{ data: Float32Array; dims: number[] }> {
  const { data } = await sharp(image).removeAlpha().toColourspace('srgb')
    .resize(prep.width, prep.height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const pixels = prep.width * prep.height;
  const out = new Float32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      const value = (data[p * 3 + c]! * prep.scale - prep.mean[c]!) / prep.std[c]!;
      out[prep.layout === 'NCHW' ? c * pixels + p : p * 3 + c] = value;
    }
  }
  const dims = prep.layout === 'NCHW' ? [1, 3, prep.height, prep.width] : [1, prep.height, prep.width, 3];
  return { data: out, dims };
}

/** Image files of a folder, sorted by name. */
export function listImages(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new PipelineError('calibration_folder', `calibration folder "${dir}" does not exist or is not a folder; point it at a folder of representative images`, { dir });
  }
  const files = fs.readdirSync(dir).filter((f) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase())).sort();
  if (files.length === 0) {
    throw new PipelineError('calibration_folder', `calibration folder "${dir}" holds no images (jpg, png, webp, tiff…); add 10–100 representative images`, { dir });
  }
  return files.map((f) => path.join(dir, f));
}

/** Calibration samples for the model's first input from the images of a folder. */
export async function loadCalibrationFolder(
  dir: string,
  info: ModelInfo,
  prep: ImagePreprocessing,
  limit = Infinity,
): Promise<CalibrationSample[]> {
  const inputName = info.inputs[0]?.name ?? 'input';
  const files = listImages(dir).slice(0, limit);
  const samples: CalibrationSample[] = [];
  for (const file of files) samples.push({ [inputName]: await imageToTensor(file, prep) });
  return samples;
}
