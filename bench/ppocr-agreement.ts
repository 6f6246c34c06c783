// PP-OCRv4 det int8 variants side by side, judged on rendered pictures that neither calibration nor any choice saw:
// calibration statistics are collected once per calibration set (cached in .cache/bench), then each variant
// (range method, bias correction, depthwise Convs in float) is built from them and compared with the float model.
// Exported for the bench runner; nothing runs on import.
import fs from 'node:fs';
import path from 'node:path';
import { decodeModel, encodeModel } from '../lib/onnx';
import { collectCalibrationStatistics, rangesFromHistograms, type CalibrationMethod, type CalibrationSample, type CalibrationStatistics } from '../lib/quantize/calibrate';
import { imageToTensor, resolvePreprocessing } from '../lib/quantize/calibration-images';
import { compareLatency, compareOutputs } from '../lib/quantize/evaluate';
import { attributeInt } from '../lib/quantize/graph';
import { Histogram } from '../lib/quantize/histogram';
import { prepareModel } from '../lib/quantize/preprocess';
import { tensorsToCalibrate } from '../lib/quantize/qdq';
import { quantizeStatic } from '../lib/quantize/qdq-plan';
import { PPOCR_DET_PATH } from './quantization';
import { renderTextImages } from './text-images';

export interface AgreementVariant {
  name: string;
  method?: CalibrationMethod;
  percentile?: number;
  biasCorrection?: boolean;
  /** Keep every depthwise Conv (group = channels > 1) in float. */
  depthwiseFloat?: boolean;
  /** Node names or operator types kept in float. */
  exclude?: string[];
  /** 7-bit weights (what x86 without VNNI gets); default 8. */
  weightBits?: 7 | 8;
  /** Measure the 1-thread speed-up too (interleaved runs). */
  latency?: boolean;
}

export interface AgreementRow {
  variant: AgreementVariant;
  iou: number;
  cosine: number;
  floatNodes: number;
  correctedBiases: number;
  speedup?: number;
}

export interface PpocrAgreementOptions {
  calibrationCount: number;
  evaluationCount: number;
  size?: number;
  cacheDir?: string;
  variants: AgreementVariant[];
  latencyRuns?: number;
  log?: (line: string) => void;
}

const IMAGENET = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };
/** Evaluation pictures use seeds far from the calibration ones, so the two sets never overlap. */
const EVALUATION_FIRST_SEED = 100001;

async function textSamples(count: number, size: number, firstSeed: number): Promise<CalibrationSample[]> {
  const prep = resolvePreprocessing(undefined, { width: size, height: size, ...IMAGENET, scale: 1 / 255, layout: 'NCHW' });
  const samples: CalibrationSample[] = [];
  for (const image of await renderTextImages(count, size, size, firstSeed)) samples.push({ x: await imageToTensor(image, prep) });
  return samples;
}

interface StoredHistogram { counts: number[]; min: number; max: number; lowest: number; highest: number }

function saveStatistics(file: string, stats: CalibrationStatistics): void {
  const histograms: Record<string, StoredHistogram> = {};
  for (const [name, h] of stats.histograms) histograms[name] = { counts: [...h.counts], min: h.min, max: h.max, lowest: h.lowest, highest: h.highest };
  const channelMeans = Object.fromEntries([...stats.channelMeans].map(([name, m]) => [name, [...m]]));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ histograms, channelMeans }));
}

function loadStatistics(file: string): CalibrationStatistics {
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { histograms: Record<string, StoredHistogram>; channelMeans: Record<string, number[]> };
  const histograms = new Map<string, Histogram>();
  for (const [name, h] of Object.entries(stored.histograms)) {
    const hist = new Histogram(h.min, h.max, h.counts.length);
    hist.counts = Float64Array.from(h.counts);
    hist.lowest = h.lowest;
    hist.highest = h.highest;
    histograms.set(name, hist);
  }
  return { histograms, channelMeans: new Map(Object.entries(stored.channelMeans).map(([n, m]) => [n, Float64Array.from(m)])) };
}

export async function benchPpocrAgreement(options: PpocrAgreementOptions): Promise<{ rows: AgreementRow[]; calibrationSeconds: number; cached: boolean }> {
  const log = options.log ?? (() => {});
  const size = options.size ?? 640;
  const original = fs.readFileSync(PPOCR_DET_PATH);
  const prepared = await prepareModel(original, true);
  const tensors = tensorsToCalibrate(prepared.model, { exclude: [] });
  const convs = (prepared.model.graph?.node ?? []).filter((n) => n.opType === 'Conv');
  const cacheFile = path.join(options.cacheDir ?? path.resolve(__dirname, '..', '..', '.cache', 'bench'), `ppocr-stats-${options.calibrationCount}-${size}.json`);
  let stats: CalibrationStatistics;
  let calibrationSeconds = 0;
  const cached = fs.existsSync(cacheFile);
  if (cached) {
    stats = loadStatistics(cacheFile);
    log(`calibration statistics from ${cacheFile}`);
  } else {
    const calibration = await textSamples(options.calibrationCount, size, 1);
    const started = performance.now();
    stats = await collectCalibrationStatistics(prepared.bytes, tensors, calibration, {
      channelMeans: new Set(convs.map((n) => n.input![0]!)),
      onProgress: (done, total) => { if (done === total || done % 25 === 0) log(`  calibrate ${done}/${total}`); },
    });
    calibrationSeconds = (performance.now() - started) / 1000;
    saveStatistics(cacheFile, stats);
  }
  const evaluation = await textSamples(options.evaluationCount, size, EVALUATION_FIRST_SEED);
  const keepMinMax = new Set((prepared.model.graph?.output ?? []).map((o) => o.name ?? ''));
  const depthwise = convs.filter((n) => attributeInt(n, 'group', 1) > 1).map((n) => String(n.name));
  const rows: AgreementRow[] = [];
  for (const variant of options.variants) {
    const ranges = rangesFromHistograms(stats.histograms, { method: variant.method ?? 'percentile', percentile: variant.percentile, keepMinMax });
    const model = decodeModel(prepared.bytes);
    const floatNodes = [...(variant.depthwiseFloat ? depthwise : []), ...(variant.exclude ?? [])];
    const report = quantizeStatic(model, ranges, {
      perChannel: true, activationType: 'uint8', reduceRange: variant.weightBits === 7, exclude: floatNodes,
      ...(variant.biasCorrection ? { inputMeans: stats.channelMeans } : {}),
    });
    const int8 = encodeModel(model);
    const [agreement] = await compareOutputs(original, int8, evaluation, { threshold: 0.3 });
    const row: AgreementRow = { variant, iou: agreement!.iou ?? agreement!.score, cosine: agreement!.cosine, floatNodes: floatNodes.length, correctedBiases: report.correctedBiases };
    if (variant.latency) row.speedup = (await compareLatency(original, int8, evaluation[0]!, { threads: 1, runs: options.latencyRuns ?? 7 })).speedup;
    log(`  ${variant.name}: IoU ${row.iou.toFixed(4)}, cosine ${row.cosine.toFixed(4)}${row.speedup ? `, speed-up ${row.speedup.toFixed(2)}x (1T)` : ''}`);
    rows.push(row);
  }
  return { rows, calibrationSeconds, cached };
}
