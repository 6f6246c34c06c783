// The preview rate bound, driven by a hand-made clock: no sleeps, counts against the bound.
import assert from 'node:assert/strict';
import { LatestWins, type Clock } from '../../../lib/preview/latest-wins';

/** A clock that moves only when the test says so, running due timers in time order. */
function manualClock(): Clock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { due: number; run: () => void }>();
  return {
    now: () => now,
    setTimeout: (run, ms) => { timers.set(++seq, { due: now + ms, run }); return seq; },
    clearTimeout: (handle) => { timers.delete(handle as number); },
    pending: () => timers.size,
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = [...timers.entries()].filter(([, t]) => t.due <= until).sort((a, b) => a[1].due - b[1].due || a[0] - b[0])[0];
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].due;
        next[1].run();
      }
      now = until;
    },
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('LatestWins (preview rate bound)', () => {
  it('never delivers inside offer(): the caller (a node after send) does not wait', () => {
    const clock = manualClock();
    const delivered: number[] = [];
    const limiter = new LatestWins<number>((n) => { delivered.push(n); }, { intervalMs: 500, clock });
    limiter.offer(1);
    assert.deepEqual(delivered, []);
    clock.advance(0);
    assert.deepEqual(delivered, [1]);
  });

  it('a burst of 100 items over 10 s delivers at most one per 500 ms, and the last item is delivered', async () => {
    const clock = manualClock();
    const delivered: { item: number; at: number }[] = [];
    const limiter = new LatestWins<number>((item) => { delivered.push({ item, at: clock.now() }); }, { intervalMs: 500, clock });
    for (let i = 0; i < 100; i++) {
      limiter.offer(i);
      clock.advance(100); // one picture every 100 ms: 10 per second
      await flush();
    }
    clock.advance(1000);
    await flush();
    // 10 s at ≤ 2 per second: at most 20 (+1 for the first at t=0); far fewer than the 100 offered.
    assert.ok(delivered.length <= 21 && delivered.length >= 19, `delivered ${delivered.length}`);
    for (let i = 1; i < delivered.length; i++) assert.ok(delivered[i]!.at - delivered[i - 1]!.at >= 500, `${JSON.stringify(delivered.slice(i - 1, i + 1))}`);
    assert.equal(delivered.at(-1)!.item, 99, 'the newest item is never lost');
    assert.equal(limiter.counts.offered, 100);
    assert.equal(limiter.counts.delivered + limiter.counts.replaced, 100);
  });

  it('waits for a slow delivery to finish before the next one (never two at once)', async () => {
    const clock = manualClock();
    let release!: () => void;
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const limiter = new LatestWins<number>((item) => {
      started.push(item);
      running++;
      most = Math.max(most, running);
      return new Promise<void>((resolve) => { release = () => { running--; resolve(); }; });
    }, { intervalMs: 100, clock });
    limiter.offer(1);
    clock.advance(0);
    limiter.offer(2);
    limiter.offer(3);
    clock.advance(1000); // long past the interval, but the first delivery is still running
    assert.deepEqual(started, [1]);
    release();
    await flush();
    clock.advance(0);
    assert.deepEqual(started, [1, 3], '2 was replaced by 3 while waiting');
    release();
    await flush();
    assert.equal(most, 1);
  });

  it('merges what waits when asked to (the inspection batches keep every entry up to their bound)', () => {
    const clock = manualClock();
    const delivered: number[][] = [];
    const limiter = new LatestWins<number[]>((batch) => { delivered.push(batch); }, {
      intervalMs: 500, clock, merge: (waiting, next) => [...waiting, ...next].slice(-3),
    });
    for (const n of [1, 2, 3, 4, 5]) limiter.offer([n]);
    clock.advance(0);
    assert.deepEqual(delivered, [[3, 4, 5]]);
  });

  it('a failing delivery is reported and does not stop the next one', async () => {
    const clock = manualClock();
    const errors: unknown[] = [];
    const delivered: number[] = [];
    const limiter = new LatestWins<number>((n) => {
      if (n === 1) throw new Error('broken picture');
      delivered.push(n);
    }, { intervalMs: 10, clock, onError: (err) => errors.push(err) });
    limiter.offer(1);
    clock.advance(0);
    limiter.offer(2);
    clock.advance(10);
    await flush();
    assert.equal((errors[0] as Error).message, 'broken picture');
    assert.deepEqual(delivered, [2]);
  });

  it('stop() drops what waits and clears its timer', () => {
    const clock = manualClock();
    const delivered: number[] = [];
    const limiter = new LatestWins<number>((n) => { delivered.push(n); }, { intervalMs: 500, clock });
    limiter.offer(1);
    limiter.stop();
    assert.equal(clock.pending(), 0);
    limiter.offer(2);
    clock.advance(1000);
    assert.deepEqual(delivered, []);
  });
});
