import assert from 'node:assert/strict';
import { testHelper, nodeModule, catchNode, nextMessage, nextMessages, recordStatus, withCatch } from '../../helpers/flow';
import type { ModelConfigNode } from '../../../nodes/shared/model-node';
import { formatMs } from '../../../lib/timings';
import {
  convModel, floats, floatsOf, notOnnxFile, reshapeModel, slowModel, tensorMessage, twoInputModel,
} from '../../fixtures/inference-models';

const completeNode = require(require.resolve('@node-red/nodes/core/common/24-complete.js'));
const nodes = [nodeModule('mlops-model'), nodeModule('mlops-infer'), catchNode, completeNode];
const CONV_INPUT = [1, 2, 3, 4, 5, 6, 7, 8, 9];

function modelNode(path: string, extra: object = {}): object {
  return { id: 'model', type: 'mlops-model', path, workers: 1, warmup: true, intraOpThreads: 1, optimization: 'all', ...extra };
}

async function loadFlow(path: string, infer: object = {}, model: object = {}): Promise<ModelConfigNode> {
  await testHelper.load(nodes, withCatch(
    { id: 'infer', type: 'mlops-infer', model: 'model', queueSize: 4, queuePolicy: 'queue', ...infer },
    [
      modelNode(path, model),
      { id: 'on-complete', type: 'complete', scope: ['infer'], x: 300, y: 300, wires: [['completed']] },
      { id: 'completed', type: 'helper', x: 500, y: 300 },
    ],
  ));
  return testHelper.getNode('model') as unknown as ModelConfigNode;
}

function send(msg: object): void {
  testHelper.getNode('infer').receive(msg);
}

/** Sends a bad message, expects its error at the Catch node and a red status, then a good message still to pass. */
async function expectFailure(bad: object, message: RegExp, good: object): Promise<string> {
  const statuses = recordStatus('infer');
  const caught = nextMessage('caught');
  send(bad);
  const error = (await caught).error;
  assert.match(error.message, message);
  const red = statuses.find((s) => s.fill === 'red' && s.shape === 'ring');
  assert.ok(red, `red status expected, saw ${JSON.stringify(statuses)}`);
  const out = nextMessage('out');
  send(good);
  assert.ok((await out).outputs);
  return red.text ?? '';
}

/** Every status the node has shown since it was created (deploy-time ones included). */
function statusesSoFar(id: string): { fill?: string; text?: string }[] {
  const node = testHelper.getNode(id);
  const spy = node.status as { getCalls(): { thisValue: unknown; args: [{ fill?: string; text?: string }] }[] };
  return spy.getCalls().filter((call) => call.thisValue === node).map((call) => call.args[0]);
}

