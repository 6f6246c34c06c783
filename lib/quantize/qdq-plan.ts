// The static QDQ rewrite as named passes over one plan object (graph analysis: qdq.ts).
import { onnx, makeNode, makeTensor } from '../onnx';
import { GraphIndex, NameAllocator, attributeInt, dimsOf, floatValues } from './graph';
import { correctedBias } from './bias-correction';
import {
  FULL_WEIGHT_LEVELS, REDUCED_WEIGHT_LEVELS, asymmetricParams, integerRange, quantizeBias, quantizeValues, quantizeWeightsPerChannel, symmetricParams,
  type QuantParams, type QuantRange, type QuantType,
} from './math';
import { dataInputIndices, dataOutputIndices, opRole } from './ops';
import { affineChain, candidates, foldableActivation, type StaticOptions, type StaticReport } from './qdq';

function scalarTensor(name: string, type: 'float32' | QuantType | 'int32', value: number): onnx.ITensorProto {
  return makeTensor(name, type, [], [value]);
}

/**
 * What the passes of quantizeStatic share: the graph being rewritten, and what each pass decided for the next ones.
 * Passes in order: foldActivations → foldAffineChains → selectNodes → insertActivationPairs → quantizeConstants →
 * assemble.
 */
interface StaticPlan {
  readonly graph: onnx.IGraphProto;
  readonly ranges: Map<string, QuantRange>;
  readonly options: StaticOptions;
  readonly exclude: Set<string>;
  readonly names: NameAllocator;
  /** Rebuilt after each pass that removes nodes. */
  index: GraphIndex;
  readonly report: StaticReport;
  /** Nodes folded away (activations, affine chains). */
  readonly removed: Set<onnx.INodeProto>;
  /** Output ranges clamped by a folded Relu/Clip. */
  readonly clamps: Map<string, QuantRange>;
  /** Parameters of each quantized activation tensor: what its consumers see (DQ). Insertion order is output order. */
  readonly params: Map<string, QuantParams>;
  /** Where an affine chain was folded: what the producer's Q uses. */
  readonly quantizeSide: Map<string, QuantParams>;
  /** Nodes that run in int8, in graph order. */
  selected: onnx.INodeProto[];
  readonly newInitializers: onnx.ITensorProto[];
  /** Dequantizers of graph inputs and constants, placed before every node. */
  readonly prefixNodes: onnx.INodeProto[];
  /** Q/DQ pairs placed right after their producer. */
  readonly after: Map<onnx.INodeProto, onnx.INodeProto[]>;
  /** Graph inputs (and float outputs that are graph outputs) whose int8 consumers read a new DQ name: old → new. */
  readonly renames: Map<string, string>;
}

function isData(plan: StaticPlan, name: string): boolean {
  return plan.ranges.has(name) || plan.index.constantFloats(name) !== undefined;
}

function dataInputsKnown(plan: StaticPlan, node: onnx.INodeProto): boolean {
  return dataInputIndices(node).every((i) => !node.input?.[i] || isData(plan, node.input[i]!));
}

function quantizable(plan: StaticPlan, node: onnx.INodeProto): boolean {
  return dataInputsKnown(plan, node) && dataOutputIndices(node).every((i) => !node.output?.[i] || plan.ranges.has(node.output[i]!));
}

function dropRemoved(plan: StaticPlan): void {
  plan.graph.node = (plan.graph.node ?? []).filter((n) => !plan.removed.has(n));
  plan.index = new GraphIndex(plan.graph);
}

