// Which operators the static quantizer wraps in QuantizeLinear/DequantizeLinear, chosen by what ONNX Runtime's CPU
// provider fuses into integer kernels at 'extended' optimisation (anything else would only add conversions).
import type { onnx } from '../onnx';

export type OpRole =
  /** Conv: input 0 activation, input 1 weight (per-channel capable), input 2 bias (int32). */
  | 'conv'
  /** Gemm: input 0 activation, input 1 weight or activation, input 2 bias (int32). */
  | 'gemm'
  /** Every input is data (activation or constant), output gets its own range: MatMul, Add, Mul, Concat. */
  | 'combine'
  /** Input 0 is data, output gets its own range (QLinearAveragePool, QLinearSigmoid, …). */
  | 'unary'
  /** Input 0 is data, outputs share its scale so ORT drops the Q/DQ pair and runs the op on int8. */
  | 'shared';

const ROLES: Record<string, OpRole> = {
  Conv: 'conv',
  Gemm: 'gemm',
  MatMul: 'combine', Add: 'combine', Mul: 'combine', Concat: 'combine',
  AveragePool: 'unary', GlobalAveragePool: 'unary', Sigmoid: 'unary', LeakyRelu: 'unary', Softmax: 'unary',
  MaxPool: 'shared', Resize: 'shared', Reshape: 'shared', Transpose: 'shared', Flatten: 'shared',
  Squeeze: 'shared', Unsqueeze: 'shared', Slice: 'shared', Gather: 'shared', Expand: 'shared', Tile: 'shared',
  Split: 'shared',
};

export function opRole(node: onnx.INodeProto): OpRole | undefined {
  if (node.domain && node.domain !== 'ai.onnx') return undefined;
  return ROLES[String(node.opType)];
}

/** Input positions holding data to quantize (shape, axes and index inputs stay as they are). */
export function dataInputIndices(node: onnx.INodeProto): number[] {
  const role = opRole(node);
  const count = (node.input ?? []).length;
  if (role === 'combine') return [...Array(count).keys()];
  if (role === 'conv' || role === 'gemm') return [0, 1];
  return [0];
}

/** Output positions holding data (MaxPool's optional indices output is not data). */
export function dataOutputIndices(node: onnx.INodeProto): number[] {
  if (node.opType === 'Split') return [...Array((node.output ?? []).length).keys()];
  return [0];
}
