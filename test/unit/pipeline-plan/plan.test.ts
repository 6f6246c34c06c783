// "Configure the pipeline from this model": what is decided from the model, and what is reported as undecided.
import assert from 'node:assert/strict';
import { applyPlan, conditionClasses, flowFromRequest, linkedNodes, planAnswers, planFromModel, type FlowNode, type PlanInput } from '../../../lib/pipeline-plan';
import type { ModelInfo, TensorInfo } from '../../../lib/onnx';

function model(inputs: TensorInfo[], outputs: TensorInfo[], metadata: Record<string, string> = {}): ModelInfo {
  return { irVersion: 8, opsetVersion: 17, producer: '', graphName: 'g', nodeCount: 1, usesExternalData: false, opTypes: ['Conv'], inputs, outputs, metadata };
}
const VQI_METADATA = {
  labels: '["background", "tower", "cable", "rust"]', input_size: '[256, 256]', mean: '[0.485, 0.456, 0.406]', std: '[0.229, 0.224, 0.225]',
  scale: '0.00392156862745098', color_order: 'RGB',
};
const settings = (plan: ReturnType<typeof planFromModel>) => plan.undecided.map((u) => u.setting);

describe('pipeline plan from a model', () => {
  it('takes everything from a fully described model (vqi-demo) and asks nothing', () => {
    const info = model([{ name: 'image', type: 'float32', dims: [1, 3, 256, 256] }], [{ name: 'logits', type: 'float32', dims: [1, 4, 256, 256] }], VQI_METADATA);
    const plan = planFromModel({ info, labels: ['background', 'tower', 'cable', 'rust'], labelsFrom: 'metadata' });
    assert.deepEqual(plan.tensor, { layout: 'NCHW', width: '', height: '', dataType: 'float32', colorOrder: 'RGB', mean: '0.485, 0.456, 0.406', std: '0.229, 0.224, 0.225', scale: '0.00392156862745098' });
    assert.deepEqual(plan.segment, { labels: '' });
    assert.deepEqual(plan.labels, ['background', 'tower', 'cable', 'rust']);
    assert.deepEqual(plan.undecided, []);
    assert.deepEqual(plan.questions, []);
    assert.deepEqual(plan.decided.find((d) => d.setting === 'size'), { setting: 'size', value: '256x256', basis: 'model' });
  });

  it('asks for the size when height and width are free and the metadata has none; an answer fills it', () => {
    const info = model([{ name: 'image', type: 'float32', dims: [1, 3, 'height', 'width'] }], [{ name: 'out', type: 'float32', dims: [1, 1, 'height', 'width'] }]);
    const asked = planFromModel({ info, labels: [], labelsFrom: 'none' });
    assert.deepEqual(asked.questions, ['size', 'labels']);
    assert.deepEqual(settings(asked), ['size', 'colorOrder', 'mean/std', 'singleChannel', 'labels']);
    assert.equal(asked.tensor.width, undefined);
    assert.equal(asked.sampleOptions, undefined);
    assert.deepEqual(asked.suggestedLabels, ['background', 'object']);
    const answered = planFromModel({ info, labels: [], labelsFrom: 'none', answers: { width: 64, height: 48, labels: ['crack'] } });
    assert.deepEqual([answered.tensor.width, answered.tensor.height], ['64', '48']);
    assert.deepEqual(answered.sampleOptions, { width: 64, height: 48, name: 'image', layout: 'NCHW', type: 'float32' });
    assert.deepEqual(answered.sampleNeeded, ['out']);
    assert.deepEqual(answered.labels, ['background', 'crack']);
    assert.deepEqual(answered.segment, { labels: 'crack' });
    assert.deepEqual(answered.questions, []);
  });

  it('uses metadata input_size for free dimensions, and never over fixed ones', () => {
    const free = planFromModel({ info: model([{ name: 'x', type: 'float32', dims: [1, 3, 'h', 'w'] }], [], { input_size: '{"width": 320, "height": 240}' }), labels: [], labelsFrom: 'none' });
    assert.deepEqual(free.decided.find((d) => d.setting === 'size'), { setting: 'size', value: '320x240', basis: 'metadata' });
    const fixed = planFromModel({ info: model([{ name: 'x', type: 'float32', dims: [1, 3, 100, 200] }], [], { input_size: '[5, 5]' }), labels: [], labelsFrom: 'none' });
    assert.equal(fixed.decided.find((d) => d.setting === 'size')!.value, '200x100');
  });

  it('recognises a 1-channel output as probabilities or logits from metadata, name, then a sample run', () => {
    const inputs: TensorInfo[] = [{ name: 'x', type: 'float32', dims: [1, 3, 8, 8] }];
    const reading = (output: string, metadata: Record<string, string> = {}, sampleRanges?: PlanInput['sampleRanges']) => {
      const plan = planFromModel({ info: model(inputs, [{ name: output, type: 'float32', dims: [1, 1, 8, 8] }], metadata), labels: ['crack'], labelsFrom: 'metadata', sampleRanges });
      return [plan.segment.singleChannel, plan.decided.find((d) => d.setting === 'singleChannel')?.basis, plan.sampleNeeded];
    };
    assert.deepEqual(reading('out', { single_channel: 'logits' }), ['sigmoid', 'metadata', []]);
    assert.deepEqual(reading('mask_prob'), ['probability', 'name', []]);
    assert.deepEqual(reading('mask_logits'), ['sigmoid', 'name', []]);
    assert.deepEqual(reading('out'), [undefined, undefined, ['out']]);
    assert.deepEqual(reading('out', {}, { out: { min: 0.01, max: 0.97 } }), ['probability', 'sample', []]);
    assert.deepEqual(reading('out', {}, { out: { min: -7.5, max: 3.2 } }), ['sigmoid', 'sample', []]);
  });

  it('reads NHWC and uint8 inputs, and says what it cannot read', () => {
    const nhwc = planFromModel({ info: model([{ name: 'x', type: 'uint8', dims: [1, 224, 224, 3] }], [{ name: 'scores', type: 'float32', dims: [1, 2] }], { labels: 'ok, bad' }), labels: ['ok', 'bad'], labelsFrom: 'metadata' });
    assert.deepEqual([nhwc.tensor.layout, nhwc.tensor.dataType], ['NHWC', 'uint8']);
    assert.deepEqual(nhwc.classify, { labels: '' });
    assert.ok(!settings(nhwc).includes('mean/std'), 'uint8 inputs take pixels as they are');
    const noChannels = planFromModel({ info: model([{ name: 'x', type: 'float32', dims: [1, 'c', 'h', 'w'] }], []), labels: [], labelsFrom: 'none' });
    assert.deepEqual(settings(noChannels).slice(0, 2), ['layout', 'size']);
    assert.ok(settings(noChannels).includes('outputs'));
    const vector = planFromModel({ info: model([{ name: 'features', type: 'float32', dims: ['batch', 171] }], [{ name: 'logits', type: 'float32', dims: ['batch', 2] }]), labels: [], labelsFrom: 'none' });
    assert.match(vector.undecided[0]!.reason, /not an image/);
    const badMetadata = planFromModel({ info: model([{ name: 'x', type: 'float32', dims: [1, 3, 8, 8] }], [], { mean: '[1, 2]' }), labels: [], labelsFrom: 'none' });
    assert.match(badMetadata.undecided[0]!.reason, /metadata "mean"/);
  });

  it('refuses labels that do not fit the classes', () => {
    const info = model([{ name: 'x', type: 'float32', dims: [1, 3, 8, 8] }], [{ name: 'logits', type: 'float32', dims: [1, 4, 8, 8] }]);
    assert.match(planFromModel({ info, labels: ['a', 'b'], labelsFrom: 'card' }).undecided.find((u) => u.setting === 'labels')!.reason, /2 labels but its output has 4 classes/);
    const answered = planFromModel({ info, labels: [], labelsFrom: 'none', answers: { labels: ['a', 'b', 'c'] } });
    assert.deepEqual(answered.questions, ['labels']);
    assert.deepEqual(planFromModel({ info, labels: ['w', 'x', 'y', 'z'], labelsFrom: 'card' }).segment, { labels: 'w, x, y, z' });
  });
});

