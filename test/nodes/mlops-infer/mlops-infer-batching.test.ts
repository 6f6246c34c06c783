// mlops-infer with micro-batching in a real Node-RED runtime: a burst of messages runs as one session.run, and each
// message leaves with its own result, in the order it came.
import assert from 'node:assert/strict';
import { floats, floatsOf, weightedSumModel } from '../../fixtures/inference-models';
import { catchNode, nextMessage, nextMessages, nodeModule, testHelper, withCatch } from '../../helpers/flow';

async function load(infer: object): Promise<void> {
  await testHelper.load([nodeModule('mlops-model'), nodeModule('mlops-infer'), catchNode], withCatch(
    { id: 'infer', type: 'mlops-infer', model: 'model', queueSize: 16, queuePolicy: 'queue', ...infer },
    [{ id: 'model', type: 'mlops-model', path: weightedSumModel(), workers: 1, warmup: true, intraOpThreads: 1 }],
  ));
}

const tensor = (a: number, b: number) => ({ data: floats([a, b]), type: 'float32', dims: [1, 2] });

describe('mlops-infer micro-batching', function () {
  this.timeout(20000);
  afterEach(() => testHelper.unload());

  it('a burst of 8 runs as one session.run; each message gets its own result, in order', async () => {
    await load({ batchSize: 8, batchDelayMs: 1000 });
    const out = nextMessages('out', 8);
    for (let i = 0; i < 8; i++) testHelper.getNode('infer').receive({ tensor: tensor(i, i + 1), seq: i });
    const msgs = await out;
    assert.deepEqual(msgs.map((m) => m.seq), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(msgs.map((m) => floatsOf(m.outputs.y.data)[0]), [10, 21, 32, 43, 54, 65, 76, 87]);
    assert.deepEqual(msgs.map((m) => m.batchSize), [8, 8, 8, 8, 8, 8, 8, 8]);
    assert.deepEqual(msgs[3].outputs.y.dims, [1, 1]);
  });

  it('a bad tensor fails alone to Catch; the others of its burst are served', async () => {
    await load({ batchSize: 4, batchDelayMs: 5 });
    const out = nextMessages('out', 3);
    const caught = nextMessage('caught');
    const infer = testHelper.getNode('infer');
    infer.receive({ tensor: tensor(1, 1), seq: 0 });
    infer.receive({ tensor: { data: floats([1, 2, 3]), type: 'float32', dims: [1, 3] }, seq: 1 });
    infer.receive({ tensor: tensor(2, 2), seq: 2 });
    infer.receive({ tensor: tensor(3, 3), seq: 3 });
    assert.match((await caught).error.message, /msg.tensor has shape \[1,3\], model input "x" expects \[batch,2\]/);
    assert.deepEqual((await out).map((m) => [m.seq, floatsOf(m.outputs.y.data)[0]]), [[0, 11], [2, 22], [3, 33]]);
  });

  it('refuses an invalid batch size with the setting named', async () => {
    await load({ batchSize: 0 });
    const caught = nextMessage('caught');
    testHelper.getNode('infer').receive({ tensor: tensor(1, 1) });
    assert.match((await caught).error.message, /Expected positive integer for batchSize but received 0/);
  });
});
