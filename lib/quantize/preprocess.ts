// Checks that a model can be quantized and brings it into the shape the quantizer expects:
// ORT 'basic' optimisation (BatchNorm folding, constant folding), Div-by-constant as Mul, opset 13 for per-channel.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PipelineError } from '../errors';
import { onnx, decodeModel, encodeModel, makeTensor, toNumber } from '../onnx';
import { assertNoBfloat16, convertFloat16ToFloat32, usesFloat16, type Float16Conversion } from './float16';
import { convTransposeToDepthToSpace, foldConvAffine } from './fusions';
import { GraphIndex, NameAllocator, attributeInt, attributeInts, floatValues, removeAttribute } from './graph';

const QUANTIZED_OPS = new Set([
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger',
  'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'QGemm', 'QAttention', 'DynamicQuantizeLSTM',
]);

export function isQuantizedOp(opType: string): boolean {
  return QUANTIZED_OPS.has(opType) || opType.startsWith('QLinear');
}

export function defaultOpset(model: onnx.IModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return toNumber(entry?.version);
}

/** Throws a PipelineError when the model cannot be quantized at all. */
export function assertQuantizable(model: onnx.IModelProto): void {
  const graph = model.graph ?? {};
  const quantized = [...new Set((graph.node ?? []).map((n) => String(n.opType)).filter(isQuantizedOp))];
  if (quantized.length > 0) {
    throw new PipelineError(
      'already-quantized',
      `the model is already quantized (it contains ${quantized.join(', ')}); quantize the original float model instead`,
      { ops: quantized.join(', ') },
    );
  }
  const opset = defaultOpset(model);
  if (opset < 10) {
    throw new PipelineError(
      'opset-too-old',
      `the model uses ONNX opset ${opset}; quantization needs opset 10 or newer (13 for per-channel weights): re-export the model with a newer opset`,
      { opset },
    );
  }
  const external = (graph.initializer ?? []).filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  if (external.length > 0) {
    throw new PipelineError(
      'external-data',
      `the model keeps ${external.length} weight tensor(s) in external data files, which the quantizer cannot read or write; save the model with its weights embedded (onnx.save(model, path, save_as_external_data=False)) and quantize that file`,
      { count: external.length },
    );
  }
}

const SOFTMAX_LIKE = new Set(['Softmax', 'LogSoftmax', 'Hardmax']);

/** Known ranks of graph inputs, outputs and value_info, for the Softmax axis check. */
function knownRanks(graph: onnx.IGraphProto): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    const dims = v.type?.tensorType?.shape?.dim;
    if (dims) ranks.set(v.name ?? '', dims.length);
  }
  return ranks;
}

function refuseUpgrade(opset: number, reason: string): never {
  throw new PipelineError(
    'opset-upgrade',
    `per-channel quantization needs opset 13 and this opset ${opset} model cannot be upgraded automatically (${reason}); re-export it with opset 13 or newer, or quantize with per-tensor weights`,
    { opset, reason },
  );
}

/**
 * Rewrites an opset 11/12 model as opset 13: the operators whose attributes became inputs
 * (Squeeze, Unsqueeze, Split, ReduceSum) are rewritten, Dropout loses its ratio, Softmax must act on the last axis.
 */
export function upgradeToOpset13(model: onnx.IModelProto): void {
  const opset = defaultOpset(model);
  if (opset >= 13) return;
  if (opset < 11) refuseUpgrade(opset, 'only opset 11 and 12 models are upgraded');
  const graph = model.graph!;
  const names = new NameAllocator(graph);
  const ranks = knownRanks(graph);
  for (const node of graph.node ?? []) {
    if (node.domain && node.domain !== 'ai.onnx') continue;
    const op = String(node.opType);
    const attrToInput = op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum' ? 'axes' : op === 'Split' ? 'split' : '';
    if (attrToInput) {
      const values = attributeInts(node, attrToInput);
      if (values) {
        const name = names.make(`${node.name || node.output?.[0]}_${attrToInput}`);
        graph.initializer!.push(makeTensor(name, 'int64', [values.length], values));
        node.input = [...(node.input ?? []).slice(0, 1), name];
        removeAttribute(node, attrToInput);
      }
    } else if (op === 'Dropout') {
      removeAttribute(node, 'ratio');
    } else if (SOFTMAX_LIKE.has(op)) {
      const axis = attributeInt(node, 'axis', 1);
      const rank = ranks.get(node.input?.[0] ?? '');
      if (axis !== -1 && (rank === undefined || axis !== rank - 1)) {
        refuseUpgrade(opset, `${op} node "${node.name}" works on axis ${axis}, whose meaning changed in opset 13`);
      }
    }
  }
  for (const entry of model.opsetImport ?? []) if (!entry.domain || entry.domain === 'ai.onnx') entry.version = 13;
}

