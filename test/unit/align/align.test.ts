import assert from 'node:assert/strict';
import { Aligner, alignSettings, numericReading, readingTime, sampleTensor, topicMatcher, type AlignedSample } from '../../../lib/align';
import { PipelineError } from '../../../lib/errors';

function aligner(raw: Record<string, unknown>): Aligner {
  return new Aligner(alignSettings(raw));
}

const TWO = [{ name: 'pressure', match: 'pressure' }, { name: 'temp', match: 'temp' }];

function only(samples: AlignedSample[]): AlignedSample {
  assert.equal(samples.length, 1, `expected one sample, got ${samples.length}`);
  return samples[0]!;
}

function codeOf(fn: () => unknown): string {
  try { fn(); } catch (err) { assert.ok(err instanceof PipelineError, String(err)); return err.code; }
  assert.fail('expected a PipelineError');
}

describe('align: settings', () => {
  it('fills defaults and keeps the signal order', () => {
    const s = alignSettings({ signals: [{ name: 'b' }, { name: 'a', match: 'plant/+/a', fill: 'linear', maxAgeMs: '500' }] });
    assert.deepEqual(s.signals.map((x) => [x.name, x.match, x.fill, x.maxAgeMs, x.aggregate]),
      [['b', 'b', 'hold', 0, 'last'], ['a', 'plant/+/a', 'linear', 500, 'last']]);
    assert.equal(s.emit, 'interval');
    assert.equal(s.trigger, 'b');
    assert.equal(s.incomplete, 'drop');
  });

  it('refuses bad rows with the row named', () => {
    assert.throws(() => alignSettings({ signals: [] }), /at least one signal/);
    assert.throws(() => alignSettings({ signals: [{ name: 'a' }, { name: 'a' }] }), /a name no other signal has .* for signals row 2 name but received 'a'/);
    assert.throws(() => alignSettings({ signals: [{ name: 'a', fill: 'cubic' }] }), /Expected one of hold, linear, none for signals row 1 fill but received 'cubic'/);
    assert.throws(() => alignSettings({ signals: [{ name: 'a', maxAgeMs: -1 }] }), /number of at least 0 for signals row 1 maxAgeMs/);
    assert.throws(() => alignSettings({ signals: [{ name: 'a', match: 'x/#/y' }] }), /"#" only as its last level/);
    assert.throws(() => alignSettings({ signals: TWO, emit: 'trigger', trigger: 'speed' }), /one of the signals \(pressure, temp\) for trigger but received 'speed'/);
    assert.throws(() => alignSettings({ signals: TWO, sequenceLength: 0 }), /integer of at least 1 for sequenceLength/);
  });
});

describe('align: readings', () => {
  it('matches exact topics and MQTT wildcards', () => {
    assert.ok(topicMatcher('a/b')('a/b'));
    assert.ok(!topicMatcher('a/b')('a/b/c'));
    assert.ok(topicMatcher('plant/+/pressure')('plant/pump-1/pressure'));
    assert.ok(!topicMatcher('plant/+/pressure')('plant/pump-1/x/pressure'));
    assert.ok(topicMatcher('plant/#')('plant/pump-1/x'));
    assert.ok(!topicMatcher('plant/+')('plant'));
  });

  it('reads numbers, numeric text and booleans; refuses NaN, Infinity, objects and empty text', () => {
    assert.equal(numericReading(2.5, 's'), 2.5);
    assert.equal(numericReading(' 7 ', 's'), 7);
    assert.equal(numericReading(Buffer.from('1.25'), 's'), 1.25);
    assert.equal(numericReading(true, 's'), 1);
    assert.equal(codeOf(() => numericReading(Number.NaN, 's')), 'not-numeric');
    assert.equal(codeOf(() => numericReading('abc', 's')), 'not-numeric');
    assert.equal(codeOf(() => numericReading('', 's')), 'not-numeric');
    assert.equal(codeOf(() => numericReading({ v: 1 }, 's')), 'not-numeric');
    assert.equal(codeOf(() => numericReading(Infinity, 's')), 'not-finite');
    assert.match(String((() => { try { numericReading('abc', 'temp'); } catch (e) { return (e as Error).message; } })()), /signal "temp".*"abc"/);
  });

  it('reads times from numbers, ISO text and Dates, else the arrival time', () => {
    assert.equal(readingTime(1000, undefined, 5), 1000);
    assert.equal(readingTime(undefined, '1970-01-01T00:00:02.000Z', 5), 2000);
    assert.equal(readingTime(undefined, new Date(3000), 5), 3000);
    assert.equal(readingTime('4000', undefined, 5), 4000);
    assert.equal(readingTime(undefined, undefined, 5), 5);
    assert.equal(codeOf(() => readingTime('yesterday', undefined, 5)), 'bad-time');
  });
});

