// A missing or broken model is shown by every node that depends on it (those that reference the mlops-model, the
// package's nodes downstream of an mlops-infer that uses it, the mlops-tensor feeding that infer) and logged once
// at deploy, before any message arrives.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeModule, testHelper } from '../../helpers/flow';
import type { ModelConfigNode } from '../../../nodes/shared/model-node';
import { convModel } from '../../fixtures/inference-models';

const TYPES = ['mlops-model', 'mlops-image', 'mlops-tensor', 'mlops-infer', 'mlops-segment', 'mlops-condition', 'mlops-classify'];
const nodes = TYPES.map(nodeModule);
const DEPENDENTS = ['image', 'tensor', 'infer', 'segment', 'condition', 'classify'];

function pipeline(modelPath: string): object[] {
  return [
    { id: 'tab', type: 'tab' },
    { id: 'model', type: 'mlops-model', path: modelPath, workers: 1 },
    { id: 'image', type: 'mlops-image', z: 'tab', model: 'model', wires: [['tensor']] },
    { id: 'tensor', type: 'mlops-tensor', z: 'tab', width: '3', height: '3', wires: [['infer']] },
    { id: 'infer', type: 'mlops-infer', z: 'tab', model: 'model', wires: [['segment', 'classify']] },
    { id: 'segment', type: 'mlops-segment', z: 'tab', wires: [['condition']] },
    { id: 'condition', type: 'mlops-condition', z: 'tab', wires: [[]] },
    { id: 'classify', type: 'mlops-classify', z: 'tab', wires: [[]] },
    // Not in this model's pipeline: its status stays untouched.
    { id: 'unrelated', type: 'mlops-segment', z: 'tab', wires: [[]] },
  ];
}

/** Every status a node was given since the flow was loaded (the helper spies on the node prototype's status). */
function statusesOf(id: string): { fill?: string; text?: string }[] {
  const spy = (testHelper as any)._NodePrototype.status as { getCalls(): { thisValue: { id: string }; args: [{ fill?: string; text?: string }] }[] };
  return spy.getCalls().filter((call) => call.thisValue.id === id).map((call) => call.args[0]);
}

function errorsOf(id: string): string[] {
  return testHelper.log().args.map((a) => a[0]).filter((m) => m.id === id && m.level === 20).map((m) => String(m.msg));
}

async function failedLoad(): Promise<void> {
  await assert.rejects((testHelper.getNode('model') as unknown as ModelConfigNode).ready());
}

describe('a missing or broken model, on the nodes that depend on it', function () {
  this.timeout(30000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dependents-'));
  afterEach(() => testHelper.unload());
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [what, file, expected] of [
    ['a missing file', path.join(dir, 'missing.onnx'), /^the model file \S+missing\.onnx does not exist$/i],
    ['a file that is no model', path.join(dir, 'notes.onnx'), /^the file is not an ONNX model \(protobuf decoding failed/i],
    ['a path whose ${VARIABLE} is unset', '${EDGE_MLOPS_TEST_UNSET_DIR}/x.onnx', /^the model path uses \$\{EDGE_MLOPS_TEST_UNSET_DIR\}, but the environment variable/i],
  ] as const) {
    it(`${what}: red status on every dependent node and one error logged at deploy`, async () => {
      fs.writeFileSync(path.join(dir, 'notes.onnx'), 'not a model');
      await testHelper.load(nodes, pipeline(file));
      await failedLoad();
      for (const id of DEPENDENTS) {
        const last = statusesOf(id).at(-1);
        assert.equal(last?.fill, 'red', `${id}: ${JSON.stringify(statusesOf(id))}`);
        assert.match(last!.text!, expected, `${id}: ${last!.text}`);
      }
      assert.deepEqual(statusesOf('unrelated').filter((s) => s.fill === 'red'), []);
      const logged = errorsOf('model');
      assert.equal(logged.length, 1, JSON.stringify(logged));
      assert.match(logged[0]!, /cannot be loaded: .* \(used by: mlops-image, mlops-infer, mlops-segment, mlops-classify, mlops-condition, mlops-tensor\)$/);
    });
  }

  it('a model that loads leaves the dependents alone and logs no error', async () => {
    await testHelper.load(nodes, pipeline(convModel()));
    await (testHelper.getNode('model') as unknown as ModelConfigNode).ready();
    for (const id of DEPENDENTS) assert.deepEqual(statusesOf(id).filter((s) => s.fill === 'red'), [], id);
    assert.deepEqual(errorsOf('model'), []);
  });
});
