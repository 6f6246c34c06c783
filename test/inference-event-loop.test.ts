import assert from 'node:assert/strict';
import { measureLoopLag } from '../bench/loop-lag';
import type { ModelConfigNode } from '../nodes/shared/model-node';
import { catchNode, nextMessage, nodeModule, testHelper, withCatch } from './helpers/flow';
import { slowModel } from './fixtures/inference-models';

describe('mlops-infer keeps the event loop free', function () {
  this.timeout(60000);
  after(() => testHelper.unload());

  it('timers keep firing on time during an inference of more than a second', async function () {
    const size = 1024;
    await testHelper.load([nodeModule('mlops-model'), nodeModule('mlops-infer'), catchNode], withCatch(
      { id: 'infer', type: 'mlops-infer', model: 'model', queueSize: 1, queuePolicy: 'queue' },
      [{ id: 'model', type: 'mlops-model', path: slowModel(size, 60), workers: 1, warmup: false, intraOpThreads: 1 }],
    ));
    await (testHelper.getNode('model') as unknown as ModelConfigNode).ready();
    const { result: msg, worstLagMs, ticks } = await measureLoopLag(() => {
      const out = nextMessage('out', 50000);
      testHelper.getNode('infer').receive({ tensor: { data: Buffer.alloc(size * size * 4), type: 'float32', dims: [size, size] } });
      return out;
    });
    console.log(`      worst timer lag ${worstLagMs.toFixed(1)} ms during a ${msg.timings.infer.toFixed(0)} ms inference`);
    assert.ok(msg.timings.infer >= 1000, `the inference must run at least 1 s to prove anything, ran ${msg.timings.infer} ms`);
    assert.ok(ticks > 50, `only ${ticks} timer ticks`);
    if (worstLagMs >= 50) {
      // Other processes can delay timers on a shared machine too: judge only if an idle loop keeps time here.
      const idle = await measureLoopLag(() => new Promise((resolve) => setTimeout(resolve, Math.min(3000, msg.timings.infer))));
      if (idle.worstLagMs >= 50) {
        console.log(`      inconclusive: timers lag ${idle.worstLagMs.toFixed(1)} ms with no inference running (machine too busy)`);
        this.skip();
      }
    }
    assert.ok(worstLagMs < 50, `worst timer lag ${worstLagMs.toFixed(1)} ms during a ${msg.timings.infer.toFixed(0)} ms inference`);
  });
});
