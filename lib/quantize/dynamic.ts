// Dynamic quantization for MatMul/Gemm-heavy models: int8 weights stored in the file, activations quantized per run
// by ONNX Runtime's fused com.microsoft DynamicQuantizeMatMul kernel. Conv becomes DynamicQuantizeLinear + ConvInteger
// (what ORT's own quantize_dynamic writes, measured in the paper's comparison): no calibration, but ORT has no fused
// kernel for it, so on CPUs it is often slower than float — the benchmark reports it as measured.
import { onnx, makeNode, makeTensor } from '../onnx';
import { GraphIndex, NameAllocator, attributeFloat, attributeInt, dimsOf } from './graph';
import { FULL_WEIGHT_LEVELS, REDUCED_WEIGHT_LEVELS, quantizeValues, quantizeWeightsPerChannel, symmetricParams } from './math';

export interface DynamicOptions {
  /** One weight scale per output column, else one per tensor. */
  perChannel: boolean;
  exclude: string[];
  /** 7-bit weights (see cpu.ts). */
  reduceRange?: boolean;
  /** Conv with constant weights too, as ConvInteger. */
  convolutions?: boolean;
}

/** Conv attributes that ConvInteger shares. */
const CONV_ATTRIBUTES = new Set(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);

/**
 * x → DynamicQuantizeLinear → ConvInteger (uint8 weights, zero point 128, one scale per output channel applied
 * afterwards) → Cast → Mul(x_scale · w_scale[c]) → Add(bias). Returns the nodes, or undefined when not a constant-weight Conv.
 */
function dynamicConv(node: onnx.INodeProto, index: GraphIndex, names: NameAllocator, levels: number, initializers: onnx.ITensorProto[]): onnx.INodeProto[] | undefined {
  const weightName = node.input?.[1] ?? '';
  const values = index.constantFloats(weightName);
  const weightTensor = index.initializers.get(weightName);
  if (!values || !weightTensor) return undefined;
  const dims = dimsOf(weightTensor);
  const biasName = node.input?.[2];
  const bias = biasName ? index.constantFloats(biasName) : undefined;
  if (biasName && !bias) return undefined;
  const channels = dims[0]!;
  const w = quantizeWeightsPerChannel(values, dims, 0, levels);
  const base = node.name || node.output![0]!;
  const n = (suffix: string) => names.make(`${base}/${suffix}`);
  const [wq, wz, ws, xq, xs, xz, yi, yf, scale, scaled] = ['wq', 'wz', 'ws', 'xq', 'xs', 'xz', 'yi', 'yf', 'scale', 'scaled'].map(n) as [string, string, string, string, string, string, string, string, string, string];
  initializers.push(
    makeTensor(wq, 'uint8', dims, Uint8Array.from(w.values, (v) => v + 128)),
    makeTensor(wz, 'uint8', [], [128]),
    makeTensor(ws, 'float32', [1, channels, 1, 1], w.scales),
  );
  const attributes = (node.attribute ?? []).filter((a) => CONV_ATTRIBUTES.has(a.name ?? ''));
  const convInteger = makeNode('ConvInteger', [xq, wq, xz, wz], [yi], {}, names.make(`${base}/ConvInteger`));
  convInteger.attribute = attributes;
  const out = node.output![0]!;
  const nodes = [
    makeNode('DynamicQuantizeLinear', [node.input![0]!], [xq, xs, xz], {}, names.make(`${base}/DynamicQuantizeLinear`)),
    convInteger,
    makeNode('Cast', [yi], [yf], { to: onnx.TensorProto.DataType.FLOAT }, names.make(`${base}/Cast`)),
    makeNode('Mul', [xs, ws], [scale], {}, names.make(`${base}/scale`)),
    makeNode('Mul', [yf, scale], [bias ? scaled : out], {}, names.make(`${base}/rescale`)),
  ];
  if (bias) {
    const b = n('bias');
    initializers.push(makeTensor(b, 'float32', [1, channels, 1, 1], bias));
    nodes.push(makeNode('Add', [scaled, b], [out], {}, names.make(`${base}/bias`)));
  }
  return nodes;
}

export interface DynamicReport {
  quantizedOps: Record<string, number>;
}

const MS_DOMAIN = 'com.microsoft';

