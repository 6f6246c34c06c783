// Static quantization in QDQ form: QuantizeLinear/DequantizeLinear pairs around the operators ONNX Runtime fuses
// into integer kernels, int8 weights, int32 biases, ReLU/Clip folded into the output range.
import { onnx, makeNode, makeTensor } from '../onnx';
import { GraphIndex, NameAllocator, attributeFloat, attributeInt, dimsOf, floatValues } from './graph';
import {
  FULL_WEIGHT_LEVELS, REDUCED_WEIGHT_LEVELS, asymmetricParams, integerRange, quantizeBias, quantizeValues, quantizeWeightsPerChannel, symmetricParams,
  type QuantParams, type QuantRange, type QuantType,
} from './math';
import { correctedBias } from './bias-correction';
import { dataInputIndices, dataOutputIndices, opRole } from './ops';

export interface StaticOptions {
  /** One weight scale per output channel for Conv (needs opset 13), else one per tensor. */
  perChannel: boolean;
  activationType: QuantType;
  /** Node names or operator types kept in float. */
  exclude: string[];
  /** 7-bit weights (see cpu.ts). */
  reduceRange?: boolean;
  /** int8 (default) or uint8 weights (zero point 128): ORT then uses its u8u8 kernels, which never saturate. */
  weightType?: QuantType;
  /** Mean per channel of Conv inputs (calibration): Conv biases then absorb the weight-rounding shift. */
  inputMeans?: Map<string, Float64Array>;
}

export interface StaticReport {
  /** Quantized nodes per operator type. */
  quantizedOps: Record<string, number>;
  /** Relu/Clip nodes folded into the preceding output's range. */
  foldedActivations: number;
  /** Mul/Add-by-constant nodes folded into a dequantizer's scale and zero point. */
  foldedAffine: number;
  /** Activation tensors given a QuantizeLinear/DequantizeLinear pair. */
  quantizedTensors: number;
  /** Names of the quantized compute nodes (not data movement): what accuracy tuning may keep in float. */
  quantizedNodes: { name: string; opType: string }[];
  /** Convs whose bias absorbed the weight-rounding shift (inputMeans). */
  correctedBiases: number;
}

const FLOAT_INPUT_CHANNELS = 4;

interface ActivationFold { node: onnx.INodeProto; range: QuantRange }

function isExcluded(node: onnx.INodeProto, exclude: Set<string>): boolean {
  return exclude.has(String(node.name)) || exclude.has(String(node.opType));
}

function candidates(index: GraphIndex, exclude: Set<string>): onnx.INodeProto[] {
  return (index.graph.node ?? []).filter((node) => {
    const role = opRole(node);
    if (!role || isExcluded(node, exclude)) return false;
    if (node.opType === 'MaxPool' && (node.output ?? []).filter(Boolean).length > 1) return false;
    if (role === 'conv') {
      const weight = index.initializers.get(node.input?.[1] ?? '');
      if (!weight || index.constantFloats(weight.name ?? '') === undefined) return false;
      // A first layer on 3–4 image channels is slower in int8 (ORT's im2col path) and the most error-sensitive.
      return !(attributeInt(node, 'group', 1) === 1 && (dimsOf(weight)[1] ?? 0) <= FLOAT_INPUT_CHANNELS);
    }
    if (role === 'gemm') {
      const bias = node.input?.[2];
      if (!bias) return true;
      const t = index.initializers.get(bias);
      return !!t && dimsOf(t).length === 1 && attributeFloat(node, 'beta', 1) === 1 && attributeFloat(node, 'alpha', 1) === 1;
    }
    if (role === 'shared' || role === 'unary') return !index.isConstant(node.input?.[0] ?? '');
    return true;
  });
}

