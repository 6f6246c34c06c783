import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildModel, makeNode, makeTensor, makeValueInfo, readModelInfo, OnnxFormatError } from '../../../lib/onnx';

describe('onnx model builder and reader', () => {
  const bytes = buildModel({
    nodes: [makeNode('Add', ['x', 'bias'], ['y'])],
    inputs: [makeValueInfo('x', 'float32', ['batch', 3])],
    outputs: [makeValueInfo('y', 'float32', ['batch', 3])],
    initializers: [makeTensor('bias', 'float32', [3], [1, 2, 3])],
    metadata: { labels: '["a","b"]' },
  });

  it('describes inputs, outputs, metadata and operators', () => {
    const info = readModelInfo(bytes);
    assert.deepEqual(info.inputs, [{ name: 'x', type: 'float32', dims: ['batch', 3] }]);
    assert.deepEqual(info.outputs, [{ name: 'y', type: 'float32', dims: ['batch', 3] }]);
    assert.deepEqual(info.metadata, { labels: '["a","b"]' });
    assert.deepEqual(info.opTypes, ['Add']);
    assert.equal(info.opsetVersion, 17);
    assert.equal(info.usesExternalData, false);
  });

  it('builds models that onnxruntime runs', async () => {
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 1, 1]), [1, 3]) });
    assert.deepEqual(Array.from(out.y!.data as Float32Array), [2, 3, 4]);
  });

  it('refuses bytes that are not ONNX', () => {
    assert.throws(() => readModelInfo(new Uint8Array()), OnnxFormatError);
    assert.throws(() => readModelInfo(Buffer.from('\x89PNG\r\n\x1a\n not a model')), /not an ONNX model/);
  });
});