describe('align: fill policies at the sample time', () => {
  it('hold repeats the last value; linear interpolates between the values around T and holds at the edges', () => {
    const a = aligner({ signals: [{ name: 'h', fill: 'hold' }, { name: 'l', fill: 'linear' }], emit: 'interval' });
    a.update('x', 0, 10, 0);
    a.update('x', 1, 100, 0);
    a.update('x', 1, 200, 1000);
    a.update('x', 0, 20, 1000);
    const at250 = only(a.tick(250));
    assert.deepEqual(at250.values, [10, 125]);
    assert.deepEqual(at250.features, { h: 10, l: 125 });
    // Beyond the last point linear holds it.
    assert.deepEqual(only(a.tick(1500)).values, [20, 200]);
  });

  it('linear before the first reading holds the first value (edge)', () => {
    const a = aligner({ signals: [{ name: 'l', fill: 'linear' }] });
    a.update('x', 0, 5, 1000);
    assert.deepEqual(only(a.tick(500)).values, [5]);
  });

  it('none needs a reading within the period since the previous sample', () => {
    const a = aligner({ signals: [{ name: 'n', fill: 'none' }, { name: 'h' }], incomplete: 'output' });
    a.update('x', 0, 1, 100);
    a.update('x', 1, 2, 100);
    assert.deepEqual(only(a.tick(1000)).values, [1, 2]);
    const second = only(a.tick(2000));
    assert.equal(second.kind, 'incomplete');
    assert.deepEqual(second.missing, [{ signal: 'n', reason: 'no-fresh-value', ageMs: 1900 }]);
    assert.deepEqual(second.features, { n: null, h: 2 });
  });

  it('a value older than the maximum age is stale', () => {
    const a = aligner({ signals: [{ name: 'fast', maxAgeMs: 500 }, { name: 'slow', maxAgeMs: 5000 }], incomplete: 'output' });
    a.update('x', 0, 1, 0);
    a.update('x', 1, 9, 0);
    assert.equal(only(a.tick(500)).kind, 'sample'); // exactly the max age is still fresh
    const late = only(a.tick(501));
    assert.equal(late.kind, 'incomplete');
    assert.deepEqual(late.missing, [{ signal: 'fast', reason: 'stale', ageMs: 501 }]);
  });

  it('window aggregates over the emit period: mean, min, max; an empty window falls back to the fill', () => {
    const a = aligner({ signals: [
      { name: 'mean', aggregate: 'mean' }, { name: 'min', aggregate: 'min' }, { name: 'max', aggregate: 'max' }, { name: 'last' },
    ] });
    for (const [t, v] of [[100, 1], [200, 4], [300, 7]] as const) for (let s = 0; s < 4; s++) a.update('x', s, v, t);
    assert.deepEqual(only(a.tick(1000)).values, [4, 1, 7, 7]);
    a.update('x', 0, 10, 1500);
    // Window (1000, 2000]: mean has one point; the others hold 7.
    assert.deepEqual(only(a.tick(2000)).values, [10, 7, 7, 7]);
  });
});

