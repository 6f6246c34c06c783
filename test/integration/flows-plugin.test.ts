// The mlops-flows plugin: flows as modules on a real Node-RED (other modules and hand-made tabs stay), versions kept
// for rollback, refusals; the start check and rev retry with a scripted Admin API.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FlowNode } from '../../lib/flows/flow-json';
import { FlowModules } from '../../lib/flows/flow-modules';
import type { NodeRedAdmin } from '../../lib/flows/node-red-admin';
import { freePort } from '../../tools/free-port';
import { repoRoot } from '../helpers/flow';
import { refusal } from '../helpers/refusal';
import { startRuntimeProcess, type RuntimeProcess } from '../helpers/runtime-process';
import { exportFlows } from '../helpers/stock-nodered-plugin';

const CLI = path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js');
const moduleFile = (tabId: string, label: string, extra: object[] = []) => JSON.stringify([
  { id: tabId, type: 'tab', label, env: [{ name: 'SITE', value: 'north', type: 'str' }] },
  { id: `${tabId}-inject`, type: 'inject', z: tabId, x: 100, y: 100, wires: [[`${tabId}-debug`]] },
  { id: `${tabId}-debug`, type: 'debug', z: tabId, x: 300, y: 100, wires: [] },
  ...extra,
]);

describe('mlops-flows plugin', function () {
  this.timeout(120000);
  let runtime: RuntimeProcess;
  let dir: string;
  const plugin = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, 'flows-plugin', ...args], { env: { ...process.env, EDGE_MLOPS_NODE_RED_API: runtime.url, EDGE_MLOPS_FLOW_STORE: path.join(dir, 'flows'), EDGE_MLOPS_FLOW_START_TIMEOUT: '10' } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }));
  });
  const file = (name: string, text: string) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f; };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-plugin-'));
    runtime = await startRuntimeProcess(undefined, { TEDGE_MQTT_PORT: String(await freePort()) });
  });
  after(async () => { await runtime?.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

  it('installs modules side by side, replaces only the module\'s tabs, refuses missing node types, rolls back on remove', async () => {
    const res = await fetch(`${runtime.url}/flow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: 'by hand', nodes: [] }) });
    assert.equal(res.status, 200);
    assert.equal((await plugin('install', 'alpha', '--module-version', '1.0', '--file', file('a1', moduleFile('ta', 'alpha v1')))).code, 0);
    assert.equal((await plugin('install', 'beta', '--module-version', '1.0', '--file', file('b1', moduleFile('tb', 'beta')))).code, 0);
    assert.equal((await plugin('list')).stdout, 'alpha\t1.0\nbeta\t1.0\n');
    const a2 = await plugin('install', 'alpha', '--module-version', '2.0', '--file', file('a2', moduleFile('ta2', 'alpha v2')));
    assert.equal(a2.code, 0, a2.stderr);
    let flows = await exportFlows(runtime.url);
    assert.deepEqual(flows.filter((n) => n.type === 'tab').map((t) => t.label).sort(), ['alpha v2', 'beta', 'by hand']);
    assert.ok(!flows.some((n) => n.z === 'ta'), 'the old version\'s nodes are gone');
    const tab = flows.find((n) => n.id === 'ta2')!;
    assert.deepEqual(tab.env!.map((e) => `${e.name}=${String(e.value)}`), ['MODULE_NAME=alpha', 'MODULE_VERSION=2.0', 'SITE=north']);

    const missing = await plugin('install', 'alpha', '--module-version', '3.0', '--file', file('a3', moduleFile('ta3', 'alpha v3', [{ id: 'x', type: 'node-red-contrib-nope', z: 'ta3', x: 1, y: 1, wires: [] }])));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs node types this Node-RED does not have: node-red-contrib-nope/);
    const clash = await plugin('install', 'gamma', '--module-version', '1', '--file', file('g1', moduleFile('tb', 'gamma')));
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /has the id of tab "?.*\(tb\), which belongs to another flow/);
    assert.equal((await plugin('list')).stdout, 'alpha\t2.0\nbeta\t1.0\n');

    const removed = await plugin('remove', 'alpha', '--module-version', '2.0');
    assert.match(removed.stdout, /rolled back to 1\.0/);
    assert.equal((await plugin('list')).stdout, 'alpha\t1.0\nbeta\t1.0\n');
    assert.equal((await plugin('remove', 'alpha')).code, 0);
    flows = await exportFlows(runtime.url);
    assert.deepEqual(flows.filter((n) => n.type === 'tab').map((t) => t.label).sort(), ['beta', 'by hand']);
    assert.equal((await plugin('update-list')).code, 1, 'update-list: not supported, thin-edge goes module by module');
  });

  it('link writes the executable thin-edge calls, with the settings baked in (sudo resets the environment)', async () => {
    const pluginDir = fs.mkdtempSync(path.join(dir, 'sm-plugins-'));
    assert.equal((await plugin('link', '--dir', pluginDir)).code, 0);
    const executable = path.join(pluginDir, 'mlops-flows');
    const listed = await new Promise<string>((resolve, reject) => {
      execFile(executable, ['list'], { env: {} }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    assert.equal(listed, 'beta\t1.0\n');
    fs.writeFileSync(path.join(pluginDir, 'other'), 'x');
    assert.equal((await plugin('link', '--dir', pluginDir, '--remove')).code, 0);
    assert.ok(!fs.existsSync(executable));
  });

  it('lists nothing and exits 0 while Node-RED is down', async () => {
    const down = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'flows-plugin', 'list'], { env: { ...process.env, EDGE_MLOPS_NODE_RED_API: 'http://127.0.0.1:9' } }, (err, stdout) => resolve({ code: err ? 1 : 0, stdout }));
    });
    assert.deepEqual(down, { code: 0, stdout: '' });
  });
});

describe('mlops-flows: start check and rev handling', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-modules-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** An Admin API that answers as scripted and records the deployments. */
  function scripted(states: string[], conflicts = 0) {
    const deployed: FlowNode[][] = [];
    let flows: FlowNode[] = [{ id: 'old', type: 'tab', label: 'old', env: [] }];
    const admin = {
      async getFlows() { return { rev: `r${deployed.length}`, flows }; },
      async setFlows(_rev: string, next: FlowNode[]) {
        if (conflicts-- > 0) return undefined;
        deployed.push(next);
        flows = next;
        return `r${deployed.length}`;
      },
      async nodeTypes() { return new Set(['inject', 'debug']); },
      async flowsState() { return states.shift() ?? 'stop'; },
      // No editor comms here: the plugin falls back to polling GET /flows/state.
      async events() { throw new Error('no comms in this scripted API'); },
    };
    return { admin: admin as unknown as NodeRedAdmin, deployed };
  }

  it('puts the previous flows back when the new ones do not start, and keeps the active version', async () => {
    const { admin, deployed } = scripted(['stop', 'stop', 'stop']);
    const modules = new FlowModules({ dir, admin, startTimeoutMs: 50, settleTimeoutMs: 50, pollMs: 10 });
    const f = path.join(dir, 'f.json');
    fs.writeFileSync(f, moduleFile('t1', 'new'));
    const { code, message } = await refusal(modules.install('alpha', '1.0', f));
    assert.equal(code, 'flow-start-failed');
    assert.match(message, /did not start within 0\.05 s \(state "stop"\); the previous flows were restored but did not start/);
    assert.deepEqual(deployed.at(-1)!.map((n) => n.id), ['old']);
    assert.ok(!fs.existsSync(path.join(dir, 'alpha', 'active.json')), 'not recorded as active');
  });

  it('builds on the flows of whoever deployed in between when Node-RED answers 409', async () => {
    const { admin, deployed } = scripted(['start'], 1);
    const modules = new FlowModules({ dir, admin, startTimeoutMs: 1000, settleTimeoutMs: 1000 });
    const f = path.join(dir, 'f.json');
    fs.writeFileSync(f, moduleFile('t1', 'new'));
    assert.equal(await modules.install('alpha', '1.0', f), 'installed alpha 1.0');
    assert.equal(deployed.length, 1);
    assert.deepEqual(deployed[0]!.map((n) => n.id), ['old', 't1', 't1-inject', 't1-debug']);
  });
});