/** Div by a constant becomes Mul by its reciprocal, which ORT can run quantized (there is no QLinearDiv). */
export function divisionsToMultiplications(model: onnx.IModelProto): number {
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const names = new NameAllocator(graph);
  let rewritten = 0;
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Div' || (node.domain && node.domain !== 'ai.onnx')) continue;
    const divisorName = node.input?.[1] ?? '';
    const divisor = index.initializers.get(divisorName);
    if (!divisor || divisor.dataType !== onnx.TensorProto.DataType.FLOAT) continue;
    const values = floatValues(divisor);
    if (values.some((v) => v === 0)) continue;
    const name = names.make(`${divisorName}_reciprocal`);
    const dims = (divisor.dims ?? []).map((d) => toNumber(d));
    graph.initializer!.push(makeTensor(name, 'float32', dims, Array.from(values, (v) => 1 / v)));
    node.opType = 'Mul';
    node.input = [node.input![0]!, name];
    rewritten++;
  }
  return rewritten;
}

/**
 * Runs ONNX Runtime's 'basic' graph optimisation (constant folding, BatchNorm into Conv, redundant nodes) and
 * returns the optimised model. Blocks while ORT builds the session: call it off the event loop.
 */
export async function optimizeWithRuntime(bytes: Uint8Array, level: 'basic' | 'extended' = 'basic'): Promise<Uint8Array> {
  const ort = await import('onnxruntime-node');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-mlops-opt-'));
  const file = path.join(dir, 'optimized.onnx');
  try {
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: level,
      optimizedModelFilePath: file,
      intraOpNumThreads: 1,
    });
    await session.release();
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Drops graph inputs that are initializers (older exporters list them), so ORT can fold them as constants. */
export function dropInitializerInputs(model: onnx.IModelProto): void {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  graph.input = (graph.input ?? []).filter((i) => !initializers.has(i.name));
}

/** Every node gets a name (kept in float by name: --exclude, accuracy tuning): "<op>:<first output>". */
export function nameUnnamedNodes(model: onnx.IModelProto): void {
  const taken = new Set((model.graph?.node ?? []).map((n) => n.name).filter(Boolean));
  for (const node of model.graph?.node ?? []) {
    if (node.name) continue;
    let name = `${node.opType}:${node.output?.[0] ?? ''}`;
    for (let i = 1; taken.has(name); i++) name = `${node.opType}:${node.output?.[0] ?? ''}:${i}`;
    node.name = name;
    taken.add(name);
  }
}

export interface PreparedModel {
  model: onnx.ModelProto;
  /** What was converted when the model came in float16; undefined for float32 models. */
  float16?: Float16Conversion;
  /** Model bytes before quantization: what calibration runs. */
  bytes: Uint8Array;
}

/** Refusals, float16 to float32, ORT basic optimisation and (for per-channel) opset 13, in that order. */
export async function prepareModel(bytes: Uint8Array, needsOpset13: boolean): Promise<PreparedModel> {
  const original = decodeModel(bytes);
  assertQuantizable(original);
  assertNoBfloat16(original);
  const float16 = usesFloat16(original) ? convertFloat16ToFloat32(original) : undefined;
  if (needsOpset13) upgradeToOpset13(original); // before ORT, so an impossible upgrade fails fast
  dropInitializerInputs(original);
  let optimized = decodeModel(await optimizeWithRuntime(encodeModel(original), 'basic'));
  // Divisors and scales are often Constant nodes that only become initializers through ORT's constant folding.
  const rewrites = divisionsToMultiplications(optimized) + foldConvAffine(optimized)
    + convTransposeToDepthToSpace(optimized);
  if (rewrites > 0) optimized = decodeModel(await optimizeWithRuntime(encodeModel(optimized), 'basic'));
  optimized.metadataProps = original.metadataProps;
  nameUnnamedNodes(optimized);
  return { model: optimized, bytes: encodeModel(optimized), ...(float16 ? { float16 } : {}) };
}
