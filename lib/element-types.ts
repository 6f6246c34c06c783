// The one element-type table (like onnxruntime-common's Tensor.DataTypeMap): each tensor element type with its
// size, typed-array class and ONNX TensorProto.DataType code, at the type level and at run time from the same
// object, so they cannot drift apart.

export const ELEMENT_TYPES = {
  float32: { bytes: 4, array: Float32Array, onnx: 1 },
  float64: { bytes: 8, array: Float64Array, onnx: 11 },
  /** Kept as raw IEEE half-precision bits. */
  float16: { bytes: 2, array: Uint16Array, onnx: 10 },
  int8: { bytes: 1, array: Int8Array, onnx: 3 },
  uint8: { bytes: 1, array: Uint8Array, onnx: 2 },
  /** One byte per element, 0 or 1. */
  bool: { bytes: 1, array: Uint8Array, onnx: 9 },
  int16: { bytes: 2, array: Int16Array, onnx: 5 },
  uint16: { bytes: 2, array: Uint16Array, onnx: 4 },
  int32: { bytes: 4, array: Int32Array, onnx: 6 },
  uint32: { bytes: 4, array: Uint32Array, onnx: 12 },
  int64: { bytes: 8, array: BigInt64Array, onnx: 7 },
  uint64: { bytes: 8, array: BigUint64Array, onnx: 13 },
} as const;

/** ONNX's code for text tensors, which the package only names (never reads). */
export const ONNX_STRING = 8;

/** Every numeric tensor element type the package passes around (ONNX's, without string and complex). */
export type ElementType = keyof typeof ELEMENT_TYPES;

/** The typed array that views elements of type T. */
export type ElementArray<T extends ElementType> = InstanceType<(typeof ELEMENT_TYPES)[T]['array']>;

export function isElementType(type: unknown): type is ElementType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(ELEMENT_TYPES, type);
}

/** Bytes per element. */
export function elementBytes(type: ElementType): number {
  return ELEMENT_TYPES[type].bytes;
}

/** Bytes of a tensor of this type and shape. */
export function tensorBytes(type: ElementType, dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1) * ELEMENT_TYPES[type].bytes;
}

type ArrayClass = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;

/** Typed-array view on memory without copying. The memory must be aligned to the element size. */
export function elementView<T extends ElementType>(memory: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }, type: T): ElementArray<T> {
  const { bytes, array } = ELEMENT_TYPES[type];
  return new (array as ArrayClass)(memory.buffer, memory.byteOffset, memory.byteLength / bytes) as ElementArray<T>;
}
