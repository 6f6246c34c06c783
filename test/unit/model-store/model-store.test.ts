import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ModelStore, parseStoreSpec, readArtefact, sha256Of, storeRoot } from '../../../lib/model-store';
import { refusal } from '../../helpers/refusal';
import { externalDataModel, offsetModel, packBundle, tempDir, unloadableModel, writeDownload } from '../../fixtures/store-models';

describe('model store', function () {
  this.timeout(120000);
  let dir: string;
  let store: ModelStore;
  beforeEach(() => {
    dir = tempDir('mlops-store-');
    store = new ModelStore(path.join(dir, 'store'), { keep: 3 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('installs a bare model given without extension and activates it, with a manifest', async () => {
    const file = writeDownload(dir, 'offset_1.0', offsetModel(1));
    const outcome = await store.install('offset', '1.0', file);
    assert.equal(outcome.result, 'installed');
    const active = store.resolve('offset');
    assert.equal(active.version, '1.0');
    assert.deepEqual(fs.readFileSync(active.modelPath), offsetModel(1));
    assert.equal(active.manifest.sha256, sha256Of(offsetModel(1)));
    assert.equal(active.manifest.size, offsetModel(1).length);
    assert.equal(active.manifest.format, 'onnx');
    assert.equal(active.manifest.source, file);
    assert.deepEqual(active.manifest.inputs, [{ name: 'x', type: 'float32', dims: [1, 4] }]);
    assert.ok(Date.parse(active.manifest.installedAt) > 0);
    assert.deepEqual(store.check(), []);
    assert.deepEqual(fs.readdirSync(store.root).sort(), ['offset']);
  });

  it('upgrades, rolls back by re-installing an older version without a file, and by removing the active one', async () => {
    await store.install('offset', '1', writeDownload(dir, 'a', offsetModel(1)));
    await store.install('offset', '2', writeDownload(dir, 'b', offsetModel(2)));
    assert.equal(store.resolve('offset').version, '2');
    assert.equal((await store.activate('offset', '1')).result, 'activated');
    assert.equal(store.resolve('offset').version, '1');
    await store.activate('offset', '2');
    const removal = await store.remove('offset', '2');
    assert.deepEqual([removal.result, removal.active], ['rolled-back', '1']);
    assert.equal(store.resolve('offset').version, '1');
    assert.deepEqual(store.versions('offset').map((v) => v.version), ['1']);
    await store.remove('offset');
    assert.deepEqual(store.list(), []);
    assert.equal((await refusal(() => store.resolve('offset'))).code, 'store-model-not-found');
    assert.deepEqual(store.check(), []);
  });

  it('keeps the newest N versions and never prunes the active one', async () => {
    for (let v = 1; v <= 3; v++) await store.install('offset', String(v), writeDownload(dir, `f${v}`, offsetModel(v)));
    await store.activate('offset', '1');
    await store.install('offset', '4', writeDownload(dir, 'f4', offsetModel(4)), { activate: true });
    // 4 is active now; 1 was active before it but is the oldest → pruned; 2, 3, 4 kept.
    assert.deepEqual(store.versions('offset').map((v) => v.version), ['2', '3', '4']);
    await store.activate('offset', '2');
    for (let v = 5; v <= 7; v++) await store.install('offset', String(v), writeDownload(dir, `f${v}`, offsetModel(v)), { activate: false });
    assert.equal(store.resolve('offset').version, '2');
    // 2 is active and the oldest: kept besides the newest three.
    assert.deepEqual(store.versions('offset').map((v) => v.version).sort(), ['2', '5', '6', '7']);
  });

  it('accepts .tar.gz, .tar and .zip bundles packed by the system tools, by content, with a manifest and labels', async () => {
    const files = { 'model.onnx': offsetModel(3), 'manifest.json': JSON.stringify({ sha256: sha256Of(offsetModel(3)), preprocessing: { mean: [0.5] } }), 'labels.txt': 'wire\ntower\n' };
    for (const format of ['tar.gz', 'tar', 'zip'] as const) {
      const bundle = packBundle(dir, `bundle-${format.replace('.', '')}`, files, format, format === 'zip' ? 'my-model' : undefined);
      assert.equal(readArtefact(fs.readFileSync(bundle)).format, format);
      await store.install(`m-${format.replace('.', '')}`, '1', bundle);
      const m = store.resolve(`m-${format.replace('.', '')}`).manifest;
      assert.deepEqual([m.format, m.labels, m.preprocessing, m.sha256], [format, ['wire', 'tower'], { mean: [0.5] }, sha256Of(offsetModel(3))]);
      assert.deepEqual(m.files, ['labels.txt', 'manifest.json', 'model.onnx']);
    }
  });

  it('installs a bundle whose weights are in an external data file, and refuses it when that file is missing', async () => {
    const { model, weights } = externalDataModel(6);
    await store.install('ext', '1', packBundle(dir, 'ext-ok', { 'model.onnx': model, 'weights.bin': weights }, 'tar.gz'));
    const installed = store.resolve('ext');
    assert.deepEqual(installed.manifest.files, ['manifest.json', 'model.onnx', 'weights.bin']);
    assert.deepEqual(fs.readFileSync(path.join(installed.dir, 'weights.bin')), weights);
    const refused = await refusal(store.install('ext', '2', packBundle(dir, 'ext-missing', { 'model.onnx': model }, 'tar.gz')));
    assert.equal(refused.code, 'store-check-load');
    assert.match(refused.message, /keeps its weights in weights\.bin, which the bundle does not hold/);
    assert.equal(store.resolve('ext').version, '1');
  });

  it('refuses what fails a check, names the check, and keeps the previous version active', async () => {
    await store.install('offset', '1', writeDownload(dir, 'good', offsetModel(1)));
    const cases: [string, string, string | RegExp][] = [
      [writeDownload(dir, 'corrupt', offsetModel(2).subarray(0, 40)), 'store-check-parse', /check "parses" failed/],
      [writeDownload(dir, 'notes', 'just some text'), 'store-check-parse', /check "parses" failed/],
      [packBundle(dir, 'badsha', { 'model.onnx': offsetModel(2), 'manifest.json': JSON.stringify({ sha256: 'ab'.repeat(32) }) }, 'tar.gz'), 'store-check-sha256', /check "sha256" failed/],
      [writeDownload(dir, 'wider', offsetModel(2, 8)), 'store-check-signature', /input x float32\[1,4\] became x float32\[1,8\]/],
      [writeDownload(dir, 'unloadable', unloadableModel()), 'store-check-load', /check "loads and warms up" failed: onnxruntime cannot run operator FancyWarp/],
      [packBundle(dir, 'nomodel', { 'readme.txt': 'hi' }, 'zip'), 'store-bad-bundle', /must hold model\.onnx/],
      [path.join(dir, 'missing-file'), 'store-file-unreadable', /cannot read/],
    ];
    for (const [file, code, message] of cases) {
      const refused = await refusal(store.install('offset', '2', file));
      assert.equal(refused.code, code, `${path.basename(file)}: ${refused.message}`);
      assert.match(refused.message, message instanceof RegExp ? message : new RegExp(message));
      assert.equal(store.resolve('offset').version, '1');
      assert.deepEqual(store.versions('offset').map((v) => v.version), ['1']);
      assert.deepEqual(store.check(), []);
      assert.deepEqual(fs.readdirSync(path.join(store.root, 'offset')).sort(), ['1', 'active.json'], 'no staging left behind');
    }
    // A breaking change goes in when the bundle says so.
    const breaking = packBundle(dir, 'breaking', { 'model.onnx': offsetModel(2, 8), 'manifest.json': '{"allowBreakingChange": true}' }, 'tar.gz');
    await store.install('offset', '2', breaking);
    assert.equal(store.resolve('offset').version, '2');
  });

  it('refuses unsafe names, unsafe bundle paths and links, and a changed file under an installed version', async () => {
    for (const name of ['../etc', 'a/b', '.hidden', '', 'x..y']) assert.equal((await refusal(store.install(name, '1', undefined))).code, 'store-bad-name');
    assert.equal((await refusal(store.install('ok', '1/../../x', undefined))).code, 'store-bad-version');
    const src = tempDir('mlops-store-link-');
    fs.writeFileSync(path.join(src, 'model.onnx'), offsetModel(1));
    fs.symlinkSync('/etc/passwd', path.join(src, 'labels.txt'));
    const linked = path.join(dir, 'linked');
    require('node:child_process').execFileSync('tar', ['-czf', linked, '-C', src, 'model.onnx', 'labels.txt']);
    assert.match((await refusal(store.install('ok', '1', linked))).message, /labels\.txt" is a link or special file/);
    const traversal = Buffer.alloc(1024);
    traversal.write('../evil.onnx', 0);
    traversal.write('0000644\0', 100); traversal.write('00000000000\0', 124); traversal.write('ustar\0', 257); traversal.write('0', 156);
    assert.match((await refusal(store.install('ok', '1', writeDownload(dir, 'trav', traversal)))).message, /unsafe path "\.\.\/evil\.onnx"/);
    await store.install('ok', '1', writeDownload(dir, 'one', offsetModel(1)));
    assert.equal((await refusal(store.install('ok', '1', writeDownload(dir, 'other', offsetModel(9))))).code, 'store-version-exists');
    assert.equal((await store.install('ok', '1', writeDownload(dir, 'same', offsetModel(1)))).result, 'activated');
    assert.equal((await refusal(store.install('ok', '7', undefined))).code, 'store-version-not-installed');
  });

  it('applies a batch all or nothing', async () => {
    await store.install('a', '1', writeDownload(dir, 'a1', offsetModel(1)));
    await store.install('b', '1', writeDownload(dir, 'b1', offsetModel(1)));
    const before = JSON.stringify(store.list());
    const refused = await refusal(store.applyBatch([
      { action: 'install', name: 'a', version: '2', file: writeDownload(dir, 'a2', offsetModel(2)) },
      { action: 'remove', name: 'b' },
      { action: 'install', name: 'c', version: '1', file: writeDownload(dir, 'c1', offsetModel(1)) },
      { action: 'install', name: 'a', version: '3', file: writeDownload(dir, 'bad', unloadableModel()) },
    ]));
    assert.equal(refused.code, 'store-check-load');
    assert.equal(JSON.stringify(store.list()), before);
    assert.deepEqual(fs.readdirSync(store.root).sort(), ['a', 'b']);
    assert.deepEqual(store.check(), []);
    const done = await store.applyBatch([
      { action: 'install', name: 'a', version: '2', file: writeDownload(dir, 'a2b', offsetModel(2)) },
      { action: 'remove', name: 'b' },
    ]);
    assert.deepEqual(done.map((o) => o.result), ['installed', 'removed']);
    assert.deepEqual(store.list().map((m) => [m.name, m.active]), [['a', '2']]);
  });

  it('serialises two concurrent installs with its lock: both land, one ends active, the store is consistent', async () => {
    await store.install('m', '1', writeDownload(dir, 'm1', offsetModel(1)));
    const other = new ModelStore(store.root);
    const results = await Promise.all([
      store.install('m', '2', writeDownload(dir, 'm2', offsetModel(2))),
      other.install('m', '3', writeDownload(dir, 'm3', offsetModel(3))),
    ]);
    assert.deepEqual(results.map((r) => r.result), ['installed', 'installed']);
    assert.ok(['2', '3'].includes(store.resolve('m').version));
    assert.deepEqual(store.versions('m').map((v) => v.version).sort(), ['1', '2', '3']);
    assert.deepEqual(store.check(), []);
    assert.ok(!fs.existsSync(path.join(store.root, '.lock')));
  });

  it('parses store specs and finds its root', () => {
    assert.deepEqual(parseStoreSpec('store:insulator'), { name: 'insulator' });
    assert.deepEqual(parseStoreSpec(' store:insulator@1.2.0 '), { name: 'insulator', version: '1.2.0' });
    assert.equal(parseStoreSpec('/models/x.onnx'), undefined);
    assert.throws(() => parseStoreSpec('store:../x'), /not a valid model name/);
    assert.equal(storeRoot({ env: { EDGE_MLOPS_MODEL_STORE: dir } }), dir);
    const fallback = storeRoot({ env: {}, userDir: '/home/nr/.node-red' });
    assert.ok(fallback === '/var/lib/edge-mlops/models' || fallback === '/home/nr/.node-red/edge-mlops/models');
  });
});
