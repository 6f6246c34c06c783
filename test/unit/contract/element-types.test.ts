// The element-type table: sizes agree with the typed arrays, ONNX codes with the ONNX schema.
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { ELEMENT_TYPES, elementView, isElementType, ONNX_STRING, tensorBytes, type ElementType } from '../../../lib/element-types';

describe('element-type table', () => {
  const types = Object.keys(ELEMENT_TYPES) as ElementType[];

  it("gives each type's typed array its element size", () => {
    for (const type of types) assert.equal(ELEMENT_TYPES[type].array.BYTES_PER_ELEMENT, ELEMENT_TYPES[type].bytes, type);
  });

  it('uses the ONNX TensorProto.DataType codes', () => {
    const names: Record<string, string> = { float32: 'FLOAT', float64: 'DOUBLE' };
    for (const type of types) {
      const onnxName = names[type] ?? type.toUpperCase();
      assert.equal(ELEMENT_TYPES[type].onnx, onnx.TensorProto.DataType[onnxName as keyof typeof onnx.TensorProto.DataType], type);
    }
    assert.equal(ONNX_STRING, onnx.TensorProto.DataType.STRING);
  });

  it('views memory without copying and sizes tensors', () => {
    const data = Buffer.from(new Float32Array([1.5, -2]).buffer);
    const view = elementView(data, 'float32');
    assert.deepEqual([...view], [1.5, -2]);
    assert.equal(view.buffer, data.buffer);
    assert.equal(tensorBytes('int64', [2, 3]), 48);
    assert.equal(isElementType('string'), false);
    assert.equal(isElementType('toString'), false);
    assert.equal(isElementType('uint8'), true);
  });
});