/** A Relu, or a Clip from 0, that alone consumes `node`'s output: the output quantizer can do its job. */
function foldableActivation(node: onnx.INodeProto, index: GraphIndex, exclude: Set<string>): ActivationFold | undefined {
  const role = opRole(node);
  if (role !== 'conv' && role !== 'gemm' && role !== 'combine') return undefined;
  const output = node.output?.[0] ?? '';
  const users = index.consumersOf(output);
  if (users.length !== 1 || index.graphOutputs.has(output)) return undefined;
  const next = users[0]!;
  if ((next.domain && next.domain !== 'ai.onnx') || isExcluded(next, exclude)) return undefined;
  if (next.opType === 'Relu') return { node: next, range: { min: 0, max: Infinity } };
  if (next.opType !== 'Clip') return undefined;
  const minName = next.input?.[1];
  const maxName = next.input?.[2];
  const min = minName ? index.constantFloats(minName)?.[0] : attributeFloat(next, 'min', -Infinity);
  const max = maxName ? index.constantFloats(maxName)?.[0] : (minName === undefined ? attributeFloat(next, 'max', Infinity) : Infinity);
  if (min !== 0 || max === undefined) return undefined;
  return { node: next, range: { min: 0, max } };
}

interface AffineChain { nodes: onnx.INodeProto[]; output: string; scale: number; shift: number }

/**
 * Mul/Add by positive scalar constants after a quantized output (LearnableAffineBlocks, HardSwish's 1/6): the
 * chain y = A·x + B becomes the dequantizer's scale A·s and zero point z − B/(A·s) instead of integer ops.
 */
function affineChain(node: onnx.INodeProto, index: GraphIndex, exclude: Set<string>): AffineChain | undefined {
  const role = opRole(node);
  if (!role || role === 'shared') return undefined;
  const chain: onnx.INodeProto[] = [];
  let scale = 1;
  let shift = 0;
  let tensor = node.output?.[0] ?? '';
  for (;;) {
    const users = index.consumersOf(tensor);
    if (users.length !== 1 || index.graphOutputs.has(tensor)) break;
    const next = users[0]!;
    if ((next.opType !== 'Mul' && next.opType !== 'Add') || (next.domain && next.domain !== 'ai.onnx') || isExcluded(next, exclude)) break;
    const other = next.input?.[0] === tensor ? next.input?.[1] : next.input?.[0];
    const constant = other ? index.constantFloats(other) : undefined;
    if (!constant || constant.length !== 1) break;
    const c = constant[0]!;
    if (next.opType === 'Mul') {
      if (!(c > 0)) break;
      scale *= c;
      shift *= c;
    } else {
      shift += c;
    }
    chain.push(next);
    tensor = next.output![0]!;
  }
  if (chain.length === 0) return undefined;
  // A Relu/Clip after the chain needs a real quantizer output to fold into; leave such chains alone.
  if (index.consumersOf(tensor).some((n) => n.opType === 'Relu' || n.opType === 'Clip')) return undefined;
  return { nodes: chain, output: tensor, scale, shift };
}

/** Tensors whose ranges the static quantizer needs: data inputs and outputs of the nodes it may quantize. */
export function tensorsToCalibrate(model: onnx.IModelProto, options: Pick<StaticOptions, 'exclude'>): string[] {
  const index = new GraphIndex(model.graph!);
  const exclude = new Set(options.exclude);
  const names = new Set<string>();
  for (const node of candidates(index, exclude)) {
    for (const i of dataInputIndices(node)) {
      const name = node.input?.[i];
      if (name && !index.isConstant(name)) names.add(name);
    }
    for (const i of dataOutputIndices(node)) if (node.output?.[i]) names.add(node.output[i]!);
    const fold = foldableActivation(node, index, exclude);
    if (fold) names.add(fold.node.output![0]!);
  }
  return [...names];
}

function scalarTensor(name: string, type: 'float32' | QuantType | 'int32', value: number): onnx.ITensorProto {
  return makeTensor(name, type, [], [value]);
}

