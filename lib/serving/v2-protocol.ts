// The Open Inference Protocol (KServe V2) REST bodies, JSON form: model metadata, infer request → model feed, model
// outputs → infer response. Every refusal is a V2Error with the HTTP status and a message that names the input and
// what was expected, so clients can fix the request.
import type { OutputTensor } from '../contract';
import type { ElementType } from '../element-types';
import type { ModelFeed } from '../inference/types';
import type { ModelInfo, TensorInfo } from '../onnx';

export class V2Error extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const TO_V2: Record<string, string> = {
  bool: 'BOOL', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', int8: 'INT8', int16: 'INT16',
  int32: 'INT32', int64: 'INT64', float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES',
};
/** Element types whose values JSON numbers carry exactly enough to be sent and read. */
const JSON_TYPES: Record<string, { array: new (n: number) => ArrayLike<number | bigint> & { [i: number]: number | bigint }; bytes: number }> = {
  bool: { array: Uint8Array, bytes: 1 }, uint8: { array: Uint8Array, bytes: 1 }, int8: { array: Int8Array, bytes: 1 },
  uint16: { array: Uint16Array, bytes: 2 }, int16: { array: Int16Array, bytes: 2 }, uint32: { array: Uint32Array, bytes: 4 },
  int32: { array: Int32Array, bytes: 4 }, int64: { array: BigInt64Array, bytes: 8 }, uint64: { array: BigUint64Array, bytes: 8 },
  float32: { array: Float32Array, bytes: 4 }, float64: { array: Float64Array, bytes: 8 },
};

export function v2Datatype(type: string): string {
  return TO_V2[type] ?? type.toUpperCase();
}

/** V2 shapes: -1 for a free (symbolic or unknown) dimension. */
export function v2Shape(dims: readonly (number | string | null)[]): number[] {
  return dims.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
}

const tensorMetadata = (t: TensorInfo) => ({ name: t.name, datatype: v2Datatype(t.type), shape: v2Shape(t.dims) });

