// Static quantization in QDQ form: QuantizeLinear/DequantizeLinear pairs around the operators ONNX Runtime fuses
// into integer kernels, int8 weights, int32 biases, ReLU/Clip folded into the output range.
// This file: what may be quantized and folded (graph analysis); qdq-plan.ts: the rewrite, pass by pass.
import type { onnx } from '../onnx';
import { GraphIndex, attributeFloat, attributeInt, dimsOf } from './graph';
import type { QuantRange, QuantType } from './math';
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

export interface ActivationFold { node: onnx.INodeProto; range: QuantRange }

function isExcluded(node: onnx.INodeProto, exclude: Set<string>): boolean {
  return exclude.has(String(node.name)) || exclude.has(String(node.opType));
}

export function candidates(index: GraphIndex, exclude: Set<string>): onnx.INodeProto[] {
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
export function foldableActivation(node: onnx.INodeProto, index: GraphIndex, exclude: Set<string>): ActivationFold | undefined {
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

export interface AffineChain { nodes: onnx.INodeProto[]; output: string; scale: number; shift: number }

/**
 * Mul/Add by positive scalar constants after a quantized output (LearnableAffineBlocks, HardSwish's 1/6): the
 * chain y = A·x + B becomes the dequantizer's scale A·s and zero point z − B/(A·s) instead of integer ops.
 */
export function affineChain(node: onnx.INodeProto, index: GraphIndex, exclude: Set<string>): AffineChain | undefined {
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

