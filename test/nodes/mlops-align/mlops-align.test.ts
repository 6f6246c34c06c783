import assert from 'node:assert/strict';
import { testHelper, nodeModule, catchNode, nextMessage, nextMessages, recordStatus, withCatch } from '../../helpers/flow';
import { withCatalog } from '../../helpers/catalog';
import { floatsOf, weightedSumModel } from '../../fixtures/inference-models';

const SIGNALS = [
  { name: 'pressure', match: 'truck/+/pressure', fill: 'hold', maxAgeMs: 0, aggregate: 'last', defaultValue: 0 },
  { name: 'temp', match: 'truck/+/temp', fill: 'hold', maxAgeMs: 0, aggregate: 'last', defaultValue: 0 },
];

async function load(align: object, extra: object[] = []): Promise<void> {
  const module = await withCatalog(nodeModule('mlops-align'), 'mlops-align');
  await testHelper.load([module, nodeModule('mlops-model'), nodeModule('mlops-infer'), catchNode], withCatch(
    { id: 'align', type: 'mlops-align', signals: SIGNALS, emitMode: 'trigger', trigger: 'temp', assetFrom: 'topic', assetSegment: 1, ...align },
    extra,
  ));
}

function send(msg: object): void {
  testHelper.getNode('align').receive(msg);
}

describe('mlops-align node', function () {
  this.timeout(20000);
  afterEach(() => testHelper.unload());

  it('aligns per asset on the trigger signal and writes msg.tensor, msg.features and the sample time', async () => {
    await load({});
    const out = nextMessages('out', 2);
    send({ topic: 'truck/t1/pressure', payload: 7.5, timestamp: 1000 });
    send({ topic: 'truck/t2/pressure', payload: '3', timestamp: 1000 });
    send({ topic: 'truck/t2/temp', payload: 40, timestamp: 1500 });
    send({ topic: 'truck/t1/temp', payload: 80, timestamp: 2000 });
    const [t2, t1] = await out;
    assert.equal(t2.assetId, 't2');
    assert.deepEqual(t2.features, { pressure: 3, temp: 40 });
    assert.equal(t2.sampleTime, 1500);
    assert.deepEqual(t1.features, { pressure: 7.5, temp: 80 });
    assert.deepEqual(t1.tensor.dims, [1, 2]);
    assert.equal(t1.tensor.type, 'float32');
    assert.deepEqual(floatsOf(t1.tensor.data), [7.5, 80]);
  });

  it('feeds mlops-infer directly: the tensor runs through a real onnxruntime session', async () => {
    await load({ wires: [['infer']] }, [
      { id: 'model', type: 'mlops-model', path: weightedSumModel(), workers: 1, warmup: true },
      { id: 'infer', type: 'mlops-infer', model: 'model', x: 300, y: 300, wires: [['out']] },
    ]);
    const out = nextMessage('out');
    send({ topic: 'truck/a/pressure', payload: 2, timestamp: 1 });
    send({ topic: 'truck/a/temp', payload: 3, timestamp: 2 });
    const msg = await out;
    assert.deepEqual(floatsOf(msg.outputs.y.data), [32]);
    assert.deepEqual(msg.features, { pressure: 2, temp: 3 });
  });

  it('sends incomplete samples to the second output with what is missing', async () => {
    await load({ incomplete: 'output', outputs: 2, wires: [['out'], ['incomplete']] }, [{ id: 'incomplete', type: 'helper', x: 300, y: 400 }]);
    const missing = nextMessage('incomplete');
    send({ topic: 'truck/t9/temp', payload: 1, timestamp: 5 });
    const msg = await missing;
    assert.deepEqual(msg.missing, [{ signal: 'pressure', reason: 'never-seen' }]);
    assert.deepEqual(msg.features, { pressure: null, temp: 1 });
    assert.equal(msg.tensor, undefined);
  });

  it('hostile readings go to Catch with a translated reason and red status; the next reading is served and the state is intact', async () => {
    await load({});
    const statuses = recordStatus('align');
    const cases: [object, RegExp][] = [
      [{ topic: 'truck/t1/speed', payload: 1 }, /"truck\/t1\/speed" matches none of the signals \(truck\/\+\/pressure, truck\/\+\/temp\)/],
      [{ topic: 'truck/t1/pressure', payload: 'NaN' }, /Signal "pressure": the value "NaN" is not a number/],
      [{ topic: 'truck/t1/pressure', payload: { v: 1 } }, /not a number/],
      [{ topic: 'truck/t1/pressure', payload: Infinity }, /not finite/],
      [{ topic: 'truck/t1/pressure', payload: 1, timestamp: 'soon' }, /is not a time/],
      [{ topic: 'truck/t1/pressure', payload: 99, timestamp: 50 }, /older than the previous one/],
      [{ topic: 'truck/t1/pressure', payload: 99, timestamp: 100 }, /same time as the previous one/],
    ];
    send({ topic: 'truck/t1/pressure', payload: 5, timestamp: 100 });
    for (const [msg, expected] of cases) {
      const caught = nextMessage('caught');
      send(msg);
      assert.match((await caught).error.message, expected);
    }
    assert.ok(statuses.some((s) => s.fill === 'red' && s.shape === 'ring'));
    const out = nextMessage('out');
    send({ topic: 'truck/t1/temp', payload: 20, timestamp: 200 });
    assert.deepEqual((await out).features, { pressure: 5, temp: 20 });
    assert.equal(statuses.at(-1)!.fill, 'green');
  });

  it('ignores unknown signals when told to, and counts them in the status', async () => {
    await load({ unknownSignals: 'ignore' });
    const statuses = recordStatus('align');
    const out = nextMessage('out');
    send({ topic: 'truck/x/speed', payload: 1 });
    send({ topic: 'truck/x/pressure', payload: 1, timestamp: 1 });
    send({ topic: 'truck/x/temp', payload: 2, timestamp: 2 });
    await out;
    assert.match(statuses.at(-1)!.text!, /1 assets · 1 samples · 1 ignored/);
  });

  it('on a clock: one sample per tick on multiples of the interval, from readings with arrival times', async () => {
    await load({ emitMode: 'interval', intervalMs: 50, assetFrom: 'none', assetId: 'press-1' });
    send({ topic: 'truck/a/pressure', payload: 1 });
    send({ topic: 'truck/a/temp', payload: 2 });
    const msg = await nextMessage('out');
    assert.equal(msg.assetId, 'press-1');
    assert.equal(msg.sampleTime % 50, 0);
    assert.deepEqual(msg.features, { pressure: 1, temp: 2 });
  });

  it('refuses every message with the setting named when the signal table is invalid', async () => {
    await load({ signals: [{ name: 'a', fill: 'cubic' }] });
    const caught = nextMessage('caught');
    send({ topic: 'a', payload: 1 });
    assert.match((await caught).error.message, /Expected one of hold, linear, none for signals row 1 fill but received 'cubic'/);
  });
});
