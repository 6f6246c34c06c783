import assert from 'node:assert/strict';
import { typedView } from '../../../lib/contract';
import type { ModelInfo, TensorInfo } from '../../../lib/onnx';
import { withCatalog } from '../../helpers/catalog';
import { nextMessage, nextMessages, nodeModule, recordStatus, testHelper, withCatch, catchNode } from '../../helpers/flow';
import { quadrants, raw } from '../../fixtures/images';
import { formatMs } from '../../../lib/timings';

// Stands in for the mlops-model config node (another module): only ready() and reference counting are used.
function stubModelModule(RED: { nodes: { createNode(node: object, config: object): void; registerType(type: string, ctor: (this: never, config: never) => void): void } }) {
  function StubModel(this: Record<string, unknown>, config: { info: string }) {
    RED.nodes.createNode(this, config);
    const info = JSON.parse(config.info) as ModelInfo;
    this.users = new Set<string>();
    this.ready = () => Promise.resolve(info);
    this.register = (id: string) => (this.users as Set<string>).add(id);
    this.deregister = (id: string) => (this.users as Set<string>).delete(id);
  }
  RED.nodes.registerType('mlops-model', StubModel);
}

function modelConfig(inputs: TensorInfo[], metadata: Record<string, string> = {}) {
  const info: ModelInfo = { irVersion: 8, opsetVersion: 17, producer: 'test', graphName: 'g', inputs, outputs: [], metadata, opTypes: [], nodeCount: 0, usesExternalData: false };
  return { id: 'model', type: 'mlops-model', info: JSON.stringify(info) };
}

const image = () => ({
  data: Buffer.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210, 220, 230, 240]),
  width: 4, height: 2, channels: 3, format: 'png', encoded: Buffer.alloc(1), source: 'buffer', orientation: 1, decoder: 'sharp',
});