export function modelMetadata(name: string, version: string | undefined, info: ModelInfo): object {
  return {
    name, ...(version ? { versions: [version] } : {}), platform: 'onnxruntime_onnx',
    inputs: info.inputs.map(tensorMetadata), outputs: info.outputs.map(tensorMetadata),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const shapeText = (shape: readonly number[]) => `[${shape.join(',')}]`;

/** Row-major values of a flat or nested JSON array. */
function flatten(data: unknown, out: unknown[]): void {
  if (Array.isArray(data)) for (const item of data) flatten(item, out);
  else out.push(data);
}

/** A flat array as it is (the usual form: no second array of every value per request), a nested one flattened. */
function rowMajor(data: unknown[]): unknown[] {
  if (!data.some((item) => Array.isArray(item))) return data;
  const values: unknown[] = [];
  flatten(data, values);
  return values;
}

function elementData(input: TensorInfo, shape: number[], raw: unknown): Buffer {
  const kind = JSON_TYPES[input.type];
  if (!kind) throw new V2Error(400, `input "${input.name}" has datatype ${v2Datatype(input.type)}, which this server does not take as JSON`);
  if (!Array.isArray(raw)) throw new V2Error(400, `input "${input.name}": "data" must be an array (flat or nested, row-major) of ${shapeText(shape)} values`);
  const values = rowMajor(raw);
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) {
    throw new V2Error(400, `input "${input.name}" has ${values.length} values but shape ${shapeText(shape)} needs ${count}`);
  }
  const array = new kind.array(count);
  const float = input.type === 'float32' || input.type === 'float64';
  const big = input.type === 'int64' || input.type === 'uint64';
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (input.type === 'bool' && typeof v === 'boolean') { array[i] = v ? 1 : 0; continue; }
    // JSON has no NaN: null stands for a missing value in float inputs.
    if (float && v === null) { array[i] = Number.NaN; continue; }
    if (typeof v !== 'number' || !Number.isFinite(v) || (!float && !Number.isInteger(v))) {
      throw new V2Error(400, `input "${input.name}" value ${i} is ${JSON.stringify(v) ?? String(v)}; datatype ${v2Datatype(input.type)} needs ${float ? 'numbers (null = missing)' : 'integers'}`);
    }
    array[i] = big ? BigInt(v) : v;
  }
  const view = array as unknown as ArrayBufferView;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

export interface InferRequest {
  id?: string;
  feed: ModelFeed;
  /** Output names asked for; undefined = all. */
  outputs?: string[];
}

/** Checks a parsed JSON infer request against the model and turns it into a feed. */
export function parseInferRequest(body: unknown, info: ModelInfo): InferRequest {
  if (!isRecord(body) || !Array.isArray(body.inputs)) {
    throw new V2Error(400, 'the request body must be a JSON object with "inputs": [{ "name", "shape", "datatype", "data" }]');
  }
  const feed: ModelFeed = {};
  for (const [i, raw] of body.inputs.entries()) {
    if (!isRecord(raw) || typeof raw.name !== 'string') throw new V2Error(400, `inputs[${i}] must be an object with a "name"`);
    const input = info.inputs.find((m) => m.name === raw.name);
    if (!input) throw new V2Error(400, `unknown input "${raw.name}"; the model's inputs are ${info.inputs.map((m) => `"${m.name}"`).join(', ')}`);
    const expected = v2Shape(input.dims);
    if (raw.datatype !== v2Datatype(input.type)) {
      throw new V2Error(400, `input "${input.name}" expects datatype ${v2Datatype(input.type)}, got ${JSON.stringify(raw.datatype) ?? 'none'}`);
    }
    const shape = raw.shape;
    const fits = Array.isArray(shape) && shape.length === expected.length
      && shape.every((d, k) => Number.isInteger(d) && (d as number) > 0 && (expected[k] === -1 || expected[k] === d));
    if (!fits) {
      throw new V2Error(400, `input "${input.name}" expects shape ${shapeText(expected)} (-1 = any size), got ${JSON.stringify(shape) ?? 'none'}`);
    }
    if (input.name in feed) throw new V2Error(400, `input "${input.name}" is given twice`);
    feed[input.name] = { data: elementData(input, shape as number[], raw.data), type: input.type as ElementType, dims: shape as number[] };
  }
  const missing = info.inputs.filter((m) => !(m.name in feed));
  if (missing.length > 0) throw new V2Error(400, `missing input(s) ${missing.map((m) => `"${m.name}"`).join(', ')}`);
  let outputs: string[] | undefined;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs) || !body.outputs.every((o) => isRecord(o) && typeof o.name === 'string')) {
      throw new V2Error(400, '"outputs" must be an array of { "name" }');
    }
    outputs = (body.outputs as { name: string }[]).map((o) => o.name);
    const unknown = outputs.find((n) => !info.outputs.some((o) => o.name === n));
    if (unknown !== undefined) throw new V2Error(400, `unknown output "${unknown}"; the model's outputs are ${info.outputs.map((o) => `"${o.name}"`).join(', ')}`);
  }
  const id = typeof body.id === 'string' ? body.id : undefined;
  return { id, feed, outputs };
}

function jsonValues(output: OutputTensor): (number | boolean | null)[] {
  const kind = JSON_TYPES[output.type];
  if (!kind) throw new V2Error(500, `output of type ${output.type} cannot be sent as JSON`);
  const { buffer, byteOffset, byteLength } = output.data;
  const view = new (kind.array as unknown as new (b: ArrayBufferLike, o: number, n: number) => ArrayLike<number | bigint>)(buffer, byteOffset, byteLength / kind.bytes);
  const values: (number | boolean | null)[] = new Array(view.length);
  for (let i = 0; i < view.length; i++) {
    const v = view[i]!;
    values[i] = typeof v === 'bigint' ? Number(v) : output.type === 'bool' ? v !== 0 : Number.isFinite(v) ? v : null;
  }
  return values;
}

export function inferResponse(name: string, version: string | undefined, id: string | undefined, outputs: Record<string, OutputTensor>, order: string[]): object {
  return {
    model_name: name, ...(version ? { model_version: version } : {}), ...(id !== undefined ? { id } : {}),
    outputs: order.filter((n) => outputs[n]).map((n) => ({ name: n, datatype: v2Datatype(outputs[n]!.type), shape: outputs[n]!.dims, data: jsonValues(outputs[n]!) })),
  };
}
