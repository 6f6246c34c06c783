// Pre-processing settings: explicit node configuration first, then the model's metadata_props, then defaults.
import type { TensorElementType, TensorLayout } from '../contract';
import { isPipelineError, PipelineError } from '../errors';
import { badSetting } from '../settings';
import type { DecoderChoice } from '../image/libraries';
import type { ModelInfo } from '../onnx';
import { inputGeometryFromModel, type ModelInputGeometry, type ResizeMode } from './geometry';

export type ColorOrder = 'RGB' | 'BGR';
export type Triple = [number, number, number];

export interface PreprocessOptions {
  /** Tensor plane size. */
  width: number;
  height: number;
  resize: ResizeMode;
  /** Letterbox colour in pixel values (0…255), RGB. */
  padColor: Triple;
  colorOrder: ColorOrder;
  layout: TensorLayout;
  type: TensorElementType;
  /** float32 element = (pixel × scale − mean[c]) / std[c], with c in the tensor's channel order. Unused for uint8. */
  scale: number;
  mean: Triple;
  std: Triple;
  /** Library that resizes: sharp (native) or jimp (pure JS). */
  resizer: DecoderChoice;
  /** Model input name, when known. */
  name?: string;
}

/** What a node or caller sets explicitly; anything absent comes from the model or the defaults. */
export type ExplicitOptions = Partial<Omit<PreprocessOptions, 'layout'>> & { layout?: TensorLayout | 'auto'; inputName?: string };

export const DEFAULT_PREPROCESS: Omit<PreprocessOptions, 'width' | 'height'> = {
  resize: 'fill',
  padColor: [114, 114, 114],
  colorOrder: 'RGB',
  layout: 'NCHW',
  type: 'float32',
  scale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  resizer: 'auto',
};

function badMetadata(key: string, value: string, expected: string): PipelineError {
  return new PipelineError('bad-metadata', `the model's metadata "${key}" is ${JSON.stringify(value)}; expected ${expected}`, { key, value: JSON.stringify(value), expected });
}

function parseJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value.trim(); // bare words such as BGR
  }
}

function triple(key: string, value: string): Triple {
  const parsed = parseJson(key, value);
  const list = typeof parsed === 'number' ? [parsed, parsed, parsed] : parsed;
  if (!Array.isArray(list) || list.length !== 3 || !list.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw badMetadata(key, value, 'a JSON number or an array of 3 numbers');
  }
  return list as Triple;
}

/** Pre-processing hints in a model's metadata_props: mean, std, scale, color_order, input_size (JSON). */
export function optionsFromMetadata(metadata: Record<string, string>): Partial<PreprocessOptions> {
  const found: Partial<PreprocessOptions> = {};
  if (metadata.mean !== undefined) found.mean = triple('mean', metadata.mean);
  if (metadata.std !== undefined) {
    found.std = triple('std', metadata.std);
    if (found.std.some((s) => s === 0)) throw badMetadata('std', metadata.std, 'non-zero values');
  }
  if (metadata.scale !== undefined) {
    const scale = parseJson('scale', metadata.scale);
    if (typeof scale !== 'number' || !Number.isFinite(scale)) throw badMetadata('scale', metadata.scale, 'a JSON number such as 0.00392156862745098');
    found.scale = scale;
  }
  if (metadata.color_order !== undefined) {
    const order = String(parseJson('color_order', metadata.color_order)).toUpperCase();
    if (order !== 'RGB' && order !== 'BGR') throw badMetadata('color_order', metadata.color_order, '"RGB" or "BGR"');
    found.colorOrder = order;
  }
  if (metadata.input_size !== undefined) {
    // A number (square), [height, width] as in array shapes, or {"width": w, "height": h}.
    const size = parseJson('input_size', metadata.input_size) as unknown;
    const pair = typeof size === 'number' ? [size, size]
      : Array.isArray(size) && size.length === 2 ? size
      : size && typeof size === 'object' ? [(size as Record<string, unknown>).height, (size as Record<string, unknown>).width]
      : [];
    if (!pair.every((v) => Number.isInteger(v) && (v as number) > 0) || pair.length !== 2) {
      throw badMetadata('input_size', metadata.input_size, 'a positive integer, [height, width] or {"width": w, "height": h}');
    }
    [found.height, found.width] = pair as [number, number];
  }
  return found;
}

