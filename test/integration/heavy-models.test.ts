// Heavy real-model traps (issue 16) through a real Node-RED runtime: mlops-tensor → mlops-infer → mlops-segment
// with real onnxruntime, on models shaped like salient-object exports (test/fixtures/heavy-models.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { catchNode, nextMessage, nodeModule, recordStatus, testHelper } from '../helpers/flow';
import { onnx } from '../../lib/onnx';
import { sharedSegmentPool } from '../../lib/segmentation/segment-pool';
import { coverage, heavyDir, salientModel, threeObjectPicture, type Rect } from '../fixtures/heavy-models';

const functionNode = require(require.resolve('@node-red/nodes/core/function/10-function.js'));
const nodes = ['mlops-model', 'mlops-tensor', 'mlops-infer', 'mlops-segment'].map(nodeModule).concat(catchNode);
// 1280×960 into a 64² model: 20 picture pixels per tensor pixel, so rectangles on multiples of 20 map back exactly.
const RED_OBJECT: Rect = { x: 200, y: 160, width: 320, height: 320 };
const GREEN_OBJECT: Rect = { x: 700, y: 500, width: 300, height: 300 };
const BLUE_OBJECT: Rect = { x: 1060, y: 100, width: 200, height: 200 };
const picture = () => threeObjectPicture(1280, 960, RED_OBJECT, GREEN_OBJECT, BLUE_OBJECT);

/** The class map finds the object: the resize blends one tensor pixel at each edge, so allow that band and no more. */
function assertFinds(classMap: Buffer, object: Rect): void {
  const { inside, outside } = coverage(classMap, 1280, object);
  const area = object.width * object.height;
  const edgeBand = 2 * 20 * (object.width + object.height);
  assert.ok(inside >= area - edgeBand && inside <= area, `${inside} of ${area} object pixels found`);
  assert.ok(outside <= edgeBand, `${outside} pixels outside the object`);
}

