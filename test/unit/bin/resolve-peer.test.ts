// edge-mlops start outside this repository: Node-RED and aedes are found where a user has them, or the command
// says what is missing, where it looked and what to install.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolvePeer, searchPaths } from '../../../bin/runtime/resolve-peer';
import { repoRoot } from '../../helpers/flow';

describe('edge-mlops start: finding Node-RED and aedes', () => {
  let empty: string;
  beforeEach(() => { empty = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-mlops-peer-')); });
  afterEach(() => fs.rmSync(empty, { recursive: true, force: true }));

  it('finds the user\'s Node-RED in the folder EDGE_MLOPS_NODE_RED names, not next to the package', () => {
    const userNodeRed = path.join(repoRoot, 'node_modules', 'node-red'); // a real Node-RED installed elsewhere
    const paths = searchPaths({ EDGE_MLOPS_NODE_RED: userNodeRed }, empty);
    assert.deepEqual(paths.slice(0, 2), [empty, userNodeRed]);
    const found = resolvePeer('node-red', paths.slice(0, 2));
    assert.ok(typeof found === 'string', String(found));
    assert.equal(fs.realpathSync(found), fs.realpathSync(require.resolve('node-red', { paths: [repoRoot] })));
  });

  it('says what is missing, where it looked and what to install', () => {
    const found = resolvePeer('node-red', [empty]);
    assert.ok(found instanceof Error);
    assert.match(found.message, new RegExp(`^edge-mlops start needs the npm package node-red, which was not found in ${empty}: install Node-RED .*EDGE_MLOPS_NODE_RED`));
    const broker = resolvePeer('aedes', [empty]);
    assert.ok(broker instanceof Error);
    assert.match(broker.message, /aedes.*start thin-edge's mosquitto/);
  });
});