/**
 * Complete options for one model (or none): explicit settings win over the model's metadata, which wins over
 * the defaults; the size comes from the model's input when fixed, else the explicit size, else metadata input_size.
 * inputName, width and height in `explicit` select the input and size rather than overriding them.
 */
export function resolvePreprocessOptions(explicit: ExplicitOptions, model?: ModelInfo): PreprocessOptions {
  const defined = Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined)) as ExplicitOptions;
  if (!model) {
    if (defined.width === undefined || defined.height === undefined) {
      throw new PipelineError('no-size', 'no tensor size: set width and height, or select a model', {});
    }
    const { inputName, layout, ...overrides } = defined;
    const fixedLayout = layout === 'auto' || layout === undefined ? DEFAULT_PREPROCESS.layout : layout;
    return { ...DEFAULT_PREPROCESS, ...overrides, layout: fixedLayout, width: defined.width, height: defined.height, ...(inputName ? { name: inputName } : {}) };
  }
  const { width: hintWidth, height: hintHeight, ...hints } = optionsFromMetadata(model.metadata);
  const layout = defined.layout ?? 'auto';
  const explicitSize = defined.width !== undefined && defined.height !== undefined ? { width: defined.width, height: defined.height } : {};
  let input: ModelInputGeometry;
  try {
    input = inputGeometryFromModel(model, layout, { inputName: defined.inputName, ...explicitSize });
  } catch (err) {
    // metadata input_size only stands in for symbolic dims, it never overrides fixed ones
    const canUseHint = isPipelineError(err) && err.code === 'symbolic-size' && !('width' in explicitSize) && hintWidth && hintHeight;
    if (!canUseHint) throw err;
    input = inputGeometryFromModel(model, layout, { inputName: defined.inputName, width: hintWidth, height: hintHeight });
  }
  const { inputName: _selected, ...overrides } = defined;
  return {
    ...DEFAULT_PREPROCESS,
    type: input.type,
    ...hints,
    ...overrides,
    layout: input.layout,
    width: input.width,
    height: input.height,
    name: input.name,
  };
}

/** Parses a number typed by a user: "0.5", "1/255". */
export function parseScale(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const fraction = /^([\d.]+)\s*\/\s*([\d.]+)$/.exec(trimmed);
  const value = fraction ? Number(fraction[1]) / Number(fraction[2]) : Number(trimmed);
  if (!Number.isFinite(value)) throw badSetting('scale', 'number (e.g. 1/255 or 0.5)', text);
  return value;
}

/** Parses "0.485, 0.456, 0.406" (or a single value for all three channels). */
export function parseTriple(text: string, option: string): Triple | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const values = trimmed.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean).map(Number);
  const list = values.length === 1 ? [values[0]!, values[0]!, values[0]!] : values;
  if (list.length !== 3 || !list.every(Number.isFinite)) {
    throw badSetting(option, 'one number or three comma-separated numbers', text);
  }
  return list as Triple;
}

/** Parses "#727272", "#777" or "114,114,114" into RGB. */
export function parseColor(text: string, setting = 'colour'): Triple | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const hex = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(trimmed);
  if (hex) {
    const digits = hex[1]!.length === 3 ? hex[1]!.replace(/./g, '$&$&') : hex[1]!;
    return [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16)) as Triple;
  }
  const list = parseTriple(trimmed, setting);
  if (!list || !list.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw badSetting(setting, '#rrggbb or three numbers 0…255', text);
  }
  return list;
}