describe('pipeline plan applied to a flow', () => {
  const flow: FlowNode[] = [
    { id: 'img', type: 'mlops-image', wires: [['fn']] },
    { id: 'fn', type: 'function', wires: [['tensor']] },
    { id: 'tensor', type: 'mlops-tensor', width: '10', height: '10', wires: [['infer']] },
    { id: 'infer', type: 'mlops-infer', model: 'm', wires: [['seg', 'debug']] },
    { id: 'seg', type: 'mlops-segment', model: '', labels: 'old', wires: [['cond']] },
    { id: 'cond', type: 'mlops-condition', name: 'health', assetClasses: 'tower, pole', rules: [{ numerator: 'rust', denominator: 'tower' }, { numerator: 'dent', denominator: 'image' }], wires: [['infer2']] },
    { id: 'infer2', type: 'mlops-infer', model: 'other', wires: [['seg2']] },
    { id: 'seg2', type: 'mlops-segment', wires: [[]] },
    { id: 'debug', type: 'debug', wires: [] },
    { id: 'elsewhere', type: 'mlops-tensor', model: 'other', wires: [['infer2']] },
    { id: 'm', type: 'mlops-model', path: 'x' },
  ];

  it('links the nodes using the model, downstream of its infer (up to the next infer) and the tensor feeding it', () => {
    assert.deepEqual(linkedNodes(flow, 'm'), [
      { id: 'infer', type: 'mlops-infer', role: 'uses' },
      { id: 'seg', type: 'mlops-segment', role: 'downstream' },
      { id: 'cond', type: 'mlops-condition', role: 'downstream' },
      { id: 'tensor', type: 'mlops-tensor', role: 'upstream' },
    ]);
    // A cycle through the wires ends.
    assert.deepEqual(linkedNodes([{ id: 'a', type: 'mlops-infer', model: 'm', wires: [['b']] }, { id: 'b', type: 'mlops-segment', wires: [['a']] }], 'm').map((n) => n.id), ['a', 'b']);
  });

  it('sets only what changes, points the nodes at the model, and reports condition classes the model lacks', () => {
    const info = model([{ name: 'image', type: 'float32', dims: [1, 3, 'h', 'w'] }], [{ name: 'logits', type: 'float32', dims: [1, 3, 'h', 'w'] }]);
    const plan = planFromModel({ info, labels: ['background', 'tower', 'rust'], labelsFrom: 'card', answers: { width: 32, height: 32 } });
    const applied = applyPlan(plan, flow, 'm');
    assert.deepEqual(applied.changes, [
      { id: 'seg', type: 'mlops-segment', set: { model: 'm', labels: 'background, tower, rust' } },
      { id: 'tensor', type: 'mlops-tensor', set: { model: 'm', layout: 'NCHW', width: '32', height: '32', dataType: 'float32' } },
    ]);
    assert.deepEqual(applied.undecided.map((u) => u.reason), [
      'condition "health" names "pole", "dent", not among the model\'s classes (background, tower, rust); choose classes in its drop-downs',
    ]);
    assert.deepEqual(conditionClasses(flow[5]!), ['tower', 'pole', 'rust', 'dent']);
    assert.deepEqual(applied.currentLabels, ['old']);
    assert.match(applyPlan(plan, flow.filter((n) => n.type !== 'mlops-tensor'), 'm').undecided.at(-1)!.reason, /no mlops-tensor node/);
  });
});

