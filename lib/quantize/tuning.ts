// Accuracy-driven quantization: which quantized nodes cost the most agreement, and keeping the worst in float one
// by one until the agreement target is met. Sensitivity of a node = the agreement gained on held-out inputs when
// that node alone stays float (all else quantized), so interactions with the rest of the int8 graph count.
import type * as OrtTypes from 'onnxruntime-node';
import { readModelInfo } from '../onnx';
import { AgreementMeter, selectOutputs, shapeHints, worstScore, type JudgingOptions, type OutputAgreement } from './agreement';
import type { CalibrationSample } from './calibrate';
import { compareLatency, feeds, floatData } from './evaluate';

export interface SensitivityEntry {
  node: string;
  opType: string;
  /** Agreement on the held-out inputs with this node alone kept in float. */
  score: number;
  /** score − the agreement of the fully quantized model. */
  gain: number;
}

export interface TradeOffStep {
  /** Nodes kept in float at this step (cumulative, most sensitive first). */
  floatNodes: string[];
  agreement: number;
  /** Float latency / int8 latency, 1 thread, median of a few interleaved runs on one held-out input. */
  speedup: number;
}

export interface TuningResult {
  target: number;
  metric: OutputAgreement['metric'];
  /** Inputs held out of calibration and used to judge; false when too few inputs to hold any out. */
  heldOut: number;
  met: boolean;
  /** Nodes the chosen step keeps in float. */
  floatNodes: string[];
  achieved: number;
  steps: TradeOffStep[];
  /** The most sensitive nodes, worst first (at most 12). */
  sensitivity: SensitivityEntry[];
  /** Nodes measured. */
  measured: number;
}

export interface TuningOptions extends JudgingOptions {
  target: number;
  /** Most nodes kept in float (default 12). */
  maxFloatNodes?: number;
  /** Latency runs per step (default 5). */
  latencyRuns?: number;
  onProgress?: (stage: 'sensitivity' | 'tune', done: number, total: number) => void;
}

type Ort = typeof OrtTypes;

/** Reference outputs of the float model, kept so every candidate is compared without running it again. */
async function referenceOutputs(ort: Ort, floatModel: Uint8Array, samples: CalibrationSample[], outputs: JudgingOptions['outputs']) {
  const session = await ort.InferenceSession.create(floatModel);
  try {
    const names = selectOutputs(session.outputNames, outputs);
    const results: { name: string; data: Float32Array; dims: readonly number[] }[][] = [];
    for (const sample of samples) {
      const out = await session.run(feeds(ort, sample, session), names);
      results.push(names.flatMap((name) => {
        const data = floatData(out[name]!);
        return data ? [{ name, data, dims: out[name]!.dims }] : [];
      }));
    }
    return { names, results };
  } finally {
    await session.release();
  }
}

export async function tuneForAgreement(
  floatModel: Uint8Array,
  /** Quantizes with these nodes (in addition to the user's exclusions) kept in float. */
  build: (floatNodes: string[]) => Uint8Array,
  candidates: { name: string; opType: string }[],
  heldOut: CalibrationSample[],
  heldOutCount: number,
  options: TuningOptions,
): Promise<TuningResult> {
  const ort = await import('onnxruntime-node');
  const hints = shapeHints(readModelInfo(floatModel));
  const reference = await referenceOutputs(ort, floatModel, heldOut, options.outputs);
  let metric: OutputAgreement['metric'] = 'cosine';
  const agreementOf = async (bytes: Uint8Array): Promise<number> => {
    const session = await ort.InferenceSession.create(bytes);
    const meter = new AgreementMeter(options.threshold ?? 0.5, hints);
    try {
      for (const [i, sample] of heldOut.entries()) {
        const out = await session.run(feeds(ort, sample, session), reference.names);
        for (const ref of reference.results[i]!) {
          const data = out[ref.name] ? floatData(out[ref.name]!) : undefined;
          if (data) meter.add(ref.name, ref.data, data, ref.dims);
        }
      }
    } finally {
      await session.release();
    }
    const results = meter.results();
    metric = results.reduce((worst, a) => (a.score < worst.score ? a : worst), results[0]!).metric;
    return worstScore(results);
  };
  const speedupOf = async (bytes: Uint8Array) =>
    (await compareLatency(floatModel, bytes, heldOut[0]!, { threads: 1, runs: options.latencyRuns ?? 5 })).speedup;

  const baselineModel = build([]);
  const baseline = await agreementOf(baselineModel);
  const steps: TradeOffStep[] = [{ floatNodes: [], agreement: baseline, speedup: await speedupOf(baselineModel) }];
  const result = (chosen: TradeOffStep, sensitivity: SensitivityEntry[], measured: number): TuningResult => ({
    target: options.target, metric, heldOut: heldOutCount, met: chosen.agreement >= options.target,
    floatNodes: chosen.floatNodes, achieved: chosen.agreement, steps, sensitivity: sensitivity.slice(0, 12), measured,
  });
  if (baseline >= options.target) return result(steps[0]!, [], 0);

  const sensitivity: SensitivityEntry[] = [];
  for (const [i, node] of candidates.entries()) {
    const score = await agreementOf(build([node.name]));
    sensitivity.push({ node: node.name, opType: node.opType, score, gain: score - baseline });
    options.onProgress?.('sensitivity', i + 1, candidates.length);
  }
  sensitivity.sort((a, b) => b.gain - a.gain);
  const helpful = sensitivity.filter((s) => s.gain > 0);
  const limit = Math.min(options.maxFloatNodes ?? 12, helpful.length);
  for (let k = 1; k <= limit; k++) {
    const floatNodes = helpful.slice(0, k).map((s) => s.node);
    const bytes = build(floatNodes);
    const step = { floatNodes, agreement: await agreementOf(bytes), speedup: await speedupOf(bytes) };
    steps.push(step);
    options.onProgress?.('tune', k, limit);
    if (step.agreement >= options.target) break;
  }
  const met = steps.find((s) => s.agreement >= options.target);
  const best = met ?? steps.reduce((a, b) => (b.agreement > a.agreement ? b : a));
  return result(best, sensitivity, candidates.length);
}
