// The ONNX protobuf schema, re-exported so the rest of the code has one import for it.
import { onnx } from 'onnx-proto';
import type Long from 'long';

export { onnx };

/** ONNX element types (TensorProto.DataType) by the names onnxruntime uses for tensors. */
export const ELEMENT_TYPE = {
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  uint16: onnx.TensorProto.DataType.UINT16,
  int16: onnx.TensorProto.DataType.INT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  string: onnx.TensorProto.DataType.STRING,
  bool: onnx.TensorProto.DataType.BOOL,
  float16: onnx.TensorProto.DataType.FLOAT16,
  float64: onnx.TensorProto.DataType.DOUBLE,
  uint32: onnx.TensorProto.DataType.UINT32,
  uint64: onnx.TensorProto.DataType.UINT64,
} as const;

export type ElementTypeName = keyof typeof ELEMENT_TYPE;

const NAME_BY_CODE = new Map<number, ElementTypeName>(
  (Object.entries(ELEMENT_TYPE) as [ElementTypeName, number][]).map(([name, code]) => [code, name]),
);

export function elementTypeName(code: number | null | undefined): ElementTypeName | 'unknown' {
  return (code !== null && code !== undefined && NAME_BY_CODE.get(code)) || 'unknown';
}

/** protobufjs decodes int64 as Long when the `long` package is present; callers want plain numbers. */
export function toNumber(value: number | Long | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