describe('mlops-infer node', function () {
  this.timeout(30000);
  afterEach(() => testHelper.unload());

  it('runs a Conv model and writes exact outputs and timings, keeping the rest of the message', async () => {
    const model = await loadFlow(convModel());
    await model.ready();
    const statuses = recordStatus('infer');
    const tensor = tensorMessage(CONV_INPUT, [1, 1, 3, 3]);
    const out = nextMessage('out');
    send({ tensor, timings: { tensor: 2.5 }, assetId: 'pump-1' });
    const msg = await out;
    assert.deepEqual(floatsOf(msg.outputs.y.data), [37.5, 47.5, 67.5, 77.5]);
    assert.deepEqual(msg.outputs.y.dims, [1, 1, 2, 2]);
    assert.equal(msg.outputs.y.type, 'float32');
    assert.ok(Buffer.isBuffer(msg.outputs.y.data));
    assert.deepEqual(Object.keys(msg.timings).sort(), ['infer', 'queue', 'tensor']);
    assert.equal(msg.timings.tensor, 2.5);
    assert.ok(msg.timings.infer >= 0 && msg.timings.queue >= 0);
    assert.equal(msg.assetId, 'pump-1');
    assert.deepEqual(floatsOf(msg.tensor.data), CONV_INPUT);
    await new Promise((resolve) => setImmediate(resolve));
    const last = statuses.at(-1)!;
    assert.equal(last.fill, 'green');
    // Idle after a message: the model and its last run time (the green dot says ready), ms as msg.timings.infer.
    assert.equal(last.text, `conv-demo 1.2 · ${formatMs(msg.timings.infer)} ms`);
  });

  it('feeds several inputs from msg.tensors', async () => {
    const model = await loadFlow(twoInputModel());
    await model.ready();
    const out = nextMessage('out');
    send({ tensors: { a: { data: floats([1, 2, 3]), type: 'float32', dims: [3] }, b: { data: new Float32Array([4, 5, 6]), type: 'float32', dims: [3] } } });
    const msg = await out;
    assert.deepEqual(floatsOf(msg.outputs.sum.data), [5, 7, 9]);
    assert.deepEqual(floatsOf(msg.outputs.product.data), [4, 10, 18]);
  });

  it('fails bad messages clearly and keeps serving', async () => {
    await (await loadFlow(convModel())).ready();
    const good = { tensor: tensorMessage(CONV_INPUT, [1, 1, 3, 3]) };
    await expectFailure({ payload: 'hello' }, /no msg\.tensor \(or msg\.tensors\); put an mlops-tensor node before this one/, good);
    await expectFailure({ tensor: { ...tensorMessage(CONV_INPUT, [1, 1, 3, 3]), type: 'uint8', data: Buffer.alloc(9) } },
      /msg\.tensor is uint8 data, model input "x" expects float32/, good);
    // The red status keeps what is wrong (the received shape first), not the advice after "; ".
    const shapeStatus = await expectFailure({ tensor: tensorMessage(new Array(16).fill(1), [1, 1, 4, 4]) },
      /msg\.tensor has shape \[1,1,4,4\], model input "x" expects \[batch,1,3,3\]; resize or reshape/, good);
    assert.equal(shapeStatus, 'msg.tensor has shape [1,1,4,4], model input "x" expects [batch,1,3,3]');
    await expectFailure({ tensor: { ...tensorMessage(CONV_INPUT, [1, 1, 3, 3]), name: 'image' } },
      /input "image", which the model does not have; its inputs are "x"/, good);
    await expectFailure({ tensor: { data: [1, 2, 3], type: 'float32', dims: [3] } }, /msg\.tensor is not a tensor \{data: Buffer, type, dims\}/, good);
    await expectFailure({ tensors: { x: { data: floats([1]), type: 'float32', dims: [1, 1, 3, 3] } } },
      /msg\.tensors\["x"\] has 4 bytes of data, but shape \[1,1,3,3\] of float32 needs 36/, good);
  });

  it('names missing inputs of a multi-input model', async () => {
    await (await loadFlow(twoInputModel())).ready();
    const a = { data: floats([1]), type: 'float32', dims: [1] };
    await expectFailure({ tensor: a }, /also needs input\(s\) "b"; send all of them in msg\.tensors/, { tensors: { a, b: a } });
  });

  it('reports an onnxruntime failure during the run and keeps serving', async () => {
    await (await loadFlow(reshapeModel(), {}, { warmup: false })).ready();
    await expectFailure({ tensor: { data: floats([1, 2]), type: 'float32', dims: [2] } }, /onnxruntime could not run the model: .*Reshape/,
      { tensor: { data: floats([1, 2, 3]), type: 'float32', dims: [3] } });
  });

  it('fails messages when no model is configured', async () => {
    await testHelper.load(nodes, withCatch({ id: 'infer', type: 'mlops-infer', model: '' }));
    const caught = nextMessage('caught');
    send({ tensor: tensorMessage(CONV_INPUT, [1, 1, 3, 3]) });
    assert.match((await caught).error.message, /no mlops-model configuration is selected; open this node and choose or add a model/);
  });

  it('fails messages when the selected model node does not exist', async () => {
    await testHelper.load(nodes, withCatch({ id: 'infer', type: 'mlops-infer', model: 'deleted-model' }));
    const caught = nextMessage('caught');
    send({ tensor: tensorMessage(CONV_INPUT, [1, 1, 3, 3]) });
    const error = (await caught).error;
    assert.match(error.message, /no mlops-model configuration is selected/);
    assert.equal(error.code, 'no-model');
  });

  for (const [queueSize, received] of [['abc', "'abc' of type string"], [-1, '-1 of type number'], ['2.5', "'2.5' of type string"]] as const) {
    it(`refuses queue size ${JSON.stringify(queueSize)} at deploy with a red status, then fails each message with the reason`, async () => {
      await loadFlow(convModel(), { queueSize });
      const statuses = statusesSoFar('infer');
      const expected = `Expected integer of at least 0 for queueSize but received ${received}`;
      assert.ok(statuses.some((s) => s.fill === 'red' && s.text === expected), JSON.stringify(statuses));
      for (let i = 0; i < 2; i++) {
        const caught = nextMessage('caught');
        send({ tensor: tensorMessage(CONV_INPUT, [1, 1, 3, 3]) });
        const error = (await caught).error;
        assert.equal(error.message, `Error: ${expected}`);
        assert.equal(error.code, 'bad-setting');
      }
    });
  }

  it('takes the default queue size of 4 for an empty field', async () => {
    const model = await loadFlow(slowModel(256, 20), { queueSize: '', queuePolicy: 'queue' });
    await model.ready();
    const errors: string[] = [];
    testHelper.getNode('caught').on('input', (msg: { error: { message: string } }) => errors.push(msg.error.message));
    const out = nextMessages('out', 5);
    const completed = nextMessages('completed', 5); // the refused ones end at the Catch node
    const x = Buffer.alloc(256 * 256 * 4);
    for (let id = 1; id <= 7; id++) send({ id, tensor: { data: x, type: 'float32', dims: [256, 256] } });
    assert.deepEqual((await out).map((m: { id: number }) => m.id), [1, 2, 3, 4, 5]);
    await completed;
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, /inference queue is full \(4 waiting\)/);
  });

  it('fails messages with the load error when the model cannot load', async () => {
    const model = await loadFlow(notOnnxFile());
    await assert.rejects(model.ready(), /is not an ONNX model/);
    const statuses = recordStatus('infer');
    const caught = nextMessage('caught');
    send({ tensor: tensorMessage(CONV_INPUT, [1, 1, 3, 3]) });
    assert.match((await caught).error.message, /the file is not an ONNX model \(protobuf decoding failed: [^)]+\): \S+notes\.onnx; choose an \.onnx file/);
    assert.equal(statuses.at(-1)?.fill, 'red');
  });

  describe('queue policies with a burst faster than the model', () => {
    // Message 1 runs for a few hundred ms; 2..6 arrive at once while it runs; 2 may wait.
    const slow = slowModel(512, 80);
    const ids = [1, 2, 3, 4, 5, 6];

    async function burst(queuePolicy: string): Promise<{ passed: number[]; completed: number; errors: string[]; status: string }> {
      const model = await loadFlow(slow, { queuePolicy, queueSize: 2 });
      await model.ready();
      const statuses = recordStatus('infer');
      const errors: string[] = [];
      testHelper.getNode('caught').on('input', (msg: { error: { message: string } }) => errors.push(msg.error.message));
      const out = nextMessages('out', 3);
      const completed = nextMessages('completed', queuePolicy === 'queue' ? 3 : 6);
      const x = Buffer.alloc(512 * 512 * 4);
      for (const id of ids) send({ id, tensor: { data: x, type: 'float32', dims: [512, 512] } });
      const passed = (await out).map((m: { id: number }) => m.id);
      const completedCount = (await completed).length;
      await new Promise((resolve) => setImmediate(resolve));
      return { passed, completed: completedCount, errors, status: statuses.map((s) => s.text).join(' | ') };
    }

    it('drop-newest passes the running and the first waiting messages, completing the dropped ones', async () => {
      const result = await burst('drop-newest');
      assert.deepEqual(result.passed, [1, 2, 3]);
      assert.equal(result.completed, 6);
      assert.deepEqual(result.errors, []);
      assert.match(result.status, /dropped 3/);
    });

    it('drop-oldest passes the running and the latest messages', async () => {
      const result = await burst('drop-oldest');
      assert.deepEqual(result.passed, [1, 5, 6]);
      assert.equal(result.completed, 6);
      assert.deepEqual(result.errors, []);
      assert.match(result.status, /queued 2/);
      assert.match(result.status, /dropped 3/);
    });

    it('queue refuses messages beyond the bound with an error', async () => {
      const result = await burst('queue');
      assert.deepEqual(result.passed, [1, 2, 3]);
      assert.equal(result.errors.length, 3);
      assert.match(result.errors[0]!, /inference queue is full \(2 waiting\).*choose a drop policy/);
    });
  });
});
