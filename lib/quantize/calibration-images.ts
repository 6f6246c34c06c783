// Calibration inputs from image files, pre-processed exactly like the flow does it (lib/image + lib/tensor):
// size, mean, std, scale and layout from explicit options, else the model's metadata_props, else its input shape.
import fs from 'node:fs';
import path from 'node:path';
import { PipelineError, isPipelineError } from '../errors';
import { ingestImage } from '../image';
import type { ModelInfo } from '../onnx';
import { imageToTensor as pixelsToTensor, resolvePreprocessOptions, type PreprocessOptions } from '../tensor';
import type { CalibrationSample } from './calibrate';

/** What a caller may set for calibration images; the rest comes from the model. */
export type ImagePreprocessing = Pick<PreprocessOptions, 'width' | 'height' | 'mean' | 'std' | 'scale' | 'layout'>;

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.bmp']);

/** Pre-processing for a model's first input, always float32 (calibration runs the float model). */
export function resolvePreprocessing(info: ModelInfo | undefined, overrides: Partial<ImagePreprocessing> = {}): PreprocessOptions {
  try {
    return { ...resolvePreprocessOptions({ ...overrides }, info), type: 'float32' };
  } catch (err) {
    if (isPipelineError(err) && (err.code === 'symbolic-size' || err.code === 'no-size')) {
      throw new PipelineError('input-size-unknown', 'the model input has no fixed size and no input_size metadata; give the calibration image size (CLI: --size WxH; node: send tensors on msg.tensor)', {});
    }
    throw err;
  }
}

/** One image (file path or encoded bytes) as a float tensor [1, 3, H, W] or [1, H, W, 3]. */
export async function imageToTensor(image: string | Buffer, options: PreprocessOptions): Promise<{ data: Float32Array; dims: number[] }> {
  const baseDir = typeof image === 'string' ? path.dirname(path.resolve(image)) : undefined;
  const { image: pixels } = await ingestImage(typeof image === 'string' ? path.resolve(image) : image, { baseDir });
  const tensor = await pixelsToTensor(pixels, options);
  const data = new Float32Array(tensor.data.byteLength / 4);
  new Uint8Array(data.buffer).set(tensor.data);
  return { data, dims: tensor.dims };
}

/** Image files of a folder, sorted by name. */
export function listImages(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new PipelineError('calibration-folder', `calibration folder "${dir}" does not exist or is not a folder; point it at a folder of representative images`, { dir });
  }
  const files = fs.readdirSync(dir).filter((f) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase())).sort();
  if (files.length === 0) {
    throw new PipelineError('calibration-folder', `calibration folder "${dir}" holds no images (jpg, png, webp, tiff…); add 10–100 representative images`, { dir });
  }
  return files.map((f) => path.join(dir, f));
}

/** Calibration samples for the model's input from the images of a folder. */
export async function loadCalibrationFolder(
  dir: string,
  info: ModelInfo,
  options: PreprocessOptions,
  limit = Infinity,
): Promise<CalibrationSample[]> {
  const inputName = options.name ?? info.inputs[0]?.name ?? 'input';
  const samples: CalibrationSample[] = [];
  for (const file of listImages(dir).slice(0, limit)) samples.push({ [inputName]: await imageToTensor(file, options) });
  return samples;
}
