// Exact float rewrites that leave fewer, cheaper operators to quantize:
// - Conv/ConvTranspose followed by Mul/Add/BatchNormalization with constants folds into its weights and bias;
// - ConvTranspose with kernel 2, stride 2 becomes a 1×1 Conv (quantizable, fused by ORT) and a DepthToSpace.
import { onnx, makeNode, makeTensor } from '../onnx';
import { GraphIndex, NameAllocator, attributeFloat, attributeInt, attributeInts, dimsOf } from './graph';

function isDefaultDomain(node: onnx.INodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

/** The other operand of a binary node when it is a constant broadcasting per channel (NCHW) or as a scalar. */
function channelConstant(node: onnx.INodeProto, from: string, index: GraphIndex, channels: number): Float32Array | undefined {
  const other = node.input?.[0] === from ? node.input?.[1] : node.input?.[0];
  if (!other || (node.input ?? []).length !== 2) return undefined;
  const values = index.constantFloats(other);
  if (!values) return undefined;
  const dims = dimsOf(index.initializers.get(other)!);
  if (values.length === 1) return new Float32Array(channels).fill(values[0]!);
  const perChannel = values.length === channels && dims.length >= 3 && dims.slice(-2).every((d) => d === 1) && dims.slice(0, -3).every((d) => d === 1);
  return perChannel ? values : undefined;
}

function soleConsumer(index: GraphIndex, tensor: string): onnx.INodeProto | undefined {
  const users = index.consumersOf(tensor);
  return users.length === 1 && !index.graphOutputs.has(tensor) && isDefaultDomain(users[0]!) ? users[0] : undefined;
}

function replaceInitializer(graph: onnx.IGraphProto, names: NameAllocator, base: string, dims: number[], values: Float32Array): string {
  const name = names.make(base);
  graph.initializer!.push(makeTensor(name, 'float32', dims, values));
  return name;
}

/** Per-output-channel y = m·x + c of a Mul, Add or BatchNormalization that follows a convolution, if constant. */
function channelAffine(next: onnx.INodeProto, from: string, index: GraphIndex, channels: number): { m: Float32Array; c: Float32Array } | undefined {
  if (next.opType === 'Mul' || next.opType === 'Add') {
    const constant = channelConstant(next, from, index, channels);
    if (!constant) return undefined;
    return next.opType === 'Mul' ? { m: constant, c: new Float32Array(channels) } : { m: new Float32Array(channels).fill(1), c: constant };
  }
  if (next.opType !== 'BatchNormalization' || next.input?.[0] !== from || (next.output ?? []).filter(Boolean).length !== 1) return undefined;
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => index.constantFloats(next.input?.[i] ?? ''));
  if (!gamma || !beta || !mean || !variance || gamma.length !== channels) return undefined;
  const epsilon = attributeFloat(next, 'epsilon', 1e-5);
  const m = new Float32Array(channels);
  const c = new Float32Array(channels);
  for (let i = 0; i < channels; i++) {
    m[i] = gamma[i]! / Math.sqrt(variance[i]! + epsilon);
    c[i] = beta[i]! - mean[i]! * m[i]!;
  }
  return { m, c };
}

/**
 * Folds Mul, Add and BatchNormalization with constants that directly follow a Conv or ConvTranspose (group 1)
 * into its weights and bias. Returns how many nodes were removed.
 */
export function foldConvAffine(model: onnx.IModelProto): number {
  const graph = model.graph!;
  const names = new NameAllocator(graph);
  let removed = 0;
  for (let changed = true; changed;) {
    changed = false;
    const index = new GraphIndex(graph);
    for (const conv of graph.node ?? []) {
      const transposed = conv.opType === 'ConvTranspose';
      if ((conv.opType !== 'Conv' && !transposed) || !isDefaultDomain(conv)) continue;
      if (transposed && attributeInt(conv, 'group', 1) !== 1) continue;
      const weights = index.constantFloats(conv.input?.[1] ?? '');
      if (!weights) continue;
      const output = conv.output![0]!;
      const next = soleConsumer(index, output);
      if (!next) continue;
      const wDims = dimsOf(index.initializers.get(conv.input![1]!)!);
      const channels = transposed ? wDims[1]! : wDims[0]!;
      const affine = channelAffine(next, output, index, channels);
      const biasName = conv.input?.[2];
      const oldBias = biasName ? index.constantFloats(biasName) : new Float32Array(channels);
      if (!affine || !oldBias) continue;
      // Output channel of weight element i: Conv [Cout, Cin/g, k…], ConvTranspose [Cin, Cout, k…].
      const inner = weights.length / (wDims[0]! * wDims[1]!);
      const scaled = new Float32Array(weights.length);
      for (let i = 0; i < weights.length; i++) {
        const channel = transposed ? Math.floor(i / inner) % channels : Math.floor(i / (weights.length / channels));
        scaled[i] = weights[i]! * affine.m[channel]!;
      }
      const bias = Float32Array.from(oldBias, (b, i) => b * affine.m[i]! + affine.c[i]!);
      conv.input = [
        conv.input![0]!,
        replaceInitializer(graph, names, `${conv.input![1]}_folded`, wDims, scaled),
        replaceInitializer(graph, names, `${biasName || `${conv.name}_bias`}_folded`, [channels], bias),
      ];
      conv.output![0] = next.output![0]!;
      graph.node = graph.node!.filter((n) => n !== next);
      removed++;
      changed = true;
      break;
    }
  }
  pruneInitializers(graph);
  return removed;
}