describe('align: emit modes', () => {
  it('interval: one sample per known asset per tick, none before any reading', () => {
    const a = aligner({ signals: TWO });
    assert.deepEqual(a.tick(0), []);
    a.update('p1', 0, 1, 0); a.update('p1', 1, 2, 0);
    a.update('p2', 0, 3, 0); a.update('p2', 1, 4, 0);
    assert.deepEqual(a.tick(100).map((s) => [s.assetId, s.time, s.values]), [['p1', 100, [1, 2]], ['p2', 100, [3, 4]]]);
  });

  it('trigger: each reading of the trigger signal makes a sample at its time, others held', () => {
    const a = aligner({ signals: TWO, emit: 'trigger', trigger: 'temp' });
    assert.deepEqual(a.update('x', 0, 1, 0), []);
    assert.deepEqual(a.update('x', 0, 2, 50), []);
    const s = only(a.update('x', 1, 30, 60));
    assert.equal(s.time, 60);
    assert.deepEqual(s.values, [2, 30]);
    assert.deepEqual(only(a.update('x', 1, 31, 70)).values, [2, 31]);
  });

  it('complete: as soon as every signal has a fresh value, at the newest reading\'s time', () => {
    const a = aligner({ signals: TWO, emit: 'complete' });
    assert.deepEqual(a.update('x', 0, 1, 10), []);
    assert.deepEqual(a.update('x', 0, 2, 20), []);
    const s = only(a.update('x', 1, 5, 30));
    assert.equal(s.time, 30);
    assert.deepEqual(s.values, [2, 5]);
    // Freshness starts again: temp alone does not complete a sample.
    assert.deepEqual(a.update('x', 1, 6, 40), []);
    assert.deepEqual(only(a.update('x', 0, 3, 50)).values, [3, 6]);
  });
});

describe('align: incomplete samples', () => {
  it('drop: counted, never sent', () => {
    const a = aligner({ signals: TWO });
    a.update('x', 0, 1, 0);
    assert.deepEqual(a.tick(10), []);
    assert.equal(a.stats.incomplete, 1);
  });

  it('output: sent with what is missing', () => {
    const a = aligner({ signals: TWO, incomplete: 'output' });
    a.update('x', 0, 1, 0);
    const s = only(a.tick(10));
    assert.equal(s.kind, 'incomplete');
    assert.deepEqual(s.missing, [{ signal: 'temp', reason: 'never-seen' }]);
    assert.ok(Number.isNaN(s.values[1]));
  });

  it('default: filled with the signal default, listed and counted', () => {
    const a = aligner({ signals: [{ name: 'pressure' }, { name: 'temp', defaultValue: 21 }], incomplete: 'default' });
    a.update('x', 0, 1, 0);
    const s = only(a.tick(10));
    assert.equal(s.kind, 'sample');
    assert.deepEqual(s.values, [1, 21]);
    assert.deepEqual(s.filled, ['temp']);
    assert.equal(a.stats.filled, 1);
  });

  it('default "NaN" marks a value missing, for models that impute missing values in their graph', () => {
    const a = aligner({ signals: [{ name: 'pressure' }, { name: 'temp', defaultValue: 'NaN' }], incomplete: 'default' });
    a.update('x', 0, 1, 0);
    const s = only(a.tick(10));
    assert.equal(s.kind, 'sample');
    assert.ok(Number.isNaN(s.values[1]));
    assert.deepEqual(s.filled, ['temp']);
  });
});

describe('align: assets', () => {
  it('keeps independent state per asset', () => {
    const a = aligner({ signals: TWO, emit: 'trigger', trigger: 'temp' });
    a.update('p1', 0, 1, 0);
    a.update('p2', 0, 100, 0);
    assert.deepEqual(only(a.update('p1', 1, 5, 10)).values, [1, 5]);
    assert.deepEqual(only(a.update('p2', 1, 500, 10)).values, [100, 500]);
  });

  it('forgets the least recently updated asset beyond the limit, and counts it', () => {
    const a = aligner({ signals: TWO, maxAssets: 2 });
    a.update('p1', 0, 1, 0);
    a.update('p2', 0, 1, 0);
    a.update('p1', 1, 1, 1); // p1 is now the most recent
    a.update('p3', 0, 1, 0);
    assert.equal(a.assetCount, 2);
    assert.equal(a.stats.evictedAssets, 1);
    assert.deepEqual(a.tick(5).map((s) => s.assetId), ['p1']); // p2 was forgotten; p3 lacks temp → dropped
    a.update('p3', 1, 1, 2);
    assert.deepEqual(a.tick(6).map((s) => s.assetId).sort(), ['p1', 'p3']);
  });
});

