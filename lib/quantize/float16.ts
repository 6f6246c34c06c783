// float16 models (weights and activations in half precision, e.g. onnxconverter-common's convert_float_to_float16,
// with or without keep_io_types) become float32 models before quantization: calibration and the QDQ pass only
// understand float32 tensors. The conversion is exact: every half value is representable in float32.
import { PipelineError } from '../errors';
import { halfToFloat, onnx, toNumber } from '../onnx';
import { attributeInt } from './graph';

const T = onnx.TensorProto.DataType;

export interface Float16Conversion {
  initializers: number;
  /** Cast nodes to float16, now casting to float32 (or Identity where their input is float32). */
  casts: number;
  /** Constant and other tensor attributes. */
  constants: number;
  /** Graph inputs, outputs and value_info entries. */
  valueInfo: number;
  /** Whether graph inputs or outputs were float16 (the int8 model takes and gives float32 instead). */
  ioChanged: boolean;
}

function halfBits(tensor: onnx.ITensorProto): Uint16Array {
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    const copy = new Uint8Array(raw); // raw_data is not guaranteed to be 2-byte aligned
    return new Uint16Array(copy.buffer, 0, copy.length / 2);
  }
  // Without raw_data ONNX keeps float16 bits in int32_data, one value per entry.
  return Uint16Array.from(tensor.int32Data ?? []);
}

/** Rewrites a FLOAT16 tensor proto as FLOAT in place. */
function widenTensor(tensor: onnx.ITensorProto): void {
  const values = Float32Array.from(halfBits(tensor), halfToFloat);
  tensor.dataType = T.FLOAT;
  tensor.rawData = new Uint8Array(values.buffer);
  tensor.int32Data = [];
}

function isFloat16Type(type: onnx.ITypeProto | null | undefined): boolean {
  return type?.tensorType?.elemType === T.FLOAT16;
}

function hasElemType(type: onnx.ITypeProto | null | undefined, elemType: number): boolean {
  return type?.tensorType?.elemType === elemType;
}

function subgraphs(node: onnx.INodeProto): onnx.IGraphProto[] {
  return (node.attribute ?? []).flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);
}

function graphUses(graph: onnx.IGraphProto, elemType: number): boolean {
  if ((graph.initializer ?? []).some((t) => t.dataType === elemType)) return true;
  if ([...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])].some((v) => hasElemType(v.type, elemType))) return true;
  return (graph.node ?? []).some((n) => (n.attribute ?? []).some((a) =>
    (a.name === 'to' && toNumber(a.i) === elemType) || a.t?.dataType === elemType || (a.tensors ?? []).some((t) => t.dataType === elemType))
    || subgraphs(n).some((g) => graphUses(g, elemType)));
}

/** Whether the model holds float16 weights, activations or casts. */
export function usesFloat16(model: onnx.IModelProto): boolean {
  return !!model.graph && graphUses(model.graph, T.FLOAT16);
}

const DTYPE_ATTRIBUTE_OPS = new Set(['EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial']);

function convertGraph(graph: onnx.IGraphProto, result: Float16Conversion, top: boolean): void {
  if ((graph.sparseInitializer ?? []).some((s) => s.values?.dataType === T.FLOAT16)) {
    throw new PipelineError('float16-sparse', 'the model keeps float16 weights as sparse initializers, which the quantizer cannot convert; convert the model to float32 first (onnxconverter-common: convert_float16_to_float, or re-export in float32) and quantize that', {});
  }
  for (const tensor of graph.initializer ?? []) {
    if (tensor.dataType !== T.FLOAT16) continue;
    widenTensor(tensor);
    result.initializers++;
  }
  // Tensors known to be float32 once converted: a Cast to float16 of one of them is a no-op afterwards.
  const float32 = new Set<string>();
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? [])]) {
    if (hasElemType(v.type, T.FLOAT) || isFloat16Type(v.type)) float32.add(v.name ?? '');
  }
  for (const t of graph.initializer ?? []) if (t.dataType === T.FLOAT) float32.add(t.name ?? '');
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    if (!isFloat16Type(v.type)) continue;
    v.type!.tensorType!.elemType = T.FLOAT;
    result.valueInfo++;
    if (top && (graph.input ?? []).includes(v)) result.ioChanged = true;
    if (top && (graph.output ?? []).includes(v)) result.ioChanged = true;
  }
  for (const node of graph.node ?? []) {
    for (const attr of node.attribute ?? []) {
      if (attr.t?.dataType === T.FLOAT16) { widenTensor(attr.t); result.constants++; }
      for (const t of attr.tensors ?? []) if (t.dataType === T.FLOAT16) { widenTensor(t); result.constants++; }
      const typeAttribute = (node.opType === 'Cast' && attr.name === 'to') || (DTYPE_ATTRIBUTE_OPS.has(String(node.opType)) && attr.name === 'dtype');
      if (typeAttribute && toNumber(attr.i) === T.FLOAT16) {
        attr.i = T.FLOAT;
        if (node.opType === 'Cast') result.casts++;
      }
    }
    if (node.opType === 'Cast' && attributeInt(node, 'to', 0) === T.FLOAT) {
      // float32 → float16 (keep_io_types inputs) now casts float32 to float32: Identity, which ORT's basic level removes.
      if (float32.has(node.input?.[0] ?? '')) {
        node.opType = 'Identity';
        node.attribute = [];
      }
      for (const out of node.output ?? []) float32.add(out);
    }
    for (const g of subgraphs(node)) convertGraph(g, result, false);
  }
}

/**
 * Converts every float16 tensor, cast and type of the model to float32 in place. bfloat16 is refused: its values
 * would convert exactly too, but ORT's CPU provider runs few bfloat16 models, so none could have been calibrated.
 */
export function convertFloat16ToFloat32(model: onnx.IModelProto): Float16Conversion {
  assertNoBfloat16(model);
  const result: Float16Conversion = { initializers: 0, casts: 0, constants: 0, valueInfo: 0, ioChanged: false };
  if (model.graph) convertGraph(model.graph, result, true);
  return result;
}

export function assertNoBfloat16(model: onnx.IModelProto): void {
  if (model.graph && graphUses(model.graph, T.BFLOAT16)) {
    throw new PipelineError('bfloat16-model', 'the model uses bfloat16 tensors, which the quantizer does not convert; export the model in float32 (or float16) and quantize that', {});
  }
}
