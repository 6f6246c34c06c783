// The VQI example as imported, under a burst and hostile asset ids: 20 pictures copied into the inbox at once are all
// inspected and published, one at a time, and leave the inbox for done/; a file the pipeline cannot read goes to
// failed/; an asset id that cannot name a thin-edge asset is answered 400 before the pipeline, with no catch loop,
// and the next request is served. The example's check agrees with lib/publishing's assetIdProblem.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assetIdProblem } from '../../lib/publishing/topic-rules';
import { repoRoot } from '../helpers/flow';
import { useThinEdgeSide, useVqiRuntime } from '../helpers/vqi-example';

const samples = fs.readdirSync(path.join(repoRoot, 'samples')).filter((f) => f.endsWith('.jpg')).sort();

/** Resolves when `check()` holds, re-checked whenever something changes in `folders` (created on demand). */
function whenFolders(folders: string[], check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  for (const folder of folders) fs.mkdirSync(folder, { recursive: true });
  return new Promise((resolve, reject) => {
    const watchers = folders.map((folder) => fs.watch(folder, () => test()));
    const timer = setTimeout(() => finish(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
    function finish(err?: Error) {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      if (err) reject(err); else resolve();
    }
    function test() {
      if (check()) finish();
    }
    test();
  });
}

describe('VQI example: inbox bursts and asset ids', function () {
  this.timeout(240000);
  const side = useThinEdgeSide();
  const vqi = useVqiRuntime(side);
  const inspect = (asset: string) => vqi.inspect(asset);

  it('answers an asset id that cannot name a thin-edge asset with 400 (as lib/publishing judges it), and serves the next request', async () => {
    const hostile = ['a/b', 'a+b', 'tower#1', '', 'main', 'x'.repeat(257), 'bell\u0007', 'nel\u0085', 'te/device/x//'];
    for (const id of hostile) {
      assert.ok(assetIdProblem(id), `lib/publishing accepts ${JSON.stringify(id)}`);
      const { status, body } = await inspect(id);
      assert.equal(status, 400, `${JSON.stringify(id)} answered ${status}`);
      assert.equal(body.code, 'invalid-asset-id');
      assert.match(body.error, /cannot name a thin-edge asset/);
      assert.doesNotMatch(body.error, /^Error: /);
    }
    for (const id of ['tower-1', 'Turm 7 ü', 'a.b_c-d:e']) {
      assert.equal(assetIdProblem(id), undefined);
      const { status, body } = await inspect(id);
      assert.equal(status, 200, `${JSON.stringify(id)}: ${JSON.stringify(body)}`);
    }
    await side.recorder.waitFor((all) => all.some((m) => m.topic === 'te/device/tower-1///m/mlops_Inspection'), 'tower-1 published');
    assert.equal(side.recorder.on('te/device/a/b///m/mlops_Inspection').length, 0);
  });

  it('inspects and publishes all of 20 pictures copied into the inbox at once, and moves them to done/', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `burst-${String(i).padStart(2, '0')}`);
    names.forEach((name, i) => {
      const staged = path.join(side.inbox, `.${name}.part`);
      fs.copyFileSync(path.join(repoRoot, 'samples', samples[i % samples.length]!), staged);
      fs.renameSync(staged, path.join(side.inbox, `${name}.jpg`));
    });
    const topics = names.map((name) => `te/device/${name}///m/mlops_Inspection`);
    await side.recorder.waitFor((all) => topics.every((t) => all.some((m) => m.topic === t)), 'a measurement for each of the 20 pictures', 200000);
    const done = path.join(side.inbox, 'done');
    await whenFolders([side.inbox, done], () => names.every((n) => fs.existsSync(path.join(done, `${n}.jpg`))), 'all 20 in done/', 30000);
    assert.deepEqual(fs.readdirSync(side.inbox).filter((f) => f.startsWith('burst-')), [], 'the inbox is empty again');
  });

  it('moves a file it cannot read to failed/ and goes on with the next', async () => {
    fs.writeFileSync(path.join(side.inbox, '.broken.part'), 'not a picture');
    fs.renameSync(path.join(side.inbox, '.broken.part'), path.join(side.inbox, 'broken-1.jpg'));
    const staged = path.join(side.inbox, '.after.part');
    fs.copyFileSync(path.join(repoRoot, 'samples', 'tower-healthy.jpg'), staged);
    fs.renameSync(staged, path.join(side.inbox, 'after-broken.jpg'));
    await side.recorder.waitFor((all) => all.some((m) => m.topic === 'te/device/after-broken///m/mlops_Inspection'), 'the picture after the broken one');
    const failed = path.join(side.inbox, 'failed');
    await whenFolders([side.inbox, failed], () => fs.existsSync(path.join(failed, 'broken-1.jpg')), 'broken-1.jpg in failed/', 30000);
    assert.equal(side.recorder.on('te/device/broken-1///m/mlops_Inspection').length, 0);
  });
});
