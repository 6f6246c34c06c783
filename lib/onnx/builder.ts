// Builds small ONNX models in code: for tests, demo fixtures and graph rewriting.
import { floatToHalf } from './float16';
import { onnx, ELEMENT_TYPE, type ElementTypeName } from './proto';

export type AttributeValue = number | string | number[] | string[] | onnx.ITensorProto | { float: number };

export function makeTensor(
  name: string,
  type: 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8',
  dims: number[],
  values: ArrayLike<number>,
): onnx.ITensorProto {
  const tensor: onnx.ITensorProto = { name, dims, dataType: ELEMENT_TYPE[type] };
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`tensor ${name}: ${values.length} values for shape [${dims}]`);
  const raw =
    type === 'float32' ? new Float32Array(values)
    : type === 'float16' ? Uint16Array.from(Array.from(values), floatToHalf)
    : type === 'int64' ? BigInt64Array.from(Array.from(values), (v) => BigInt(Math.trunc(v)))
    : type === 'int32' ? new Int32Array(values)
    : type === 'int8' ? new Int8Array(values)
    : new Uint8Array(values);
  tensor.rawData = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  return tensor;
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: T.STRING, s: Buffer.from(value) };
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') {
      return { name, type: T.STRINGS, strings: (value as string[]).map((s) => Buffer.from(s)) };
    }
    const numbers = value as number[];
    return numbers.every(Number.isInteger) ? { name, type: T.INTS, ints: numbers } : { name, type: T.FLOATS, floats: numbers };
  }
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.TENSOR, t: value };
}

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, AttributeValue> = {},
  name?: string,
  domain?: string,
): onnx.INodeProto {
  return {
    opType,
    input: inputs,
    output: outputs,
    name: name ?? `${opType}_${outputs[0]}`,
    domain: domain ?? '',
    attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
  };
}

export function makeValueInfo(name: string, type: ElementTypeName, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface ModelSpec {
  nodes: onnx.INodeProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  initializers?: onnx.ITensorProto[];
  valueInfo?: onnx.IValueInfoProto[];
  opset?: number;
  /** Extra operator sets, e.g. { 'com.microsoft': 1 }. */
  extraOpsets?: Record<string, number>;
  metadata?: Record<string, string>;
  name?: string;
  irVersion?: number;
}

export function makeModel(spec: ModelSpec): onnx.ModelProto {
  return onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 8,
    producerName: 'edge-mlops',
    producerVersion: '0',
    opsetImport: [
      { domain: '', version: spec.opset ?? 17 },
      ...Object.entries(spec.extraOpsets ?? {}).map(([domain, version]) => ({ domain, version })),
    ],
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.name ?? 'graph',
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
      valueInfo: spec.valueInfo ?? [],
    },
  });
}

export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Convenience: build and serialise in one step. */
export function buildModel(spec: ModelSpec): Uint8Array {
  return encodeModel(makeModel(spec));
}
