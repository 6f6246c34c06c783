// The onnx-model plugin end to end, as thin-edge runs it: the executable written by `sm-plugin link`, called with
// thin-edge's argv, downloads without extension, stdin for update-list; as an unprivileged user on a store it owns.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ModelStore } from '../../lib/model-store';
import { repoRoot } from '../helpers/flow';
import { offsetModel, packBundle, tempDir, unloadableModel, writeDownload } from '../fixtures/store-models';

const CLI = path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js');
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

interface Run { code: number; stdout: string; stderr: string }

function run(file: string, args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv; user?: 'owner' | 'self' } = {}): Promise<Run> {
  // As root, run as nobody (like a store owned by a service user); otherwise as ourselves.
  const [cmd, argv] = asRoot && options.user !== 'self'
    ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', file, ...args]] : [file, args];
  return new Promise((resolve) => {
    const child = execFile(cmd, argv, { env: { PATH: process.env.PATH, ...options.env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 99) : 0, stdout, stderr });
    });
    child.stdin!.end(options.stdin ?? '');
  });
}

describe('onnx-model sm-plugin (edge-mlops sm-plugin) end to end', function () {
  this.timeout(180000);
  let dir: string;
  let plugins: string;
  let store: string;
  let plugin: string;
  const download = (name: string, bytes: Buffer | string) => {
    const file = writeDownload(dir, name, bytes);
    fs.chmodSync(file, 0o644);
    return file;
  };
  const list = async () => (await run(plugin, ['list'])).stdout;

  before(async () => {
    dir = tempDir('mlops-smplugin-');
    fs.chmodSync(dir, 0o755);
    plugins = path.join(dir, 'sm-plugins');
    store = path.join(dir, 'store');
    fs.mkdirSync(store);
    if (asRoot) fs.chownSync(store, NOBODY, NOBODY);
    const linked = await run(process.execPath, [CLI, 'sm-plugin', 'link', '--dir', plugins, '--store', store], { user: 'self' });
    assert.equal(linked.code, 0, linked.stderr);
    plugin = path.join(plugins, 'onnx-model');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('link writes an executable onnx-model that thin-edge can run (name starts with a letter, mode 755)', () => {
    assert.equal(fs.statSync(plugin).mode & 0o777, 0o755);
    assert.match(fs.readFileSync(plugin, 'utf8'), /sm-plugin "\$@"/);
  });

  it('list of an empty store prints nothing and exits 0 (so thin-edge keeps the plugin)', async () => {
    assert.deepEqual(await run(plugin, ['list']), { code: 0, stdout: '', stderr: '' });
  });

  it('installs, upgrades, rolls back by re-installing without a file, and by removing the active version', async () => {
    let r = await run(plugin, ['install', 'insulator', '--module-version', '1.0', '--file', download('insulator_1.0', offsetModel(1))]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await list(), 'insulator\t1.0\n');
    if (asRoot) assert.equal(fs.statSync(path.join(store, 'insulator', '1.0', 'model.onnx')).uid, NOBODY);
    r = await run(plugin, ['install', 'insulator', '--module-version', '2.0', '--file', download('insulator_2.0', offsetModel(2))]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await list(), 'insulator\t2.0\n');
    r = await run(plugin, ['install', 'insulator', '--module-version', '1.0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /activated insulator 1\.0/);
    assert.equal(await list(), 'insulator\t1.0\n');
    r = await run(plugin, ['remove', 'insulator', '--module-version', '1.0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rolled-back insulator 1\.0; active: insulator 2\.0/);
    assert.equal(await list(), 'insulator\t2.0\n');
  });

  it('refuses a corrupt file and an incompatible signature with exit 2 and the check on stderr; the previous version stays', async () => {
    let r = await run(plugin, ['install', 'insulator', '--module-version', '3.0', '--file', download('insulator_3.0', offsetModel(3).subarray(0, 50))]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^onnx-model install: check "parses" failed/);
    r = await run(plugin, ['install', 'insulator', '--module-version', '3.0', '--file', download('insulator_3.0b', offsetModel(3, 6))]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /check "signature" failed: .*input x float32\[1,4\] became x float32\[1,6\]/);
    r = await run(plugin, ['install', 'insulator', '--module-version', '3.0', '--file', download('insulator_3.0c', unloadableModel())]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /check "loads and warms up" failed/);
    assert.equal(await list(), 'insulator\t2.0\n');
  });

  it('update-list applies a batch all or nothing: one bad model → exit 2 and nothing changed; a good batch → exit 0', async () => {
    const bad = [
      `install\tinsulator\t4.0\t${download('insulator_4.0', offsetModel(4))}`,
      `install\tcrossarm\t1.0\t${download('crossarm_1.0', fs.readFileSync(packBundle(dir, 'crossarm.tgz', { 'model.onnx': offsetModel(7) }, 'tar.gz')))}`,
      `install\tbroken\t1.0\t${download('broken_1.0', 'not a model')}`,
      'remove\tinsulator\t2.0\t',
    ].join('\n') + '\n';
    let r = await run(plugin, ['update-list'], { stdin: bad });
    assert.equal(r.code, 2, 'exit 1 would make thin-edge apply the batch one module at a time');
    assert.match(r.stderr, /check "parses" failed: broken 1\.0/);
    assert.equal(await list(), 'insulator\t2.0\n');
    const good = `install\tinsulator\t4.0\t${download('insulator_4.0b', offsetModel(4))}\ninstall\tcrossarm\t1.0\t${path.join(dir, 'crossarm_1.0')}\n`;
    r = await run(plugin, ['update-list'], { stdin: good });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await list(), 'crossarm\t1.0\ninsulator\t4.0\n');
    r = await run(plugin, ['update-list'], { stdin: 'upgrade\tx\t1\t\n' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /line 1 starts with "upgrade"/);
  });

  it('two installs at once from two processes both land, one after the other (lock file); the store stays consistent', async () => {
    const [a, b] = await Promise.all([
      run(plugin, ['install', 'pair', '--module-version', '1', '--file', download('pair_1', offsetModel(1))]),
      run(plugin, ['install', 'pair', '--module-version', '2', '--file', download('pair_2', offsetModel(2))]),
    ]);
    assert.deepEqual([a.code, b.code], [0, 0], a.stderr + b.stderr);
    assert.match(await list(), /^pair\t[12]$/m);
    const inStore = new ModelStore(store);
    assert.deepEqual(inStore.versions('pair').map((v) => v.version).sort(), ['1', '2']);
    assert.deepEqual(inStore.check(), []);
    assert.ok(!fs.existsSync(path.join(store, '.lock')));
  });

  it('prepare and finalize exit 0; usage errors exit 1; bad names exit 2 with the reason', async () => {
    assert.equal((await run(plugin, ['prepare'])).code, 0);
    assert.equal((await run(plugin, ['finalize'])).code, 0);
    assert.equal((await run(plugin, ['frobnicate'])).code, 1);
    assert.equal((await run(plugin, ['install'])).code, 1);
    assert.equal((await run(plugin, ['install', 'a', '--bogus', 'x'])).code, 1);
    const r = await run(plugin, ['install', '../../etc/passwd', '--module-version', '1', '--file', download('evil', offsetModel(1))]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"\.\.\/\.\.\/etc\/passwd" is not a valid model name/);
  });

  it('installs without --module-version (version from the model metadata) and removes a whole model', async () => {
    const r = await run(plugin, ['install', 'meta', '--file', download('meta', offsetModel(5))]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await list(), /^meta\t5$/m);
    assert.equal((await run(plugin, ['remove', 'meta'])).code, 0);
    assert.doesNotMatch(await list(), /meta/);
    assert.ok(!fs.existsSync(path.join(store, 'meta')));
  });

  it('a user who may not write the store can list it but gets exit 2 and the reason for an install', async function () {
    if (!asRoot) this.skip();
    const rootOwned = path.join(dir, 'root-store');
    fs.mkdirSync(rootOwned, { mode: 0o755 });
    const env = { EDGE_MLOPS_MODEL_STORE: rootOwned };
    assert.equal((await run(plugin, ['list'], { env })).code, 0);
    const r = await run(plugin, ['install', 'x', '--module-version', '1', '--file', download('x_1', offsetModel(1))], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not writable by this user; set EDGE_MLOPS_MODEL_STORE/);
  });

  it('link --remove removes only its own file', async () => {
    const foreign = path.join(dir, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'onnx-model'), '#!/bin/sh\necho mine\n');
    const refused = await run(process.execPath, [CLI, 'sm-plugin', 'link', '--dir', foreign, '--remove'], { user: 'self' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /was not written by edge-mlops/);
    assert.equal((await run(process.execPath, [CLI, 'sm-plugin', 'link', '--dir', plugins, '--remove'], { user: 'self' })).code, 0);
    assert.ok(!fs.existsSync(plugin));
  });
});