/**
 * ConvTranspose with kernel = stride = 2 and no padding writes every output pixel from exactly one input pixel:
 * it equals a 1×1 Conv to 4·Cout channels followed by DepthToSpace (CRD). A Relu right after moves before the
 * DepthToSpace so that it folds into the Conv's output quantization.
 */
export function convTransposeToDepthToSpace(model: onnx.IModelProto): number {
  const graph = model.graph!;
  const names = new NameAllocator(graph);
  const index = new GraphIndex(graph);
  let rewritten = 0;
  const replacements = new Map<onnx.INodeProto, onnx.INodeProto[]>();
  for (const deconv of graph.node ?? []) {
    if (deconv.opType !== 'ConvTranspose' || !isDefaultDomain(deconv) || attributeInt(deconv, 'group', 1) !== 1) continue;
    const weights = index.constantFloats(deconv.input?.[1] ?? '');
    if (!weights) continue;
    const wDims = dimsOf(index.initializers.get(deconv.input![1]!)!);
    const strides = attributeInts(deconv, 'strides') ?? [1, 1];
    const pads = attributeInts(deconv, 'pads') ?? [0, 0, 0, 0];
    const dilations = attributeInts(deconv, 'dilations') ?? [1, 1];
    const outputPadding = attributeInts(deconv, 'output_padding') ?? [0, 0];
    const autoPad = (deconv.attribute ?? []).find((a) => a.name === 'auto_pad');
    if (wDims.length !== 4 || wDims[2] !== 2 || wDims[3] !== 2 || strides.some((s) => s !== 2) || pads.some((p) => p !== 0)
      || dilations.some((d) => d !== 1) || outputPadding.some((p) => p !== 0) || (autoPad && String(autoPad.s) !== 'NOTSET')
      || attributeInts(deconv, 'output_shape')) continue;
    const [cin, cout] = [wDims[0]!, wDims[1]!];
    const bias = deconv.input?.[2] ? index.constantFloats(deconv.input[2]) : new Float32Array(cout);
    if (!bias) continue;
    // W'[co·4 + i·2 + j, ci] = W[ci, co, i, j]
    const pointwise = new Float32Array(cout * 4 * cin);
    const pointwiseBias = new Float32Array(cout * 4);
    for (let co = 0; co < cout; co++) {
      for (let k = 0; k < 4; k++) {
        pointwiseBias[co * 4 + k] = bias[co]!;
        for (let ci = 0; ci < cin; ci++) pointwise[(co * 4 + k) * cin + ci] = weights[(ci * cout + co) * 4 + k]!;
      }
    }
    const output = deconv.output![0]!;
    const relu = soleConsumer(index, output);
    const finalOutput = relu?.opType === 'Relu' ? relu.output![0]! : output;
    const convOut = names.make(`${output}_space_to_channels`);
    const nodes = [
      makeNode('Conv', [
        deconv.input![0]!,
        replaceInitializer(graph, names, `${deconv.input![1]}_pointwise`, [cout * 4, cin, 1, 1], pointwise),
        replaceInitializer(graph, names, `${deconv.name}_pointwise_bias`, [cout * 4], pointwiseBias),
      ], [convOut], { kernel_shape: [1, 1] }, names.make(`${deconv.name}_pointwise`)),
    ];
    let d2sInput = convOut;
    if (relu?.opType === 'Relu') {
      d2sInput = names.make(`${output}_relu`);
      nodes.push(makeNode('Relu', [convOut], [d2sInput], {}, names.make(`${relu.name}_before_depth_to_space`)));
      replacements.set(relu, []);
    }
    nodes.push(makeNode('DepthToSpace', [d2sInput], [finalOutput], { blocksize: 2, mode: 'CRD' }, names.make(`${deconv.name}_depth_to_space`)));
    replacements.set(deconv, nodes);
    rewritten++;
  }
  graph.node = (graph.node ?? []).flatMap((n) => replacements.get(n) ?? [n]);
  pruneInitializers(graph);
  return rewritten;
}

export function pruneInitializers(graph: onnx.IGraphProto): void {
  const used = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
  for (const o of graph.output ?? []) used.add(o.name ?? '');
  graph.initializer = (graph.initializer ?? []).filter((t) => used.has(t.name ?? ''));
}