function pipeline(modelPath: string, segment: Record<string, unknown> = {}, infer: Record<string, unknown> = {}, extra: object[] = []): object[] {
  const at = { z: 'tab', x: 100, y: 100 };
  return [
    { id: 'tab', type: 'tab', label: 'heavy' },
    { id: 'model', type: 'mlops-model', path: modelPath, workers: 1, warmup: false, intraOpThreads: 1 },
    { ...at, id: 'tensor', type: 'mlops-tensor', model: 'model', wires: [['infer']] },
    { ...at, id: 'infer', type: 'mlops-infer', model: 'model', queueSize: 2, queuePolicy: 'queue', wires: [['seg']], ...infer },
    { ...at, id: 'seg', type: 'mlops-segment', overlay: false, minArea: 0, maxComponents: 10, wires: [['out']], ...segment },
    { ...at, id: 'out', type: 'helper' },
    { ...at, id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { ...at, id: 'caught', type: 'helper' },
    ...extra.map((n) => ({ ...at, ...n })),
  ];
}

async function run(modelPath: string, segment: Record<string, unknown> = {}, infer: Record<string, unknown> = {}, extra: object[] = []) {
  await testHelper.load(nodes, pipeline(modelPath, segment, infer, extra));
  const status = recordStatus('seg');
  const warnings: string[] = [];
  testHelper.getNode('seg').on('call:warn', (call: { args: [string] }) => warnings.push(call.args[0]));
  const out = nextMessage('out');
  testHelper.getNode('tensor').receive({ image: picture() });
  return { msg: await out, status, warnings };
}

describe('heavy models: the right output, read the right way', function () {
  this.timeout(30000);
  afterEach(() => testHelper.unload());
  const model = salientModel({ size: 64 });

  it('segments the model\'s first output "output", not the integer-named side output JavaScript lists first', async () => {
    const { msg } = await run(model.path, {}, { fetch: 'all' });
    // Weights are float16, cast to float32 in the graph, as in fp16 exports.
    assert.ok(onnx.ModelProto.decode(model.bytes).graph!.initializer!.every((t) => t.dataType === onnx.TensorProto.DataType.FLOAT16));
    // The trap is real: the object's own key order puts "1890" first.
    assert.equal(Object.keys(msg.outputs)[0], '1890');
    assert.deepEqual(msg.outputNames, model.outputs);
    assert.equal(msg.segmentation.output, 'output');
    assertFinds(msg.segmentation.classMap, RED_OBJECT);
  });

  it('takes the order from the selected model when msg.outputNames is missing', async () => {
    const { msg } = await run(model.path, { model: 'model' }, { fetch: 'all' });
    const seg = testHelper.getNode('seg');
    const again = nextMessage('out');
    seg.receive({ outputs: msg.outputs, tensor: msg.tensor, image: msg.image });
    const second = await again;
    assert.equal(second.segmentation.output, 'output');
    assertFinds(second.segmentation.classMap, RED_OBJECT);
  });

  it('an output named in the settings still wins', async () => {
    const { msg } = await run(model.path, { output: '1890' });
    assert.equal(msg.segmentation.output, '1890');
    assertFinds(msg.segmentation.classMap, GREEN_OBJECT);
  });

  it('reads a probability map as probabilities by default and says so in the status', async () => {
    const { msg, status, warnings } = await run(model.path);
    assert.equal(msg.segmentation.singleChannel, 'probability');
    assert.equal(status.at(-1)!.fill, 'green');
    assert.match(status.at(-1)!.text!, /^1 component · class1 8\.\d% · read as probabilities · [\d.]+ ms$/);
    assert.deepEqual(warnings, []);
  });

  it('reads logits as logits by default', async () => {
    const { msg, status } = await run(salientModel({ size: 64, probabilities: false }).path);
    assert.equal(msg.segmentation.singleChannel, 'sigmoid');
    assertFinds(msg.segmentation.classMap, RED_OBJECT);
    assert.match(status.at(-1)!.text!, / · read as logits · [\d.]+ ms$/);
  });

  it('follows the model metadata single_channel over the value range', async () => {
    const { msg, status } = await run(salientModel({ size: 64, probabilities: false, metadata: { single_channel: 'probability' } }).path,
      { model: 'model' });
    assert.equal(msg.segmentation.singleChannel, 'probability');
    assert.match(status.at(-1)!.text!, / · read as probabilities · [\d.]+ ms$/);
  });

  it('warns (yellow status, one warning) when a logit setting meets a probability map', async () => {
    const { msg, status, warnings } = await run(model.path, { singleChannel: 'sigmoid' });
    // What the user asked for is done — and it is the silent failure of the issue: nearly everything is "object".
    assert.equal(msg.segmentation.singleChannel, 'sigmoid');
    assert.ok(coverage(msg.segmentation.classMap, 1280, RED_OBJECT).outside > 1_000_000);
    assert.equal(status.at(-1)!.fill, 'yellow');
    assert.match(status.at(-1)!.text!, /^looks like probabilities\? · /);
    assert.deepEqual(warnings, ['output "output" looks like probabilities (values) but is read as logits; check the 1-channel setting']);
    const out = nextMessage('out');
    testHelper.getNode('tensor').receive({ image: picture() });
    await out;
    assert.equal(warnings.length, 1, 'warned once, not per message');
  });
});

describe('heavy models: a truncated model file', function () {
  this.timeout(30000);
  // The editor may inspect models under the user directory only.
  before(() => testHelper.settings({ userDir: heavyDir }));
  after(() => testHelper.settings({ userDir: undefined }));
  afterEach(() => testHelper.unload());

  it('says the file ends early, in the status, to Catch and in the editor\'s model info, without doubled words', async () => {
    const { bytes } = salientModel({ size: 64 });
    const truncated = path.join(heavyDir, 'interrupted-download.onnx');
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await testHelper.load(nodes, pipeline(truncated));
    const status = recordStatus('model');
    const caught = nextMessage('caught');
    testHelper.getNode('tensor').receive({ image: picture() });
    const error = (await caught).error.message as string;
    assert.match(error, /the model file ends early \(incomplete copy: \d+ bytes, the data runs past them\): \S+interrupted-download\.onnx; copy or download/);
    assert.equal(status.at(-1)?.fill, 'red');
    assert.match(status.at(-1)!.text!, /^the model file ends early \(incomplete copy/);
    const info = await testHelper.request().get('/edge-mlops/model-info').query({ path: truncated }).expect(422);
    assert.equal(info.body.error, 'model-truncated');
    assert.match(info.body.message, /ends early \(incomplete copy/);
    assert.doesNotMatch(info.body.message, /not an ONNX model/);
  });

  it('does not double "not an ONNX model" for a file that is no model at all', async () => {
    const text = path.join(heavyDir, 'readme.onnx');
    fs.writeFileSync(text, 'this is a README that was saved with the wrong name');
    await testHelper.load(nodes, pipeline(text));
    const info = await testHelper.request().get('/edge-mlops/model-info').query({ path: text }).expect(422);
    assert.equal(info.body.error, 'not-onnx');
    assert.equal(info.body.message.match(/not an ONNX model/g)?.length, 1, info.body.message);
  });
});

describe('heavy models: only the outputs used are fetched', function () {
  this.timeout(30000);
  afterEach(() => testHelper.unload());
  // Four 8-channel decoder maps of 64²: 512 KB of outputs per message that mlops-segment never reads.
  const model = salientModel({ size: 64, features: 4, featureChannels: 8 });
  const inferStatus = () => recordStatus('infer');

  it('by default fetches only what mlops-segment reads, and says so in the status', async () => {
    await testHelper.load(nodes, pipeline(model.path));
    const status = inferStatus();
    const out = nextMessage('out');
    testHelper.getNode('tensor').receive({ image: picture() });
    const msg = await out;
    assert.deepEqual(Object.keys(msg.outputs), ['output']);
    assert.deepEqual(msg.outputNames, ['output']);
    assertFinds(msg.segmentation.classMap, RED_OBJECT);
    assert.match(status.at(-1)!.text!, / · 1\/7 outputs$/);
  });

  it('fetches the output a segment node names', async () => {
    const { msg } = await run(model.path, { output: '1891' });
    assert.deepEqual(Object.keys(msg.outputs), ['1891']);
    assertFinds(msg.segmentation.classMap, BLUE_OBJECT);
  });

  it('fetches all when a later node may read msg.outputs (a function node that mentions it)', async () => {
    const reader = { id: 'reader', type: 'function', func: 'msg.payload = msg.outputs.decoder_3.dims; return msg;', outputs: 1, wires: [['out']] };
    await testHelper.load([...nodes, functionNode], pipeline(model.path, { wires: [['reader']] }, {}, [reader]));
    const out = nextMessage('out');
    testHelper.getNode('tensor').receive({ image: picture() });
    const msg = await out;
    assert.deepEqual(msg.payload, [1, 8, 64, 64]);
    assert.deepEqual(msg.outputNames, model.outputs);
  });

  it('keeps fetching only the segment output past a function node that does not mention outputs', async () => {
    const other = { id: 'other', type: 'function', func: 'msg.payload = msg.segmentation.components.length; return msg;', outputs: 1, wires: [['out']] };
    await testHelper.load([...nodes, functionNode], pipeline(model.path, { wires: [['other']] }, {}, [other]));
    const out = nextMessage('out');
    testHelper.getNode('tensor').receive({ image: picture() });
    const msg = await out;
    assert.equal(msg.payload, 1);
    assert.deepEqual(Object.keys(msg.outputs), ['output']);
  });

  it('fetches exactly the named outputs, in the model\'s order', async () => {
    const { msg } = await run(model.path, { output: '1890' }, { fetch: 'named', fetchNames: 'decoder_2, 1890' });
    assert.deepEqual(msg.outputNames, ['1890', 'decoder_2']);
    assert.deepEqual(Object.keys(msg.outputs).sort(), ['1890', 'decoder_2']);
    assert.deepEqual(msg.outputs.decoder_2.dims, [1, 8, 64, 64]);
  });

  it('fails a message when a named output does not exist, and names the real ones', async () => {
    await testHelper.load(nodes, pipeline(model.path, {}, { fetch: 'named', fetchNames: 'mask' }));
    const caught = nextMessage('caught');
    testHelper.getNode('tensor').receive({ image: picture() });
    assert.match((await caught).error.message, /the model has no output "mask"; its outputs are "output", "1890", "1891", "decoder_0"/);
  });
});

describe('heavy models: post-processing on a worker thread', function () {
  this.timeout(30000);
  afterEach(() => testHelper.unload());
  const model = salientModel({ size: 64 });

  it('gives the same result as the main thread, overlay bytes included, and leaves no thread after a redeploy', async () => {
    const overlay = { overlay: true, overlayFormat: 'png', opacity: 0.5, legend: true, labels: 'object' };
    const onWorker = await run(model.path, { ...overlay, thread: 'worker' });
    assert.equal(sharedSegmentPool.workerCount, 1);
    await testHelper.unload();
    assert.equal(sharedSegmentPool.workerCount, 0, 'the last segment node leaving stops the worker');
    const onMain = await run(model.path, { ...overlay, thread: 'main' });
    assert.equal(sharedSegmentPool.workerCount, 0);
    const a = onWorker.msg.segmentation;
    const b = onMain.msg.segmentation;
    assert.ok(Buffer.isBuffer(a.classMap) && Buffer.isBuffer(a.overlay));
    assert.ok(a.classMap.equals(b.classMap));
    assert.ok(a.overlay.equals(b.overlay));
    const { classMap: _a, overlay: _ao, ...restA } = a;
    const { classMap: _b, overlay: _bo, ...restB } = b;
    assert.deepEqual(restA, restB);
    assert.deepEqual(onWorker.msg.annotations, onMain.msg.annotations);
    // Same status apart from the run time each side took.
    const withoutMs = (s: { text?: string } | undefined) => ({ ...s, text: s?.text?.replace(/ · [\d.]+ ms$/, '') });
    assert.deepEqual(withoutMs(onWorker.status.at(-1)), withoutMs(onMain.status.at(-1)));
    assertFinds(a.classMap, RED_OBJECT);
    // The message keeps its own outputs and picture: nothing was detached by the transfer to the worker.
    assert.equal(onWorker.msg.outputs.output.data.byteLength, 64 * 64 * 4);
    assert.equal(onWorker.msg.image.data.byteLength, 1280 * 960 * 3);
  });

  it('reports errors from the worker as on the main thread, and serves the next message', async () => {
    await testHelper.load(nodes, pipeline(model.path, { overlay: true }));
    const caught = nextMessage('caught');
    const seg = testHelper.getNode('seg');
    seg.receive({ outputs: { output: { data: Buffer.alloc(64 * 64 * 4), type: 'float32', dims: [1, 1, 64, 64] } } });
    assert.match((await caught).error.message, /overlay needs the original picture in msg\.image/);
    const wrongShape = nextMessage('caught');
    seg.receive({ outputs: { output: { data: Buffer.alloc(16), type: 'float32', dims: [1, 4] } }, image: picture() });
    assert.match((await wrongShape).error.message, /shape \[1, 4\]; expected NCHW with batch 1/);
    const out = nextMessage('out');
    testHelper.getNode('tensor').receive({ image: picture() });
    assertFinds((await out).segmentation.classMap, RED_OBJECT);
  });
});

describe('heavy models: workers and memory', function () {
  this.timeout(60000);
  afterEach(() => testHelper.unload());
  const model = salientModel({ size: 64 });

  async function loadModel(settings: Record<string, unknown>) {
    const flow = pipeline(model.path).map((n) => ((n as { id?: string }).id === 'model' ? { ...n, ...settings } : n));
    await testHelper.load(nodes, flow);
    const node = testHelper.getNode('model');
    const status = recordStatus('model');
    const warnings: string[] = [];
    node.on('call:warn', (call: { args: [string] }) => warnings.push(call.args[0]));
    await node.ready();
    await new Promise((resolve) => setImmediate(resolve));
    return { status, warnings };
  }

  it('warns (yellow) when the workers need more threads than there are cores', async () => {
    const cores = os.availableParallelism();
    const { status, warnings } = await loadModel({ workers: 2, intraOpThreads: cores });
    assert.deepEqual(status.at(-1), { fill: 'yellow', shape: 'ring', text: `salient 64 ready · 2 workers on ${cores} cores` });
    assert.match(warnings[0]!, new RegExp(`^salient 64: 2 workers need ${2 * cores} threads on ${cores} cores`));
  });

  it('stays green with one worker', async () => {
    const { status, warnings } = await loadModel({ workers: 1, intraOpThreads: 0 });
    assert.deepEqual(status.at(-1), { fill: 'green', shape: 'dot', text: 'salient 64 ready' });
    assert.deepEqual(warnings, []);
  });

  it('runs with the memory arena and memory pattern off, with the same outputs', async () => {
    const outputsWith = async (settings: Record<string, unknown>) => {
      await loadModel(settings);
      const out = nextMessage('out');
      testHelper.getNode('tensor').receive({ image: picture() });
      const msg = await out;
      await testHelper.unload();
      return msg.outputs.output.data as Buffer;
    };
    const plain = await outputsWith({});
    const lean = await outputsWith({ memoryArena: false, memoryPattern: false });
    assert.ok(plain.equals(lean));
  });
});