describe('pipeline plan requests from the editor (hostile input)', () => {
  it('keeps only usable answers', () => {
    assert.deepEqual(planAnswers({ width: '64', height: 48, labels: ['a', 3, null, 'b'] }), { width: 64, height: 48, labels: ['a', 'b'] });
    for (const bad of [-1, 0, 1.5, 'abc', '', 1e9, Infinity, NaN, null, [], {}, '64px', true]) {
      assert.deepEqual(planAnswers({ width: bad, height: bad }), { width: undefined, height: undefined }, String(bad));
    }
    assert.deepEqual(planAnswers('nonsense'), { width: undefined, height: undefined });
    assert.deepEqual(planAnswers(null), { width: undefined, height: undefined });
    assert.equal(planAnswers({ labels: Array.from({ length: 5000 }, (_, i) => `c${i}`) })!.labels!.length, 1024);
    assert.equal(planAnswers({ labels: 'a, b' })!.labels, undefined);
  });

  it('ignores flow entries that are not nodes, and wires that are not lists of ids', () => {
    const flow = flowFromRequest([null, 42, 'x', { id: 7, type: 'mlops-tensor' }, { id: 'no-type' },
      { id: 'infer', type: 'mlops-infer', model: 'm', wires: 'segment' },
      { id: 'infer2', type: 'mlops-infer', model: 'm', wires: [[1, null, 'segment'], 'x', null] },
      { id: 'segment', type: 'mlops-segment', wires: [[{ id: 'x' }]] }]);
    assert.deepEqual(flow.map((n) => n.id), ['infer', 'infer2', 'segment']);
    assert.deepEqual(linkedNodes(flow, 'm').map((n) => n.id), ['infer', 'infer2', 'segment']);
    assert.deepEqual(flowFromRequest({ nodes: [] }), []);
  });
});
