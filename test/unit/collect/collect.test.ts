// lib/collect: uncertainty from model outputs, the rules with their limits, the bounded crash-safe store.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CollectPolicy, SampleStore, pixelUncertainty, sampleDirectories, validateCollectRules } from '../../../lib/collect';
import { bufferOf, type OutputTensor } from '../../../lib/contract';
import { refusal } from '../../helpers/refusal';

/** NCHW logits [1, C, 1, pixels] from per-pixel channel values. */
function logits(pixels: number[][]): OutputTensor {
  const channels = pixels[0]!.length;
  const data = new Float32Array(channels * pixels.length);
  pixels.forEach((values, i) => values.forEach((v, c) => { data[c * pixels.length + i] = v; }));
  return { data: bufferOf(data), type: 'float32', dims: [1, channels, 1, pixels.length] };
}

describe('collect: uncertainty', () => {
  it('is 0 for confident pixels and 1 for a uniform distribution, from logits or probabilities', () => {
    const certain = pixelUncertainty(logits([[50, 0, 0, 0], [0, 50, 0, 0]]), 'logits', 0.6);
    assert.ok(certain.meanEntropy < 1e-6);
    assert.equal(certain.lowConfidenceShare, 0);
    const uniform = pixelUncertainty(logits([[3, 3, 3, 3], [-1, -1, -1, -1]]), 'logits', 0.6);
    assert.ok(Math.abs(uniform.meanEntropy - 1) < 1e-6, String(uniform.meanEntropy));
    assert.equal(uniform.lowConfidenceShare, 1);
    const probs = pixelUncertainty(logits([[0.5, 0.5], [1, 0], [0.7, 0.3], [0.55, 0.45]]), 'probabilities', 0.6);
    assert.equal(probs.lowConfidenceShare, 0.5);
    assert.ok(Math.abs(probs.meanEntropy - (1 + 0 + 0.8812909 + 0.9927745) / 4) < 1e-5, String(probs.meanEntropy));
  });

  it('reads a single-channel output through a sigmoid', () => {
    const u = pixelUncertainty(logits([[0], [10], [-10], [0.2]]), 'mask', 0.6);
    assert.equal(u.lowConfidenceShare, 0.5);
    // ln 2, two nearly certain pixels and sigmoid(0.2) = 0.55: (1 + 0.0007 + 0.0007 + 0.9929) / 4
    assert.ok(Math.abs(u.meanEntropy - 0.4986) < 0.0005, String(u.meanEntropy));
  });

  it('refuses outputs it cannot read', async () => {
    assert.equal((await refusal(() => pixelUncertainty({ data: Buffer.alloc(16), type: 'float32', dims: [1, 4] }, 'x', 0.5))).code, 'bad-shape');
    assert.equal((await refusal(() => pixelUncertainty({ data: Buffer.alloc(8), type: 'float32', dims: [1, 4, 1, 1] }, 'x', 0.5))).code, 'data-size');
  });
});

describe('collect: rules', () => {
  const facts = { requested: false, state: 'OK' as const, ratios: { 'rust/tower': 0.047 }, thresholds: { 'rust/tower': [0.05, 0.01] } };

  it('keeps by the first rule in order that fires', () => {
    const policy = new CollectPolicy(validateCollectRules([{ kind: 'requested' }, { kind: 'near-threshold', epsilon: 0.005 }, { kind: 'random', share: 1 }]));
    assert.deepEqual(policy.decide({ ...facts, requested: true }), { keep: true, rule: 0, kind: 'requested', reason: 'msg.collect is true' });
    assert.deepEqual(policy.decide(facts), { keep: true, rule: 1, kind: 'near-threshold', reason: 'rust/tower = 0.047 within 0.005 of threshold 0.05' });
    assert.equal((policy.decide({ ...facts, ratios: { 'rust/tower': 0.03 } }) as { kind: string }).kind, 'random');
  });

  it('uses the row\'s own ratio and threshold, retakes, and uncertainty only when reached', () => {
    let measured = 0;
    const uncertainty = () => { measured++; return { meanEntropy: 0.4, lowConfidenceShare: 0.3, confidence: 0.6 }; };
    const policy = new CollectPolicy(validateCollectRules([
      { kind: 'retake' }, { kind: 'near-threshold', epsilon: 0.01, ratio: 'cable/image', threshold: 0.2 },
      { kind: 'uncertain', measure: 'entropy', threshold: 0.5 }, { kind: 'uncertain', measure: 'low-confidence', threshold: 0.25 },
    ]));
    assert.equal((policy.decide({ requested: false, state: 'RETAKE', uncertainty }) as { rule: number }).rule, 0);
    assert.equal(measured, 0, 'a rule before it fired, so nothing was measured');
    assert.equal((policy.decide({ requested: false, ratios: { 'cable/image': 0.195 }, uncertainty }) as { rule: number }).rule, 1);
    const unsure = policy.decide({ requested: false, ratios: {}, uncertainty });
    assert.deepEqual(unsure, { keep: true, rule: 3, kind: 'uncertain', reason: '0.300 of the pixels below confidence 0.6 (≥ 0.25)' });
  });

  it('limits each rule per minute, hour and day, and tries the next rule when one is over its limit', () => {
    const policy = new CollectPolicy(validateCollectRules([{ kind: 'requested', perMinute: 2, perHour: 3 }, { kind: 'random', share: 1, perDay: 1 }]));
    const at = (minutes: number) => Date.UTC(2026, 0, 1) + minutes * 60_000;
    const ask = (minutes: number) => policy.decide({ requested: true }, at(minutes));
    assert.deepEqual([ask(0), ask(0.5)].map((d) => (d as { rule: number }).rule), [0, 0]);
    assert.equal((ask(0.9) as { rule: number }).rule, 1, 'rule 1 is at 2 per minute: the random rule takes it');
    assert.deepEqual(ask(0.95), { keep: false, limited: [0, 1] });
    assert.equal((ask(1.1) as { rule: number }).rule, 0, 'a minute later rule 1 has budget again');
    assert.deepEqual(ask(2), { keep: false, limited: [0, 1] }, 'but only 3 per hour');
    assert.equal((ask(61) as { rule: number }).rule, 0, 'the first two have left the hour');
    assert.equal((ask(61.2) as { rule: number }).rule, 0);
    assert.deepEqual(ask(61.3), { keep: false, limited: [0, 1] }, 'rule 1: 2 in the last minute; rule 2: 1 in the last day');
    assert.equal((ask(24 * 60 + 1) as { rule: number }).rule, 0);
  });

  it('refuses bad rows with the row number and what to change', async () => {
    assert.match((await refusal(() => validateCollectRules([{ kind: 'requested' }, { kind: 'random', share: 2 }]))).message, /Collect rule 2: share "2" must be between 0 and 1/);
    assert.match((await refusal(() => validateCollectRules([{ kind: 'guess' }]))).message, /kind "guess" must be one of/);
    assert.match((await refusal(() => validateCollectRules([{ kind: 'near-threshold', epsilon: 0.1, ratio: 'rust/tower' }]))).message, /give both a ratio name and a threshold/);
    assert.match((await refusal(() => validateCollectRules([{ kind: 'retake', perHour: -1 }]))).message, /per hour "-1" must be a whole number/);
    assert.equal((await refusal(() => validateCollectRules('rules'))).code, 'bad-setting');
  });
});

