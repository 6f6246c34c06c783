import assert from 'node:assert/strict';
import { measureLoopLag } from '../../../bench/loop-lag';
import type { ModelConfigNode } from '../../../nodes/shared/model-node';
import { catchNode, nextMessage, nodeModule, testHelper, withCatch } from '../../helpers/flow';
import { slowModel } from '../../fixtures/inference-models';

const SIZE = 1024;
/** The inference must last at least this long to tell a free loop from a blocked one. */
const MIN_INFERENCE_MS = 1000;

async function loadSlowModel(repeats: number): Promise<void> {
  await testHelper.unload();
  await testHelper.load([nodeModule('mlops-model'), nodeModule('mlops-infer'), catchNode], withCatch(
    { id: 'infer', type: 'mlops-infer', model: 'model', queueSize: 1, queuePolicy: 'queue' },
    [{ id: 'model', type: 'mlops-model', path: slowModel(SIZE, repeats), workers: 1, warmup: false, intraOpThreads: 1 }],
  ));
  await (testHelper.getNode('model') as unknown as ModelConfigNode).ready();
}

async function infer(): Promise<any> {
  const out = nextMessage('out', 120000);
  testHelper.getNode('infer').receive({ tensor: { data: Buffer.alloc(SIZE * SIZE * 4), type: 'float32', dims: [SIZE, SIZE] } });
  return out;
}

describe('mlops-infer keeps the event loop free', function () {
  this.timeout(300000);
  let repeats = 8;
  after(() => testHelper.unload());

  // Machines differ by 2× and more: measure this one first, then size the slow model so one inference runs ≥ 1 s.
  before(async () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      await loadSlowModel(repeats);
      await infer(); // first run allocates
      const ms = (await infer()).timings.infer as number;
      if (ms >= MIN_INFERENCE_MS * 1.3) return;
      repeats = Math.ceil(repeats * (MIN_INFERENCE_MS * 1.6) / Math.max(ms, 1));
    }
  });

  it('timers keep firing on time during an inference of more than a second', async () => {
    // On a loaded machine one run can be much faster than the one measured before it: re-size until it lasts ≥ 1 s.
    let measured: { idle: Awaited<ReturnType<typeof measureLoopLag>>; run: Awaited<ReturnType<typeof measureLoopLag<any>>> };
    for (let attempt = 0; ; attempt++) {
      await loadSlowModel(repeats);
      await infer();
      // The same machine with nothing of ours running: the lag any timer sees here is the machine's, not ours.
      const idle = await measureLoopLag(() => new Promise((resolve) => setTimeout(resolve, MIN_INFERENCE_MS)));
      measured = { idle, run: await measureLoopLag(infer) };
      const ms = measured.run.result.timings.infer as number;
      if (ms >= MIN_INFERENCE_MS || attempt === 3) break;
      repeats = Math.ceil(repeats * (MIN_INFERENCE_MS * 1.6) / Math.max(ms, 1));
    }
    const { idle, run: { result: msg, worstLagMs, ticks } } = measured;
    const inferMs = msg.timings.infer as number;
    console.log(`      worst timer lag ${worstLagMs.toFixed(1)} ms during a ${inferMs.toFixed(0)} ms inference `
      + `(${repeats} MatMuls of ${SIZE}²; idle loop: ${idle.worstLagMs.toFixed(1)} ms)`);
    assert.ok(inferMs >= MIN_INFERENCE_MS, `the inference must run at least ${MIN_INFERENCE_MS} ms to prove anything, ran ${inferMs.toFixed(0)} ms`);
    // Inference on the main thread would stall the loop for the whole run: no tick for ≥ 1 s. Off it, the timer keeps
    // ticking. Judged against the run's own length, not a fixed number of ms, so a busy machine cannot fail it by
    // delaying a tick or two; the fine-grained lag goal (< 20 ms) is shown by `npm run bench`.
    const expectedTicks = inferMs / 10;
    assert.ok(ticks >= expectedTicks / 4, `only ${ticks} timer ticks of about ${expectedTicks.toFixed(0)} during the inference`);
    assert.ok(worstLagMs < inferMs / 4, `worst timer lag ${worstLagMs.toFixed(1)} ms during a ${inferMs.toFixed(0)} ms inference`);
  });
});