/** Pass 1: the producer takes over a folded Relu/Clip's output (whose calibrated range is clipped). */
function foldActivations(plan: StaticPlan): void {
  const { index, exclude, ranges } = plan;
  const candidateSet = new Set(candidates(index, exclude));
  // The clamp lives in the QuantizeLinear alone: ORT drops a Q/DQ pair that feeds float nodes or a graph output,
  // so fold only where every consumer of the activation's output is itself quantized.
  const quantizedConsumers = (tensor: string) => !index.graphOutputs.has(tensor) && index.consumersOf(tensor).length > 0
    && index.consumersOf(tensor).every((c) => candidateSet.has(c) && quantizable(plan, c));
  for (const node of candidateSet) {
    const fold = foldableActivation(node, index, exclude);
    const folded = fold?.node.output?.[0];
    if (!fold || !folded || !ranges.has(folded) || !quantizedConsumers(folded) || !dataInputsKnown(plan, node)) continue;
    node.output![0] = folded;
    plan.removed.add(fold.node);
    plan.clamps.set(folded, fold.range);
    plan.report.foldedActivations++;
  }
  dropRemoved(plan);
}

/** Pass 2: Mul/Add-by-constant chains become the dequantizer's scale and zero point (see affineChain). */
function foldAffineChains(plan: StaticPlan): void {
  const { activationType } = plan.options;
  for (const node of candidates(plan.index, plan.exclude)) {
    if (!quantizable(plan, node) || plan.removed.has(node)) continue;
    const chain = affineChain(node, plan.index, plan.exclude);
    const source = node.output?.[0] ?? '';
    if (!chain || !plan.ranges.has(chain.output) || plan.clamps.has(source)) continue;
    const produced = asymmetricParams(plan.ranges.get(source)!, activationType);
    const scale = Math.fround(produced.scale * chain.scale);
    const zeroPoint = Math.round(produced.zeroPoint - chain.shift / scale);
    const { qmin, qmax } = integerRange(activationType, false);
    if (zeroPoint < qmin || zeroPoint > qmax) continue;
    for (const n of chain.nodes) plan.removed.add(n);
    node.output![0] = chain.output;
    plan.params.set(chain.output, { scale, zeroPoint, type: activationType });
    plan.quantizeSide.set(chain.output, produced);
    plan.report.foldedAffine += chain.nodes.length;
  }
  dropRemoved(plan);
}

/** Parameters of an activation from its calibrated range, clamped by a folded activation; computed once. */
function activationParams(plan: StaticPlan, name: string): QuantParams {
  let p = plan.params.get(name);
  if (!p) {
    const observed = plan.ranges.get(name)!;
    const clamp = plan.clamps.get(name);
    const range = clamp ? { min: Math.max(observed.min, clamp.min), max: Math.min(observed.max, clamp.max) } : observed;
    p = asymmetricParams(range, plan.options.activationType);
    plan.params.set(name, p);
  }
  return p;
}

/** Pass 3: the nodes that run in int8, and the parameters of every activation they read or write. */
function selectNodes(plan: StaticPlan): void {
  const { index, report } = plan;
  plan.selected = candidates(index, plan.exclude).filter((node) => quantizable(plan, node));
  for (const node of plan.selected) {
    for (const i of dataInputIndices(node)) {
      const name = node.input?.[i];
      if (name && !index.isConstant(name)) activationParams(plan, name);
    }
    for (const i of dataOutputIndices(node)) {
      const out = node.output?.[i];
      // Data-movement ops keep their input's scale so ORT can drop the pair and move int8 data.
      if (out) plan.params.set(out, opRole(node) === 'shared' ? activationParams(plan, node.input![0]!) : activationParams(plan, out));
    }
    report.quantizedOps[String(node.opType)] = (report.quantizedOps[String(node.opType)] ?? 0) + 1;
    if (opRole(node) !== 'shared' && node.name) report.quantizedNodes.push({ name: node.name, opType: String(node.opType) });
  }
}

/** A scale and zero-point initializer pair for `p`. */
function paramsTensors(plan: StaticPlan, base: string, p: QuantParams): [string, string] {
  const scale = plan.names.make(`${base}/s`);
  const zeroPoint = plan.names.make(`${base}/z`);
  plan.newInitializers.push(scalarTensor(scale, 'float32', p.scale), scalarTensor(zeroPoint, p.type, p.zeroPoint));
  return [scale, zeroPoint];
}

