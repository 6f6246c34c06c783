// Small helpers to read and rewrite an ONNX graph in place.
import { onnx, toNumber } from '../onnx';

const DataType = onnx.TensorProto.DataType;

/** Float values of a float32 initializer (raw_data or float_data). */
export function floatValues(tensor: onnx.ITensorProto): Float32Array {
  if (tensor.dataType !== DataType.FLOAT) throw new Error(`tensor ${tensor.name} is not float32`);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    // Copy: raw_data from a decoded protobuf is not guaranteed to be 4-byte aligned.
    const copy = new Uint8Array(raw);
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(tensor.floatData ?? []);
}

/** Integer values of an int64/int32 initializer. */
export function integerValues(tensor: onnx.ITensorProto): number[] {
  const raw = tensor.rawData;
  if (tensor.dataType === DataType.INT64) {
    if (raw && raw.length > 0) {
      const copy = new Uint8Array(raw);
      return Array.from(new BigInt64Array(copy.buffer, 0, copy.length / 8), Number);
    }
    return (tensor.int64Data ?? []).map((v) => toNumber(v));
  }
  if (tensor.dataType === DataType.INT32) {
    if (raw && raw.length > 0) {
      const copy = new Uint8Array(raw);
      return Array.from(new Int32Array(copy.buffer, 0, copy.length / 4));
    }
    return [...(tensor.int32Data ?? [])];
  }
  throw new Error(`tensor ${tensor.name} is not an integer tensor`);
}

export function dimsOf(tensor: onnx.ITensorProto): number[] {
  return (tensor.dims ?? []).map((d) => toNumber(d));
}

export function attributeInt(node: onnx.INodeProto, name: string, fallback: number): number {
  const attr = (node.attribute ?? []).find((a) => a.name === name);
  return attr ? toNumber(attr.i) : fallback;
}

export function attributeFloat(node: onnx.INodeProto, name: string, fallback: number): number {
  const attr = (node.attribute ?? []).find((a) => a.name === name);
  return attr ? (attr.f ?? fallback) : fallback;
}

export function attributeInts(node: onnx.INodeProto, name: string): number[] | undefined {
  const attr = (node.attribute ?? []).find((a) => a.name === name);
  return attr ? (attr.ints ?? []).map((v) => toNumber(v)) : undefined;
}

export function removeAttribute(node: onnx.INodeProto, name: string): void {
  node.attribute = (node.attribute ?? []).filter((a) => a.name !== name);
}

/** Index of a graph: initializers by name, producer and consumers of every tensor. */
export class GraphIndex {
  readonly initializers = new Map<string, onnx.ITensorProto>();
  readonly producers = new Map<string, onnx.INodeProto>();
  readonly consumers = new Map<string, onnx.INodeProto[]>();
  readonly graphOutputs: Set<string>;
  readonly graphInputs: Set<string>;

  constructor(readonly graph: onnx.IGraphProto) {
    for (const t of graph.initializer ?? []) this.initializers.set(t.name ?? '', t);
    for (const node of graph.node ?? []) {
      for (const out of node.output ?? []) if (out) this.producers.set(out, node);
      for (const input of node.input ?? []) {
        if (!input) continue;
        const list = this.consumers.get(input) ?? [];
        list.push(node);
        this.consumers.set(input, list);
      }
    }
    this.graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
    this.graphInputs = new Set((graph.input ?? []).map((i) => i.name ?? '').filter((n) => !this.initializers.has(n)));
  }

  isConstant(name: string): boolean {
    return this.initializers.has(name);
  }

  consumersOf(name: string): onnx.INodeProto[] {
    return this.consumers.get(name) ?? [];
  }

  /** Float values of an initializer or undefined if the name is not a float32 initializer. */
  constantFloats(name: string): Float32Array | undefined {
    const t = this.initializers.get(name);
    return t && t.dataType === DataType.FLOAT ? floatValues(t) : undefined;
  }
}

/** Makes tensor names that do not collide with existing ones. */
export class NameAllocator {
  private readonly used = new Set<string>();
  constructor(graph: onnx.IGraphProto) {
    for (const n of graph.node ?? []) {
      for (const name of [...(n.input ?? []), ...(n.output ?? [])]) this.used.add(name);
      if (n.name) this.used.add(n.name);
    }
    for (const t of graph.initializer ?? []) this.used.add(t.name ?? '');
    for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) this.used.add(v.name ?? '');
  }
  make(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}
