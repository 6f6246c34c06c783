// The sidebar's memory: bounded per asset and in assets, pictures joined by message id in either order.
import assert from 'node:assert/strict';
import { InspectionLog, inspectionSummary, mergeUpdates, type InspectionSummary } from '../../../lib/preview/inspection-log';

const picture = { dataUrl: 'data:image/jpeg;base64,AAAA', width: 4, height: 3, bytes: 3 };

function summary(msgId: string, assetId: string, state = 'OK'): InspectionSummary {
  return inspectionSummary({ msgId, assetId, condition: { state, reasons: [] }, at: 1, node: 'cond' });
}

describe('inspection summaries and the inspection log', () => {
  it('summarises msg.condition, msg.model, the flow env and msg.timings with their total', () => {
    const s = inspectionSummary({
      msgId: 'm1', assetId: 'tower-17',
      condition: { assetId: 'ignored', assetType: 'lattice_tower', state: 'CRITICAL', severity: 'CRITICAL', reasons: ['rust / tower = 0.06 > 0.05 → CRITICAL'] },
      model: { name: 'tower-seg', version: '1.2.0', sha256: 'abc' }, flow: { name: 'vqi', version: '0.3.0' },
      timings: { decode: 4, preprocess: 2, infer: 30.5, note: 'x' }, at: 1700000000000, node: 'cond',
    });
    assert.deepEqual(s, {
      msgId: 'm1', assetId: 'tower-17', assetType: 'lattice_tower', state: 'CRITICAL', severity: 'CRITICAL',
      reasons: ['rust / tower = 0.06 > 0.05 → CRITICAL'], model: { name: 'tower-seg', version: '1.2.0' }, flow: { name: 'vqi', version: '0.3.0' },
      timings: { decode: 4, preprocess: 2, infer: 30.5 }, totalMs: 36.5, at: 1700000000000, node: 'cond',
    });
  });

  it('bounds hostile summaries: long reasons cut, at most 5 listed, asset id from the condition when msg has none', () => {
    const s = inspectionSummary({
      msgId: 7, condition: { assetId: 'a', state: 'WARNING', reasons: ['x'.repeat(5000), 1, null, 'b', 'c', 'd', 'e', 'f'] }, at: 0, node: 'n',
      model: 'not an object', flow: { name: 3 },
    });
    assert.equal(s.msgId, '7');
    assert.equal(s.assetId, 'a');
    assert.equal(s.reasons.length, 6);
    assert.equal(s.reasons[0]!.length, 200);
    assert.equal(s.reasons[5], '… 1 more', 'six texts (the non-texts dropped): five and a count');
    assert.equal(s.model, undefined);
    assert.equal(s.flow, undefined);
    assert.ok(JSON.stringify(s).length < 2000);
  });

  it('keeps the last 20 per asset, newest first, and forgets the asset inspected longest ago beyond 50 assets', () => {
    const log = new InspectionLog();
    for (let i = 0; i < 25; i++) log.add(summary(`t${i}`, 'tower'));
    for (let a = 0; a < 50; a++) log.add(summary(`x${a}`, `asset-${a}`));
    assert.equal(log.assetCount, 50, 'tower (inspected first) was forgotten for asset-49');
    assert.ok(!log.entries().some((e) => e.assetId === 'tower'));
    const fresh = new InspectionLog({ assets: 3 });
    for (let i = 0; i < 25; i++) fresh.add(summary(`t${i}`, 'tower'));
    fresh.add(summary('b', 'bridge'));
    const towers = fresh.entries().filter((e) => e.assetId === 'tower');
    assert.deepEqual(towers.map((e) => e.msgId), Array.from({ length: 20 }, (_, i) => `t${24 - i}`));
    assert.equal(fresh.entries()[0]!.msgId, 'b', 'most recently inspected asset first');
  });

  it('joins a picture by message id, whichever arrives first', () => {
    const log = new InspectionLog();
    log.add(summary('m1', 'tower'));
    assert.deepEqual(log.attachPicture('m1', picture)?.picture, picture);
    assert.deepEqual(log.entries()[0]!.picture, picture);
    assert.equal(log.attachPicture('m2', picture), undefined, 'not judged yet: the picture waits');
    assert.deepEqual(log.add(summary('m2', 'tower')).picture, picture);
  });

  it('keeps at most 20 waiting pictures (a segment node whose messages never reach a condition node)', () => {
    const log = new InspectionLog();
    for (let i = 0; i < 30; i++) log.attachPicture(`p${i}`, picture);
    assert.equal(log.add(summary('p5', 'a')).picture, undefined, 'p5 was dropped');
    assert.deepEqual(log.add(summary('p29', 'a')).picture, picture);
  });

  it('merges waiting updates: one per inspection (its newest version), at most the limit', () => {
    const a = summary('a', 'x');
    const withPicture = { ...a, picture };
    const merged = mergeUpdates([a, summary('b', 'x')], [withPicture, summary('c', 'x')], 40);
    assert.deepEqual(merged.map((e) => [e.msgId, !!e.picture]), [['b', false], ['a', true], ['c', false]]);
    assert.equal(mergeUpdates([], Array.from({ length: 50 }, (_, i) => summary(`m${i}`, 'x')), 40).length, 40);
  });
});