/** Pass 4: a QuantizeLinear/DequantizeLinear pair for each activation tensor with parameters. */
function insertActivationPairs(plan: StaticPlan): void {
  const { index, names, after } = plan;
  const selected = new Set(plan.selected);
  for (const [name, p] of plan.params) {
    const [scale, zeroPoint] = paramsTensors(plan, name, p);
    const quantized = names.make(`${name}/q`);
    const producer = index.producers.get(name);
    const producerSide = plan.quantizeSide.get(name);
    if (producer && (selected.has(producer) || !index.graphOutputs.has(name))) {
      const [qScale, qZeroPoint] = producerSide ? paramsTensors(plan, `${name}/src`, producerSide) : [scale, zeroPoint];
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
      else plan.prefixNodes.push(...nodes);
      plan.renames.set(name, dequantized);
    }
    plan.report.quantizedTensors++;
  }
  if (plan.renames.size === 0) return;
  for (const node of plan.graph.node ?? []) {
    if (selected.has(node)) node.input = node.input!.map((i) => plan.renames.get(i) ?? i);
  }
}

interface QuantizedConstant {
  scales: Float32Array;
  /** The integer values less the zero point, and the float values and shape they came from (bias correction). */
  signed: Int8Array;
  values: Float32Array;
  dims: number[];
}

/** Replaces constant input `slot` of `node` by a DequantizeLinear of its int8 (or uint8) values. */
function dequantizeConstant(plan: StaticPlan, node: onnx.INodeProto, slot: number, kind: 'weight' | 'data'): QuantizedConstant {
  const { options, names } = plan;
  const weightType = options.weightType ?? 'int8';
  const weightLevels = options.reduceRange && weightType === 'int8' ? REDUCED_WEIGHT_LEVELS : FULL_WEIGHT_LEVELS;
  const name = node.input![slot]!;
  const tensor = plan.index.initializers.get(name)!;
  const values = floatValues(tensor);
  const dims = dimsOf(tensor);
  const perChannel = kind === 'weight' && options.perChannel && opRole(node) === 'conv' && dims.length > 1;
  const quantizedName = names.make(`${name}/q`);
  const output = names.make(`${name}/d`);
  let scales: Float32Array;
  let signed: Int8Array;
  if (perChannel) {
    const w = quantizeWeightsPerChannel(values, dims, 0, weightLevels);
    scales = w.scales;
    signed = w.values;
    const scale = names.make(`${name}/s`);
    const zeroPoint = names.make(`${name}/z`);
    const unsigned = weightType === 'uint8';
    plan.newInitializers.push(
      makeTensor(quantizedName, weightType, dims, unsigned ? Uint8Array.from(w.values, (v) => v + 128) : w.values),
      makeTensor(scale, 'float32', [scales.length], scales),
      makeTensor(zeroPoint, weightType, [scales.length], new Uint8Array(scales.length).fill(unsigned ? 128 : 0)),
    );
    plan.prefixNodes.push(makeNode('DequantizeLinear', [quantizedName, scale, zeroPoint], [output], { axis: 0 }, ''));
  } else {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) { if (v < min) min = v; if (v > max) max = v; }
    const p = kind === 'weight' ? symmetricParams({ min, max }, weightType, weightLevels) : asymmetricParams({ min, max }, options.activationType);
    scales = Float32Array.of(p.scale);
    const quantized = quantizeValues(values, p, kind === 'weight');
    signed = kind === 'weight' ? Int8Array.from(quantized, (v) => v - p.zeroPoint) : new Int8Array(0);
    plan.newInitializers.push(makeTensor(quantizedName, p.type, dims, quantized));
    const [scale, zeroPoint] = paramsTensors(plan, name, p);
    plan.prefixNodes.push(makeNode('DequantizeLinear', [quantizedName, scale, zeroPoint], [output], {}, ''));
  }
  node.input![slot] = output;
  return { scales, signed, values, dims };
}