describe('collect: store', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collect-store-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const add = (store: SampleStore, n: number, size = 100) => store.add({ 'picture.jpg': Buffer.alloc(size, n) }, { n });

  it('evicts the oldest samples beyond the count limit and counts them across restarts', async () => {
    const store = new SampleStore(dir, { maxCount: 3, maxBytes: 1e6 });
    for (let n = 1; n <= 5; n++) await add(store, n);
    assert.equal(store.count, 3);
    assert.equal(store.evicted, 2);
    const reopened = new SampleStore(dir, { maxCount: 3, maxBytes: 1e6 });
    assert.equal(reopened.evicted, 2);
    assert.deepEqual(reopened.list().map((s) => JSON.parse(fs.readFileSync(path.join(s.dir, 'sample.json'), 'utf8')).n), [3, 4, 5]);
    const { sample } = await add(reopened, 6);
    assert.ok(sample.id > reopened.list()[1]!.id, 'sequence numbers keep growing after a restart');
    assert.equal(reopened.evicted, 3);
  });

  it('keeps the bytes under the size limit and refuses a sample larger than the whole store', async () => {
    const store = new SampleStore(dir, { maxCount: 100, maxBytes: 1000 });
    for (let n = 1; n <= 4; n++) await add(store, n, 300);
    assert.ok(store.size <= 1000, String(store.size));
    assert.equal(store.count, 3, 'three of 300 bytes and their sample.json fit in 1000');
    assert.equal(store.evicted, 1);
    assert.equal((await refusal(() => add(store, 9, 2000))).code, 'sample-too-large');
    assert.equal(store.count, 3, 'a refused sample changes nothing');
  });

  it('writes off the calling tick: add() returns before the sample is stored, and resolves once it is', async () => {
    const store = new SampleStore(dir, { maxCount: 10, maxBytes: 1e6 });
    const adding = add(store, 1);
    assert.equal(store.count, 0, 'nothing written synchronously');
    const { sample } = await adding;
    assert.equal(store.count, 1);
    assert.equal(JSON.parse(fs.readFileSync(path.join(sample.dir, 'sample.json'), 'utf8')).n, 1);
  });

  it('stores samples added at once in their order, and a refused one does not block those behind it', async () => {
    const store = new SampleStore(dir, { maxCount: 10, maxBytes: 1000 });
    const results = await Promise.allSettled([add(store, 1), add(store, 2, 5000), add(store, 3), add(store, 4)]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.deepEqual(sampleDirectories(dir).map((d) => JSON.parse(fs.readFileSync(path.join(d, 'sample.json'), 'utf8')).n), [1, 3, 4]);
  });

  it('drops what a crash left half-written and lists only complete samples', async () => {
    const store = new SampleStore(dir, { maxCount: 10, maxBytes: 1e6 });
    await add(store, 1);
    fs.mkdirSync(path.join(dir, '.staging-123-abcd'));
    fs.writeFileSync(path.join(dir, '.staging-123-abcd', 'picture.jpg'), 'half');
    const reopened = new SampleStore(dir, { maxCount: 10, maxBytes: 1e6 });
    assert.equal(reopened.count, 1);
    assert.ok(!fs.existsSync(path.join(dir, '.staging-123-abcd')));
    assert.equal(sampleDirectories(dir).length, 1);
  });
});
