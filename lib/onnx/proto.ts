// The ONNX protobuf schema, re-exported so the rest of the code has one import for it.
import { onnx } from 'onnx-proto';
import type Long from 'long';
import { ELEMENT_TYPES, ONNX_STRING, type ElementType } from '../element-types';

export { onnx };

/** ONNX element types (TensorProto.DataType) by the names onnxruntime uses for tensors: the element table, plus string. */
export const ELEMENT_TYPE = {
  ...(Object.fromEntries(Object.entries(ELEMENT_TYPES).map(([name, entry]) => [name, entry.onnx])) as { [T in ElementType]: (typeof ELEMENT_TYPES)[T]['onnx'] }),
  string: ONNX_STRING,
} as const;

export type ElementTypeName = ElementType | 'string';

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