/** Replaces the bias of `node` by a DequantizeLinear of int32 values at scale input scale × weight scale. */
function dequantizeBias(plan: StaticPlan, node: onnx.INodeProto, inputScale: number, weightScales: Float32Array, floatBias = plan.index.constantFloats(node.input![2]!)!): void {
  const { names } = plan;
  const name = node.input![2]!;
  const bias = quantizeBias(floatBias, inputScale, weightScales);
  const quantizedName = names.make(`${name}/q`);
  const output = names.make(`${name}/d`);
  const perChannel = weightScales.length > 1;
  const scale = names.make(`${name}/s`);
  plan.newInitializers.push(
    makeTensor(quantizedName, 'int32', [bias.values.length], bias.values),
    perChannel ? makeTensor(scale, 'float32', [bias.scales.length], bias.scales) : scalarTensor(scale, 'float32', bias.scales[0]!),
  );
  plan.prefixNodes.push(makeNode('DequantizeLinear', [quantizedName, scale], [output], perChannel ? { axis: 0 } : {}, ''));
  node.input![2] = output;
}

/** Pass 5: weights, biases and other constant inputs of the selected nodes in integer form. */
function quantizeConstants(plan: StaticPlan): void {
  const { index, params } = plan;
  const originals = new Map([...plan.renames].map(([from, to]) => [to, from]));
  const originalName = (name: string) => originals.get(name) ?? name;
  for (const node of plan.selected) {
    const role = opRole(node)!;
    const inputScale = params.get(originalName(node.input![0]!))?.scale;
    if (role === 'conv' || role === 'gemm') {
      const weightName = node.input![1]!;
      const weights = index.isConstant(weightName) ? dequantizeConstant(plan, node, 1, 'weight') : undefined;
      const weightScales = weights?.scales ?? Float32Array.of(params.get(originalName(weightName))!.scale);
      const means = role === 'conv' && weights ? plan.options.inputMeans?.get(originalName(node.input![0]!)) : undefined;
      if (means && weights && inputScale !== undefined) {
        // Bias correction: the shift leaves the float bias; the int32 bias keeps its scale (ORT's fusion checks it).
        const bias = node.input![2] ? index.constantFloats(node.input![2])! : undefined;
        const corrected = correctedBias(bias, { values: weights.values, dims: weights.dims, group: attributeInt(node, 'group', 1) }, weights.signed, weightScales, means);
        if (!bias) node.input![2] = plan.names.make(`${node.name || weightName}/bias`);
        dequantizeBias(plan, node, inputScale, weightScales, corrected);
        plan.report.correctedBiases++;
      } else if (node.input![2] && inputScale !== undefined) dequantizeBias(plan, node, inputScale, weightScales);
    } else if (role === 'combine') {
      for (let i = 0; i < node.input!.length; i++) {
        if (!index.isConstant(node.input![i]!)) continue;
        dequantizeConstant(plan, node, i, node.opType === 'MatMul' && i === 1 ? 'weight' : 'data');
      }
    }
  }
}

/** Pass 6: the new nodes in place, unused float initializers dropped, the new ones added. */
function assemble(plan: StaticPlan): void {
  const { graph } = plan;
  graph.node = [...plan.prefixNodes, ...(graph.node ?? []).flatMap((n) => [n, ...(plan.after.get(n) ?? [])])];
  const used = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
  graph.initializer = [...(graph.initializer ?? []).filter((t) => used.has(t.name ?? '')), ...plan.newInitializers];
}

/** Rewrites `model` in place. `ranges` come from calibration; tensors without one stay float. */
export function quantizeStatic(model: onnx.IModelProto, ranges: Map<string, QuantRange>, options: StaticOptions): StaticReport {
  const graph = model.graph!;
  const plan: StaticPlan = {
    graph, ranges, options, exclude: new Set(options.exclude), names: new NameAllocator(graph), index: new GraphIndex(graph),
    report: { quantizedOps: {}, foldedActivations: 0, foldedAffine: 0, quantizedTensors: 0, quantizedNodes: [], correctedBiases: 0 },
    removed: new Set(), clamps: new Map(), params: new Map(), quantizeSide: new Map(), selected: [],
    newInitializers: [], prefixNodes: [], after: new Map(), renames: new Map(),
  };
  for (const pass of [foldActivations, foldAffineChains, selectNodes, insertActivationPairs, quantizeConstants, assemble]) pass(plan);
  return plan.report;
}
