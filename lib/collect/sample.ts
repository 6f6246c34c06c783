// One collected sample as files: the picture as received, the predicted class map as an 8-bit grey PNG
// (pixel = class index, the training recipe's mask format) and sample.json with the prediction and provenance.
import type { ConditionResult, ImageData, SegmentationResult } from '../contract';
import { PipelineError } from '../errors';
import { loadJimp, trySharp } from '../image/libraries';
import type { Uncertainty } from './uncertainty';

export const CLASS_MAP_FILE = 'classmap.png';
const EXTENSIONS: Record<string, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', tiff: 'tif', gif: 'gif', avif: 'avif' };

export interface SampleInput {
  image: ImageData;
  segmentation: SegmentationResult;
  condition?: ConditionResult;
  assetId?: string;
  model?: { name?: string; version?: string };
  flow?: { name?: string; version?: string };
  rule: { index: number; kind: string; reason: string };
  uncertainty?: Uncertainty;
}

/** Grey PNG of the class map; sharp when it loads, else jimp (grey written into R, G and B). */
export async function classMapPng(segmentation: Pick<SegmentationResult, 'classMap' | 'width' | 'height'>): Promise<Buffer> {
  const { classMap, width, height } = segmentation;
  const sharp = trySharp().module;
  if (sharp) return sharp(classMap, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  const { Jimp } = loadJimp();
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.fill(classMap[i]!, i * 4, i * 4 + 3).writeUInt8(255, i * 4 + 3);
  return new Jimp({ data: rgba, width, height }).getBuffer('image/png');
}

async function rawToPng(image: ImageData): Promise<Buffer> {
  const sharp = trySharp().module;
  if (sharp) return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).png().toBuffer();
  const { Jimp } = loadJimp();
  const rgba = Buffer.alloc(image.width * image.height * 4, 255);
  for (let i = 0; i < image.width * image.height; i++) image.data.copy(rgba, i * 4, i * image.channels, i * image.channels + 3);
  return new Jimp({ data: rgba, width: image.width, height: image.height }).getBuffer('image/png');
}

export function checkSampleInput(image: unknown, segmentation: unknown): asserts segmentation is SegmentationResult {
  const seg = segmentation as Partial<SegmentationResult> | undefined;
  if (!seg || !Buffer.isBuffer(seg.classMap) || !(Number(seg.width) > 0) || !(Number(seg.height) > 0) || !Array.isArray(seg.labels)) {
    throw new PipelineError('no-segmentation', 'msg.segmentation is missing or incomplete: place mlops-collect after mlops-segment (or mlops-condition)', {});
  }
  if (seg.classMap.length !== seg.width! * seg.height!) throw new PipelineError('bad-segmentation', `msg.segmentation.classMap holds ${seg.classMap.length} bytes, width × height is ${seg.width! * seg.height!}`, {});
  const img = image as Partial<ImageData> | undefined;
  if (!img || !Buffer.isBuffer(img.data) || !(Number(img.width) > 0)) throw new PipelineError('no-image', 'msg.image is missing: keep msg.image from mlops-image, the picture is what gets labelled', {});
}

export async function sampleFiles(input: SampleInput, time: Date): Promise<{ files: Record<string, Buffer>; meta: Record<string, unknown> }> {
  const { image, segmentation, condition } = input;
  const format = (image.format ?? '').toLowerCase();
  const picture = image.encoded && EXTENSIONS[format] ? { name: `picture.${EXTENSIONS[format]}`, data: image.encoded } : { name: 'picture.png', data: await rawToPng(image) };
  const files = { [picture.name]: picture.data, [CLASS_MAP_FILE]: await classMapPng(segmentation) };
  const meta = {
    time: time.toISOString(),
    assetId: input.assetId ?? condition?.assetId,
    picture: picture.name,
    classMap: CLASS_MAP_FILE,
    width: segmentation.width,
    height: segmentation.height,
    labels: segmentation.labels,
    colors: segmentation.colors,
    classes: segmentation.classes?.map((c) => ({ label: c.label, pixels: c.pixels, ratio: c.ratio })),
    condition: condition ? { state: condition.state, reasons: condition.reasons, ratios: condition.ratios, score: condition.score } : undefined,
    rule: input.rule,
    uncertainty: input.uncertainty,
    model: input.model,
    flow: input.flow,
    /** The prediction is a pseudo-label: someone reviews it before it trains a model. */
    reviewed: false,
  };
  return { files, meta };
}