function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/** Weight [K, N] of a MatMul/Gemm that can become DynamicQuantizeMatMul, or undefined. */
function weightOf(node: onnx.INodeProto, index: GraphIndex): { values: Float32Array; k: number; n: number } | undefined {
  const name = node.input?.[1] ?? '';
  const values = index.constantFloats(name);
  if (!values) return undefined;
  const dims = dimsOf(index.initializers.get(name)!);
  if (dims.length !== 2) return undefined;
  if (node.opType === 'MatMul') return { values, k: dims[0]!, n: dims[1]! };
  if (attributeInt(node, 'transA', 0) !== 0 || attributeFloat(node, 'alpha', 1) !== 1) return undefined;
  const bias = node.input?.[2];
  if (bias) {
    const t = index.initializers.get(bias);
    if (!t || dimsOf(t).length !== 1 || attributeFloat(node, 'beta', 1) !== 1) return undefined;
  }
  return attributeInt(node, 'transB', 0) === 1
    ? { values: transpose2d(values, dims[0]!, dims[1]!), k: dims[1]!, n: dims[0]! }
    : { values, k: dims[0]!, n: dims[1]! };
}

export function quantizeDynamic(model: onnx.IModelProto, options: DynamicOptions): DynamicReport {
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const names = new NameAllocator(graph);
  const exclude = new Set(options.exclude);
  const report: DynamicReport = { quantizedOps: {} };
  const newInitializers: onnx.ITensorProto[] = [];
  const levels = options.reduceRange ? REDUCED_WEIGHT_LEVELS : FULL_WEIGHT_LEVELS;

  graph.node = (graph.node ?? []).flatMap((node) => {
    if (node.domain && node.domain !== 'ai.onnx') return [node];
    if (exclude.has(String(node.name)) || exclude.has(String(node.opType))) return [node];
    if (node.opType === 'Conv') {
      const replaced = options.convolutions ? dynamicConv(node, index, names, levels, newInitializers) : undefined;
      if (!replaced) return [node];
      report.quantizedOps.Conv = (report.quantizedOps.Conv ?? 0) + 1;
      return replaced;
    }
    if (node.opType !== 'MatMul' && node.opType !== 'Gemm') return [node];
    const weight = weightOf(node, index);
    if (!weight) return [node];
    const base = node.input![1]!;
    const quantized = names.make(`${base}/q`);
    const scale = names.make(`${base}/s`);
    const zeroPoint = names.make(`${base}/z`);
    if (options.perChannel) {
      const w = quantizeWeightsPerChannel(weight.values, [weight.k, weight.n], 1, levels);
      newInitializers.push(
        makeTensor(quantized, 'int8', [weight.k, weight.n], w.values),
        makeTensor(scale, 'float32', [weight.n], w.scales),
        makeTensor(zeroPoint, 'int8', [weight.n], new Int8Array(weight.n)),
      );
    } else {
      let absMax = 0;
      for (const v of weight.values) absMax = Math.max(absMax, Math.abs(v));
      const p = symmetricParams({ min: -absMax, max: absMax }, 'int8', levels);
      newInitializers.push(
        makeTensor(quantized, 'int8', [weight.k, weight.n], quantizeValues(weight.values, p, true)),
        makeTensor(scale, 'float32', [], [p.scale]),
        makeTensor(zeroPoint, 'int8', [], [0]),
      );
    }
    const inputs = [node.input![0]!, quantized, scale, zeroPoint];
    if (node.opType === 'Gemm' && node.input![2]) inputs.push(node.input![2]!);
    report.quantizedOps[String(node.opType)] = (report.quantizedOps[String(node.opType)] ?? 0) + 1;
    return [makeNode('DynamicQuantizeMatMul', inputs, [...node.output!], {}, node.name || undefined, MS_DOMAIN)];
  });

  const used = new Set(graph.node.flatMap((n) => n.input ?? []));
  graph.initializer = [...(graph.initializer ?? []).filter((t) => used.has(t.name ?? '')), ...newInitializers];
  if (Object.keys(report.quantizedOps).length > 0 && !(model.opsetImport ?? []).some((o) => o.domain === MS_DOMAIN)) {
    model.opsetImport = [...(model.opsetImport ?? []), { domain: MS_DOMAIN, version: 1 }];
  }
  return report;
}
