// The model card under Inspect: version, sha256, precision (int8 with its weight bits, fp16, fp32) and labels.
import assert from 'node:assert/strict';
import { modelCard } from '../../../lib/model-files';
import type { ModelInfo } from '../../../lib/onnx';

function info(overrides: Partial<ModelInfo> = {}): ModelInfo {
  return {
    irVersion: 8, opsetVersion: 17, producer: 'test', graphName: 'g', nodeCount: 1, usesExternalData: false,
    inputs: [{ name: 'x', type: 'float32', dims: [1, 3, 8, 8] }], outputs: [{ name: 'y', type: 'float32', dims: [1, 2, 8, 8] }],
    metadata: {}, opTypes: ['Conv'], ...overrides,
  };
}
const file = { sha256: 'ab'.repeat(32), bytes: 1234 };

describe('model card', () => {
  it('reads an int8 model quantized by this package: mode, weight bits, activation type, source version', () => {
    const record = { mode: 'static', weightBits: 7, activationType: 'uint8', source: { sha256: 'x', version: '1.0.0' } };
    const card = modelCard(info({ metadata: { name: 'vqi', version: '1.0.0-int8.w7', quantization: JSON.stringify(record) }, opTypes: ['QuantizeLinear', 'Conv'] }), file);
    assert.deepEqual(card, {
      name: 'vqi', version: '1.0.0-int8.w7', sha256: file.sha256, bytes: 1234, precision: 'int8',
      quantization: { mode: 'static', weightBits: 7, activationType: 'uint8', sourceVersion: '1.0.0' }, labels: [], labelsFrom: 'none',
    });
  });

  it('tells int8 from the operators when another tool quantized the model, and fp16 from the tensor types', () => {
    assert.deepEqual(modelCard(info({ opTypes: ['com.microsoft.QGemm', 'Relu'] }), file).quantization, { mode: 'operators' });
    assert.equal(modelCard(info({ opTypes: ['QLinearConv'] }), file).precision, 'int8');
    assert.equal(modelCard(info({ inputs: [{ name: 'x', type: 'float16', dims: [1, 3, 8, 8] }] }), file).precision, 'float16');
    assert.equal(modelCard(info(), file).precision, 'float32');
    // An unreadable record does not hide what the operators say.
    assert.equal(modelCard(info({ metadata: { quantization: '{not json' }, opTypes: ['Conv'] }), file).precision, 'float32');
  });

  it('takes labels from the metadata first (JSON or comma list), then from a card or manifest next to the model', () => {
    assert.deepEqual(modelCard(info({ metadata: { labels: '["bg", "rust"]' } }), { ...file, labels: ['x'] }), {
      sha256: file.sha256, bytes: 1234, precision: 'float32', labels: ['bg', 'rust'], labelsFrom: 'metadata',
    });
    assert.deepEqual(modelCard(info({ metadata: { labels: 'bg, rust' } }), file).labels, ['bg', 'rust']);
    const fromCard = modelCard(info({ metadata: { labels: '["broken' } }), { ...file, labels: ['a', 'b'], version: '2.0' });
    assert.deepEqual([fromCard.labels, fromCard.labelsFrom, fromCard.version], [['a', 'b'], 'card', '2.0']);
  });
});