describe('mlops-tensor node', () => {
  let tensorNode: unknown;
  before(async () => {
    tensorNode = await withCatalog(nodeModule('mlops-tensor'), 'mlops-tensor');
  });
  afterEach(() => testHelper.unload());

  const load = (config: Record<string, unknown>, extra: object[] = []) =>
    testHelper.load([tensorNode, catchNode, stubModelModule], withCatch({ id: 'tensor', type: 'mlops-tensor', ...config }, extra));

  it('writes msg.tensor and msg.timings.preprocess with an explicit size, and shows dims and type', async () => {
    await load({ width: '4', height: '2', scale: '1', mean: '10, 20, 30', std: '2' });
    const status = recordStatus('tensor');
    const received = nextMessage('out');
    testHelper.getNode('tensor').receive({ image: image(), timings: { decode: 3 } });
    const msg = await received;
    assert.deepEqual([msg.tensor.dims, msg.tensor.type, msg.tensor.layout, msg.tensor.colorOrder], [[1, 3, 2, 4], 'float32', 'NCHW', 'RGB']);
    assert.ok(Buffer.isBuffer(msg.tensor.data));
    assert.deepEqual(Array.from(typedView(msg.tensor.data, 'float32') as Float32Array).slice(0, 8), [0, 15, 30, 45, 60, 75, 90, 105]);
    assert.deepEqual(Object.keys(msg.timings).sort(), ['decode', 'preprocess']);
    assert.equal(msg.image.width, 4, 'msg.image stays on the message');
    assert.deepEqual(status.at(-1), { fill: 'green', shape: 'dot', text: `1x3x2x4 float32 · ${formatMs(msg.timings.preprocess)} ms` });
  });

  it('takes size, layout, type and normalisation from the selected model', async () => {
    await load({ model: 'model', resizeMode: 'contain', padColor: '#000000' }, [
      modelConfig([{ name: 'pixels', type: 'uint8', dims: [1, 4, 4, 3] }], { color_order: 'BGR' }),
    ]);
    assert.ok((testHelper.getNode('model').users as Set<string>).has('tensor'), 'the tensor node registers as a user of the model');
    const received = nextMessage('out');
    testHelper.getNode('tensor').receive({ image: image() });
    const { tensor } = await received;
    assert.deepEqual([tensor.name, tensor.dims, tensor.type, tensor.layout, tensor.colorOrder], ['pixels', [1, 4, 4, 3], 'uint8', 'NHWC', 'BGR']);
    assert.deepEqual(tensor.geometry, { sourceWidth: 4, sourceHeight: 2, width: 4, height: 4, scaleX: 1, scaleY: 1, padLeft: 0, padTop: 1, resize: 'contain' });
    assert.deepEqual([...tensor.data.subarray(12, 18)], [30, 20, 10, 60, 50, 40]);
  });

  const badMessages: [string, () => object, string][] = [
    ['no msg.image', () => ({ payload: 'x' }), 'Error: msg.image is missing; put an mlops-image node before this one'],
    ['a 2-channel image', () => ({ image: { ...image(), data: Buffer.alloc(16), channels: 2 } }), 'Error: msg.image has 2 channels; pre-processing needs 3 (RGB) or 4 (RGBA)'],
    ['a zero-size image', () => ({ image: { ...image(), data: Buffer.alloc(0), width: 0 } }), 'Error: msg.image is 0x2; width and height must be positive whole numbers'],
  ];
  for (const [what, message, expected] of badMessages) {
    it(`sends ${what} to Catch with a clear message, shows a red ring, and processes the next message`, async () => {
      await load({ width: '4', height: '2' });
      const status = recordStatus('tensor');
      const caught = nextMessage('caught');
      testHelper.getNode('tensor').receive(message());
      assert.equal((await caught).error.message, expected);
      assert.deepEqual([status.at(-1)?.fill, status.at(-1)?.shape], ['red', 'ring']);
      const next = nextMessage('out');
      testHelper.getNode('tensor').receive({ image: image() });
      assert.deepEqual((await next).tensor.dims, [1, 3, 2, 4]);
      assert.equal(status.at(-1)?.fill, 'green');
    });
  }

  it('refuses a model with symbolic height and width when no size is set, and works once a size is set', async () => {
    const symbolic = modelConfig([{ name: 'x', type: 'float32', dims: ['N', 3, 'H', 'W'] }]);
    await load({ model: 'model' }, [symbolic]);
    const status = recordStatus('tensor');
    const caught = nextMessages('caught', 2);
    testHelper.getNode('tensor').receive({ image: image() });
    testHelper.getNode('tensor').receive({ image: image() });
    const expected = 'Error: model input "x" has shape [N, 3, H, W]: its height and width are not fixed; set width and height on the node';
    assert.deepEqual((await caught).map((m) => m.error.message), [expected, expected], 'every message is failed, none is lost');
    assert.deepEqual(status.at(-1), { fill: 'red', shape: 'ring', text: 'model input "x" has shape [N, 3, H, W]: its height and width are not fixed' });
    await testHelper.unload();
    await load({ model: 'model', width: '8', height: '4' }, [symbolic]);
    const received = nextMessage('out');
    testHelper.getNode('tensor').receive({ image: image() });
    assert.deepEqual((await received).tensor.dims, [1, 3, 4, 8]);
  });

  it('fans msg.tensor out to two wires sharing the tensor memory, with separate metadata objects', async () => {
    await load({ width: '4', height: '2', wires: [['out', 'out2']] }, [{ id: 'out2', type: 'helper', x: 300, y: 300 }]);
    const first = nextMessage('out');
    const second = nextMessage('out2');
    testHelper.getNode('tensor').receive({ image: image() });
    const [a, b] = await Promise.all([first, second]);
    assert.notEqual(a, b);
    assert.notEqual(a.tensor, b.tensor, 'each wire gets its own msg.tensor object');
    assert.notEqual(a.tensor.geometry, b.tensor.geometry);
    assert.notEqual(a.tensor.dims, b.tensor.dims);
    assert.deepEqual(a.tensor.dims, b.tensor.dims);
    assert.equal(a.tensor.data.buffer, b.tensor.data.buffer, 'both tensor.data Buffers view the same ArrayBuffer');
    assert.equal(a.tensor.data.byteOffset, b.tensor.data.byteOffset);
    assert.equal(a.image.data.buffer, b.image.data.buffer, 'msg.image.data is shared the same way');
  });

  it('takes pixels from mlops-image: an upright EXIF-rotated JPEG, letterboxed', async () => {
    const jpeg = await raw(quadrants(64, 32), 64, 32).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    await testHelper.load([nodeModule('mlops-image'), tensorNode, catchNode], withCatch(
      { id: 'image', type: 'mlops-image', wires: [['tensor']] },
      [{ id: 'tensor', type: 'mlops-tensor', width: '64', height: '64', resizeMode: 'contain', dataType: 'uint8', layout: 'NHWC', wires: [['out']], x: 200, y: 100 }],
    ));
    const received = nextMessage('out');
    testHelper.getNode('image').receive({ payload: jpeg });
    const msg = await received;
    assert.deepEqual([msg.image.width, msg.image.height, msg.image.orientation], [32, 64, 6]);
    assert.deepEqual(msg.tensor.geometry, { sourceWidth: 32, sourceHeight: 64, width: 64, height: 64, scaleX: 1, scaleY: 1, padLeft: 16, padTop: 0, resize: 'contain' });
    // Upright top-right is the stored top-left quadrant (red); left of it is padding.
    const at = (x: number, y: number): number[] => [...msg.tensor.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
    assert.deepEqual(at(15, 0), [114, 114, 114]);
    const expected: [number, number, number[]][] = [[47, 0, [255, 0, 0]], [16, 63, [255, 255, 255]], [16, 0, [0, 0, 255]]];
    for (const [x, y, colour] of expected) {
      assert.ok(at(x, y).every((v, c) => Math.abs(v - colour[c]!) <= 4), `(${x}, ${y}) is ${at(x, y)}, expected about ${colour}`);
    }
    assert.deepEqual(Object.keys(msg.timings).sort(), ['decode', 'preprocess']);
  });

  describe('the resize setting (resizeMode; `resize` before 0.2, which the editor overwrites with its redraw flag)', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['resizeMode', { resizeMode: 'cover' }, 'cover'],
      ['an old flow\'s resize', { resize: 'contain' }, 'contain'],
      ['resizeMode over an old resize', { resizeMode: 'cover', resize: 'contain' }, 'cover'],
      ['the editor\'s redraw flag resize: false', { resize: false }, 'fill'],
      ['the editor\'s redraw flag resize: true with resizeMode', { resize: true, resizeMode: 'contain' }, 'contain'],
      ['an old resize that is not a mode', { resize: 'stretch' }, 'fill'],
    ];
    for (const [what, settings, expected] of cases) {
      it(`reads ${what} as ${expected}`, async () => {
        await load({ width: '2', height: '2', ...settings });
        const received = nextMessage('out');
        testHelper.getNode('tensor').receive({ image: image() });
        assert.equal((await received).tensor.geometry.resize, expected);
      });
    }

    it('fails a resizeMode that is not a mode with a message naming the setting and the choices', async () => {
      await load({ width: '2', height: '2', resizeMode: 'false' });
      const caught = nextMessage('caught');
      testHelper.getNode('tensor').receive({ image: image() });
      assert.equal((await caught).error.message, "Error: Expected one of fill, contain, cover for resizeMode but received 'false' of type string");
    });
  });

  it('processes messages one after another with the same options', async () => {
    await load({ width: '2', height: '2', resizeMode: 'cover', dataType: 'uint8' });
    const received = nextMessages('out', 3);
    for (let i = 0; i < 3; i++) testHelper.getNode('tensor').receive({ image: image(), seq: i });
    const messages = await received;
    assert.deepEqual(messages.map((m) => m.seq), [0, 1, 2]);
    for (const m of messages) assert.deepEqual([...m.tensor.data.subarray(0, 2)], [40, 70]);
  });
});
