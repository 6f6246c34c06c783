// kill -9 of a writer at every step of a change leaves the store consistent, and the next writer finishes the story:
// before the commit the old state comes back, after it the new state stays.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ModelStore, type StoreAction, type StoreStep } from '../../../lib/model-store';
import { offsetModel, tempDir, writeDownload } from '../../fixtures/store-models';

const CHILD = path.join(__dirname, '..', '..', 'fixtures', 'store-crash-child.js');

/** Runs the batch in a child, kills it with SIGKILL when it reports reaching `step`; resolves with what it printed. */
function killAt(root: string, step: StoreStep, occurrence: number, actions: StoreAction[]): Promise<string> {
  const child = spawn(process.execPath, [CHILD, root, step, String(occurrence), JSON.stringify(actions)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let said = '';
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      said = line;
      if (line.startsWith('at ')) child.kill('SIGKILL');
    });
    child.once('error', reject);
    child.once('exit', (_code, signal) => (said.startsWith('at ') && signal === 'SIGKILL' ? resolve(said) : reject(new Error(`child ended with "${said}" (${signal})`))));
  });
}

const leftovers = (root: string) => [root, ...fs.readdirSync(root).filter((n) => !n.startsWith('.')).map((n) => path.join(root, n))]
  .flatMap((d) => fs.readdirSync(d).filter((n) => n.startsWith('.')).map((n) => path.join(path.basename(d), n)));

describe('model store crash safety (kill -9 at each step)', function () {
  this.timeout(180000);
  let dir: string;
  let root: string;
  let store: ModelStore;
  beforeEach(async () => {
    dir = tempDir('mlops-store-crash-');
    root = path.join(dir, 'store');
    store = new ModelStore(root);
    await store.install('m', '1', writeDownload(dir, 'm1', offsetModel(1)));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const upgrade = (): StoreAction[] => [{ action: 'install', name: 'm', version: '2', file: writeDownload(dir, 'm_2', offsetModel(2)) }];
  const cases: [StoreStep, string, string[]][] = [
    ['journal', '1', ['1']], ['writing', '1', ['1']], ['staged', '1', ['1']], ['verified', '1', ['1']], ['moved', '1', ['1']],
    ['activated', '1', ['1']], ['committed', '2', ['1', '2']], ['pruned', '2', ['1', '2']],
  ];
  for (const [step, activeAfter, versionsAfter] of cases) {
    it(`install of a new version killed at "${step}": readers see a complete version, then ${activeAfter} is active`, async () => {
      assert.equal(await killAt(root, step, 1, upgrade()), `at ${step}`);
      // What Node-RED reads before any writer recovers: an active version that is fully there.
      assert.deepEqual(store.check().filter((p) => !p.includes('journal')), []);
      assert.ok(['1', '2'].includes(store.resolve('m').version));
      await store.recover();
      assert.deepEqual(store.check(), []);
      assert.equal(store.resolve('m').version, activeAfter);
      assert.deepEqual(store.versions('m').map((v) => v.version), versionsAfter);
      assert.deepEqual(leftovers(root), [], 'no staging, trash, journal or lock left');
    });
  }

  it('a removal of the active version killed after the roll-back but before the commit restores the removed version', async () => {
    await store.install('m', '2', writeDownload(dir, 'm2', offsetModel(2)));
    await killAt(root, 'activated', 1, [{ action: 'remove', name: 'm', version: '2' }]);
    assert.equal(store.resolve('m').version, '1'); // readers already see the roll-back target
    await store.recover();
    assert.equal(store.resolve('m').version, '2');
    assert.deepEqual(store.versions('m').map((v) => v.version), ['1', '2']);
    assert.deepEqual(store.check(), []);
  });

  it('a batch killed in its second install rolls back the first as well', async () => {
    const batch: StoreAction[] = [
      { action: 'install', name: 'm', version: '2', file: writeDownload(dir, 'b2', offsetModel(2)) },
      { action: 'install', name: 'n', version: '1', file: writeDownload(dir, 'n1', offsetModel(5)) },
    ];
    await killAt(root, 'moved', 2, batch);
    await store.recover();
    assert.deepEqual(store.list().map((m) => [m.name, m.active, m.versions.map((v) => v.version)]), [['m', '1', ['1']]]);
    assert.deepEqual(leftovers(root), []);
    assert.deepEqual(store.check(), []);
  });

  it('a lock left by a killed writer is broken by the next one', async () => {
    await killAt(root, 'staged', 1, upgrade());
    assert.ok(fs.existsSync(path.join(root, '.lock')));
    await store.install('m', '3', writeDownload(dir, 'm3', offsetModel(3)));
    assert.equal(store.resolve('m').version, '3');
    assert.deepEqual(store.check(), []);
  });
});
