import assert from 'node:assert/strict';
import { classify, classifySettings, resolveClassifier } from '../../../lib/classify';
import { PipelineError } from '../../../lib/errors';
import { floats } from '../../fixtures/inference-models';

const output = (values: number[], dims: number[]) => ({ y: { data: floats(values), type: 'float32', dims } });
const resolved = (raw: Record<string, unknown> = {}, metadata = {}) => resolveClassifier(classifySettings(raw), metadata);

describe('classify: outputs → predictions', () => {
  it('softmax of logits, argmax label, labels from the metadata', () => {
    const [p] = classify(output([1, 3, 2], [1, 3]), resolved({}, { labels: '["a","b","c"]', output: 'logits' }));
    const e = [Math.exp(1), Math.exp(3), Math.exp(2)];
    const sum = e[0]! + e[1]! + e[2]!;
    assert.equal(p!.label, 'b');
    assert.equal(p!.index, 1);
    assert.ok(Math.abs(p!.score - e[1]! / sum) < 1e-12);
    assert.ok(Math.abs(p!.scores.c! - e[2]! / sum) < 1e-12);
  });

  it('binary: the positive label wins above the threshold (setting over metadata over 0.5)', () => {
    const probs = output([0.7, 0.3], [1, 2]);
    assert.equal(classify(probs, resolved({ labels: 'normal, failure' }))[0]!.label, 'normal');
    const byMeta = classify(probs, resolved({}, { labels: '["normal","failure"]', threshold: '0.25' }))[0]!;
    assert.deepEqual([byMeta.label, byMeta.score], ['failure', 0.30000001192092896]);
    assert.equal(classify(probs, resolved({ threshold: 0.4 }, { labels: '["normal","failure"]', threshold: '0.25' }))[0]!.label, 'normal');
  });

  it('recognises probabilities; one column is a sigmoid of a logit; several rows give several predictions', () => {
    assert.deepEqual(classify(output([0.2, 0.8], [1, 2]), resolved())[0]!.scores, { class0: 0.20000000298023224, class1: 0.800000011920929 });
    const [p] = classify(output([0], [1, 1]), resolved({ scores: 'logits', labels: 'ok, bad' }));
    assert.deepEqual(p!.scores, { ok: 0.5, bad: 0.5 });
    assert.equal(classify(output([5, -5, -5, 5], [2, 2]), resolved({ labels: 'ok, bad' })).map((x) => x.label).join(), 'ok,bad');
  });

  it('refuses what is not a classifier output with a clear code', () => {
    const code = (fn: () => unknown) => { try { fn(); } catch (e) { assert.ok(e instanceof PipelineError); return e.code; } return 'none'; };
    assert.equal(code(() => classify(undefined, resolved())), 'no-outputs');
    assert.equal(code(() => classify(output([1, 2], [1, 2]), resolved({ output: 'z' }))), 'unknown-output');
    assert.equal(code(() => classify({ y: { data: [1], type: 'float32', dims: [1] } }, resolved())), 'bad-output');
    assert.equal(code(() => classify(output([1, 2, 3, 4], [1, 2, 2]), resolved())), 'bad-shape');
    assert.equal(code(() => classify(output([1, 2, 3], [1, 3]), resolved({ labels: 'a, b' }))), 'label-count');
    assert.equal(code(() => classifySettings({ threshold: 2 })), 'bad-setting');
    assert.equal(code(() => classifySettings({ labels: '[1,2' })), 'bad-setting');
  });
});