describe('align: sequence window', () => {
  it('emits the last T complete samples as [1, T, N] once T exist', () => {
    const a = aligner({ signals: TWO, sequenceLength: 3 });
    const out: AlignedSample[] = [];
    for (let t = 1; t <= 4; t++) {
      a.update('x', 0, t, t * 100 - 50);
      a.update('x', 1, t * 10, t * 100 - 50);
      out.push(...a.tick(t * 100));
    }
    assert.equal(out.length, 2);
    assert.deepEqual(out[0]!.sequence, [[1, 10], [2, 20], [3, 30]]);
    assert.deepEqual(out[1]!.sequence, [[2, 20], [3, 30], [4, 40]]);
    assert.equal(a.stats.warmingUp, 2);
    const tensor = sampleTensor(out[1]!, 'x');
    assert.deepEqual(tensor.dims, [1, 3, 2]);
    assert.equal(tensor.name, 'x');
    assert.deepEqual(Array.from(new Float32Array(tensor.data.buffer, tensor.data.byteOffset, 6)), [2, 20, 3, 30, 4, 40]);
  });

  it('a single sample becomes float32 [1, N]', () => {
    const a = aligner({ signals: TWO });
    a.update('x', 0, 1.5, 0); a.update('x', 1, -2, 0);
    const tensor = sampleTensor(only(a.tick(1)));
    assert.deepEqual(tensor.dims, [1, 2]);
    assert.equal(tensor.type, 'float32');
    assert.ok(Buffer.isBuffer(tensor.data));
    assert.deepEqual(Array.from(new Float32Array(tensor.data.buffer, tensor.data.byteOffset, 2)), [1.5, -2]);
    assert.equal('name' in tensor, false);
  });
});

describe('align: hostile input never corrupts the state', () => {
  it('refuses out-of-order and duplicate times and keeps the samples exactly as before', () => {
    const a = aligner({ signals: [{ name: 'l', fill: 'linear' }, { name: 'h' }] });
    a.update('x', 0, 0, 0);
    a.update('x', 0, 100, 1000);
    a.update('x', 1, 7, 0);
    const before = only(a.tick(500));
    assert.deepEqual(before.values, [50, 7]);
    const b = aligner({ signals: [{ name: 'l', fill: 'linear' }, { name: 'h' }] });
    b.update('x', 0, 0, 0);
    b.update('x', 0, 100, 1000);
    b.update('x', 1, 7, 0);
    assert.equal(codeOf(() => b.update('x', 0, 999, 400)), 'out-of-order');
    assert.equal(codeOf(() => b.update('x', 0, 999, 1000)), 'duplicate-time');
    assert.equal(codeOf(() => b.update('x', 1, 999, 0)), 'duplicate-time');
    assert.deepEqual(only(b.tick(500)).values, before.values);
    assert.equal(b.stats.readings, 3);
  });

  it('a refused reading of a new asset does not create the asset', () => {
    const a = aligner({ signals: TWO, maxAssets: 1 });
    a.update('p1', 0, 1, 10);
    assert.throws(() => a.update('p1', 0, 1, 5));
    assert.equal(a.assetCount, 1);
    assert.equal(a.stats.evictedAssets, 0);
  });

  it('unknown signals are found as -1, for the caller to refuse', () => {
    const a = aligner({ signals: [{ name: 'p', match: 'plant/+/pressure' }] });
    assert.equal(a.signalIndex('plant/a/pressure'), 0);
    assert.equal(a.signalIndex('plant/a/speed'), -1);
  });

  it('keeps at most maxPointsPerSignal readings between samples, counting the dropped ones', () => {
    const a = aligner({ signals: [{ name: 'm', aggregate: 'mean' }], maxPointsPerSignal: 3 });
    for (let t = 1; t <= 5; t++) a.update('x', 0, t, t);
    assert.equal(a.stats.overflowedPoints, 2);
    assert.deepEqual(only(a.tick(10)).values, [4]); // mean of 3, 4, 5
  });
});