/** Rewrites `model` in place. `ranges` come from calibration; tensors without one stay float. */
export function quantizeStatic(model: onnx.IModelProto, ranges: Map<string, QuantRange>, options: StaticOptions): StaticReport {
  const graph = model.graph!;
  const exclude = new Set(options.exclude);
  const names = new NameAllocator(graph);
  let index = new GraphIndex(graph);
  const report: StaticReport = { quantizedOps: {}, foldedActivations: 0, foldedAffine: 0, quantizedTensors: 0, quantizedNodes: [], correctedBiases: 0 };

  const isData = (name: string) => ranges.has(name) || index.constantFloats(name) !== undefined;
  const quantizable = (node: onnx.INodeProto) =>
    dataInputIndices(node).every((i) => !node.input?.[i] || isData(node.input[i]!)) &&
    dataOutputIndices(node).every((i) => !node.output?.[i] || ranges.has(node.output[i]!));

  // Fold activations first: the producer takes over the activation's output (whose calibrated range is clipped).
  const clamps = new Map<string, QuantRange>();
  const removed = new Set<onnx.INodeProto>();
  const candidateSet = new Set(candidates(index, exclude));
  // The clamp lives in the QuantizeLinear alone: ORT drops a Q/DQ pair that feeds float nodes or a graph output,
  // so fold only where every consumer of the activation's output is itself quantized.
  const quantizedConsumers = (tensor: string) => !index.graphOutputs.has(tensor) && index.consumersOf(tensor).length > 0
    && index.consumersOf(tensor).every((c) => candidateSet.has(c) && quantizable(c));
  for (const node of candidateSet) {
    const fold = foldableActivation(node, index, exclude);
    const folded = fold?.node.output?.[0];
    if (!fold || !folded || !ranges.has(folded) || !quantizedConsumers(folded) || !dataInputIndices(node).every((i) => !node.input?.[i] || isData(node.input[i]!))) continue;
    node.output![0] = folded;
    removed.add(fold.node);
    clamps.set(folded, fold.range);
    report.foldedActivations++;
  }
  graph.node = (graph.node ?? []).filter((n) => !removed.has(n));
  index = new GraphIndex(graph);

  // What consumers see (DQ) and, where an affine chain was folded, what the producer's Q uses.
  const params = new Map<string, QuantParams>();
  const quantizeSide = new Map<string, QuantParams>();
  for (const node of candidates(index, exclude)) {
    if (!quantizable(node) || removed.has(node)) continue;
    const chain = affineChain(node, index, exclude);
    const source = node.output?.[0] ?? '';
    if (!chain || !ranges.has(chain.output) || clamps.has(source)) continue;
    const produced = asymmetricParams(ranges.get(source)!, options.activationType);
    const scale = Math.fround(produced.scale * chain.scale);
    const zeroPoint = Math.round(produced.zeroPoint - chain.shift / scale);
    const { qmin, qmax } = integerRange(options.activationType, false);
    if (zeroPoint < qmin || zeroPoint > qmax) continue;
    for (const n of chain.nodes) removed.add(n);
    node.output![0] = chain.output;
    params.set(chain.output, { scale, zeroPoint, type: options.activationType });
    quantizeSide.set(chain.output, produced);
    report.foldedAffine += chain.nodes.length;
  }
  graph.node = (graph.node ?? []).filter((n) => !removed.has(n));
  index = new GraphIndex(graph);

  const selected = candidates(index, exclude).filter(quantizable);
  const paramsOf = (name: string): QuantParams => {
    let p = params.get(name);
    if (!p) {
      const observed = ranges.get(name)!;
      const clamp = clamps.get(name);
      const range = clamp ? { min: Math.max(observed.min, clamp.min), max: Math.min(observed.max, clamp.max) } : observed;
      p = asymmetricParams(range, options.activationType);
      params.set(name, p);
    }
    return p;
  };
  for (const node of selected) {
    for (const i of dataInputIndices(node)) {
      const name = node.input?.[i];
      if (name && !index.isConstant(name)) paramsOf(name);
    }
    for (const i of dataOutputIndices(node)) {
      const out = node.output?.[i];
      // Data-movement ops keep their input's scale so ORT can drop the pair and move int8 data.
      if (out) params.set(out, opRole(node) === 'shared' ? paramsOf(node.input![0]!) : paramsOf(out));
    }
    report.quantizedOps[String(node.opType)] = (report.quantizedOps[String(node.opType)] ?? 0) + 1;
    if (opRole(node) !== 'shared' && node.name) report.quantizedNodes.push({ name: node.name, opType: String(node.opType) });
  }

  const newInitializers: onnx.ITensorProto[] = [];
  const prefixNodes: onnx.INodeProto[] = [];
  const after = new Map<onnx.INodeProto, onnx.INodeProto[]>();
  const selectedSet = new Set(selected);
  const renames = new Map<string, string>();

  const quantParamsTensors = (base: string, p: QuantParams): [string, string] => {
    const scale = names.make(`${base}/s`);
    const zeroPoint = names.make(`${base}/z`);
    newInitializers.push(scalarTensor(scale, 'float32', p.scale), scalarTensor(zeroPoint, p.type, p.zeroPoint));
    return [scale, zeroPoint];
  };

  for (const [name, p] of params) {
    const [scale, zeroPoint] = quantParamsTensors(name, p);
    const quantized = names.make(`${name}/q`);
    const producer = index.producers.get(name);
    const producerSide = quantizeSide.get(name);
    if (producer && (selectedSet.has(producer) || !index.graphOutputs.has(name))) {
      const [qScale, qZeroPoint] = producerSide ? quantParamsTensors(`${name}/src`, producerSide) : [scale, zeroPoint];
      // Producer side: the DQ output keeps the name, so every consumer and graph output reads it unchanged.
      const preQuant = names.make(`${name}/f`);
      producer.output = producer.output!.map((o) => (o === name ? preQuant : o));
      const list = after.get(producer) ?? [];
      list.push(
        makeNode('QuantizeLinear', [preQuant, qScale, qZeroPoint], [quantized], {}, ''),
        makeNode('DequantizeLinear', [quantized, scale, zeroPoint], [name], {}, ''),
      );
      after.set(producer, list);
    } else {
      // Graph inputs, and outputs of float nodes that are also graph outputs: consumers read a new name.
      const dequantized = names.make(`${name}/d`);
      const nodes = [
        makeNode('QuantizeLinear', [name, scale, zeroPoint], [quantized], {}, ''),
        makeNode('DequantizeLinear', [quantized, scale, zeroPoint], [dequantized], {}, ''),
      ];
      if (producer) after.set(producer, [...(after.get(producer) ?? []), ...nodes]);
      else prefixNodes.push(...nodes);
      renames.set(name, dequantized);
    }
    report.quantizedTensors++;
  }
  const originals = new Map([...renames].map(([from, to]) => [to, from]));
  const originalName = (name: string) => originals.get(name) ?? name;
  if (renames.size > 0) {
    for (const node of graph.node ?? []) {
      if (!selectedSet.has(node)) continue;
      node.input = node.input!.map((i) => renames.get(i) ?? i);
    }
  }

  const weightType = options.weightType ?? 'int8';
  const weightLevels = options.reduceRange && weightType === 'int8' ? REDUCED_WEIGHT_LEVELS : FULL_WEIGHT_LEVELS;
  const dequantizeConstant = (node: onnx.INodeProto, slot: number, kind: 'weight' | 'data') => {
    const name = node.input![slot]!;
    const tensor = index.initializers.get(name)!;
    const values = floatValues(tensor);
    const dims = dimsOf(tensor);
    const base = name;
    const perChannel = kind === 'weight' && options.perChannel && opRole(node) === 'conv' && dims.length > 1;
    const quantizedName = names.make(`${base}/q`);
    const output = names.make(`${base}/d`);
    let scales: Float32Array;
    let signed: Int8Array;
    if (perChannel) {
      const w = quantizeWeightsPerChannel(values, dims, 0, weightLevels);
      scales = w.scales;
      signed = w.values;
      const scale = names.make(`${base}/s`);
      const zeroPoint = names.make(`${base}/z`);
      const unsigned = weightType === 'uint8';
      newInitializers.push(
        makeTensor(quantizedName, weightType, dims, unsigned ? Uint8Array.from(w.values, (v) => v + 128) : w.values),
        makeTensor(scale, 'float32', [scales.length], scales),
        makeTensor(zeroPoint, weightType, [scales.length], new Uint8Array(scales.length).fill(unsigned ? 128 : 0)),
      );
      prefixNodes.push(makeNode('DequantizeLinear', [quantizedName, scale, zeroPoint], [output], { axis: 0 }, ''));
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) { if (v < min) min = v; if (v > max) max = v; }
      const p = kind === 'weight' ? symmetricParams({ min, max }, weightType, weightLevels) : asymmetricParams({ min, max }, options.activationType);
      scales = Float32Array.of(p.scale);
      const quantized = quantizeValues(values, p, kind === 'weight');
      signed = Int8Array.from(quantized, (v) => v - p.zeroPoint);
      newInitializers.push(makeTensor(quantizedName, p.type, dims, quantized));
      const [scale, zeroPoint] = quantParamsTensors(base, p);
      prefixNodes.push(makeNode('DequantizeLinear', [quantizedName, scale, zeroPoint], [output], {}, ''));
    }
    node.input![slot] = output;
    return { scales, signed, values, dims };
  };

  const dequantizeBias = (node: onnx.INodeProto, inputScale: number, weightScales: Float32Array, floatBias = index.constantFloats(node.input![2]!)!) => {
    const name = node.input![2]!;
    const bias = quantizeBias(floatBias, inputScale, weightScales);
    const base = name;
    const quantizedName = names.make(`${base}/q`);
    const output = names.make(`${base}/d`);
    const perChannel = weightScales.length > 1;
    const scale = names.make(`${base}/s`);
    newInitializers.push(
      makeTensor(quantizedName, 'int32', [bias.values.length], bias.values),
      perChannel ? makeTensor(scale, 'float32', [bias.scales.length], bias.scales) : scalarTensor(scale, 'float32', bias.scales[0]!),
    );
    prefixNodes.push(makeNode('DequantizeLinear', [quantizedName, scale], [output], perChannel ? { axis: 0 } : {}, ''));
    node.input![2] = output;
  };

  for (const node of selected) {
    const role = opRole(node)!;
    const inputScale = params.get(originalName(node.input![0]!))?.scale;
    if (role === 'conv' || role === 'gemm') {
      const weightName = node.input![1]!;
      const weights = index.isConstant(weightName) ? dequantizeConstant(node, 1, 'weight') : undefined;
      const weightScales = weights?.scales ?? Float32Array.of(params.get(originalName(weightName))!.scale);
      const means = role === 'conv' && weights ? options.inputMeans?.get(originalName(node.input![0]!)) : undefined;
      if (means && weights && inputScale !== undefined) {
        const bias = node.input![2] ? index.constantFloats(node.input![2])! : undefined;
        const corrected = correctedBias(bias, { values: weights.values, dims: weights.dims, group: attributeInt(node, 'group', 1) }, weights.signed, weightScales, means);
        if (!bias) node.input![2] = names.make(`${node.name || weightName}/bias`);
        dequantizeBias(node, inputScale, weightScales, corrected);
        report.correctedBiases++;
      } else if (node.input![2] && inputScale !== undefined) dequantizeBias(node, inputScale, weightScales);
    } else if (role === 'combine') {
      for (let i = 0; i < node.input!.length; i++) {
        if (!index.isConstant(node.input![i]!)) continue;
        dequantizeConstant(node, i, node.opType === 'MatMul' && i === 1 ? 'weight' : 'data');
      }
    }
  }

  graph.node = [...prefixNodes, ...(graph.node ?? []).flatMap((n) => [n, ...(after.get(n) ?? [])])];
  const used = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
  graph.initializer = [...(graph.initializer ?? []).filter((t) => used.has(t.name ?? '')), ...newInitializers];
  return report;
}

