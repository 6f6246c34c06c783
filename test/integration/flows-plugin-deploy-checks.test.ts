// mlops-flows against real Node-RED runtimes: a module whose nodes fail while starting is rolled back (seen on the
// editor comms), admin auth by token (adminAuth with a user), and a real rev conflict (409) retried once.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FlowNode } from '../../lib/flows/flow-json';
import { FlowModules } from '../../lib/flows/flow-modules';
import { NodeRedAdmin } from '../../lib/flows/node-red-admin';
import { freePort } from '../../tools/free-port';
import { repoRoot } from '../helpers/flow';
import { Mosquitto } from '../helpers/mosquitto';
import { startRuntimeProcess, type RuntimeProcess } from '../helpers/runtime-process';
import { exportFlows } from '../helpers/stock-nodered-plugin';

const CLI = path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js');

/** A module whose GET /<route> answers `answer`, plus `extra` nodes on its tab. */
function moduleFlow(tab: string, route: string, answer: string, extra: FlowNode[] = [], first = `${tab}-answer`): FlowNode[] {
  return [
    { id: tab, type: 'tab', label: `${route} ${answer}` },
    { id: `${tab}-in`, type: 'http in', z: tab, url: `/${route}`, method: 'get', x: 100, y: 100, wires: [[first]] },
    { id: `${tab}-answer`, type: 'change', z: tab, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: answer, tot: 'str' }], x: 300, y: 100, wires: [[`${tab}-out`]] },
    { id: `${tab}-out`, type: 'http response', z: tab, x: 500, y: 100, wires: [] },
    ...extra,
  ];
}

interface Run { code: number; stdout: string; stderr: string }

function pluginRunner(runtime: () => RuntimeProcess, dir: string, env: Record<string, string> = {}) {
  return (...args: string[]) => new Promise<Run>((resolve) => {
    execFile(process.execPath, [CLI, 'flows-plugin', ...args], {
      env: { ...process.env, EDGE_MLOPS_NODE_RED_API: runtime().url, EDGE_MLOPS_FLOW_STORE: path.join(dir, 'flows'), EDGE_MLOPS_FLOW_START_TIMEOUT: '20', ...env },
    }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }));
  });
}

/** Packs `nodes` with edge-mlops flow pack, as a release would be built. */
function pack(dir: string, name: string, version: string, nodes: FlowNode[]): Promise<string> {
  const source = path.join(dir, `${name}-${version}-export.json`);
  const output = path.join(dir, `${name}-${version}.json`);
  fs.writeFileSync(source, JSON.stringify(nodes));
  return new Promise((resolve, reject) => execFile(process.execPath, [CLI, 'flow', 'pack', source, '--name', name, '--version', version, '--output', output],
    (err, _stdout, stderr) => (err ? reject(new Error(`flow pack: ${stderr}`)) : resolve(output))));
}

async function answerOf(url: string): Promise<string> {
  const res = await fetch(url);
  return `${res.status} ${await res.text()}`;
}

describe('mlops-flows: nodes that fail while starting', function () {
  this.timeout(120000);
  let runtime: RuntimeProcess;
  let dir: string;
  let plugin: ReturnType<typeof pluginRunner>;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-deploy-checks-'));
    runtime = await startRuntimeProcess(undefined, { TEDGE_MQTT_PORT: String(await freePort()) });
    plugin = pluginRunner(() => runtime, dir);
    const v1 = await plugin('install', 'alpha', '--module-version', '1.0', '--file', await pack(dir, 'alpha', '1.0', moduleFlow('ta', 'alpha', 'v1')));
    assert.equal(v1.code, 0, v1.stderr);
    assert.equal(await answerOf(`${runtime.url}/alpha`), '200 v1');
  });
  after(async () => { await runtime?.stop(); if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('a model node whose file is missing fails the install; the previous version is active again and runs', async () => {
    const broken = moduleFlow('ta2', 'alpha', 'v2', [
      { id: 'ta2-model', type: 'mlops-model', name: 'line model', path: 'models/not-copied.onnx', workers: 1 },
      { id: 'ta2-infer', type: 'mlops-infer', z: 'ta2', model: 'ta2-model', x: 300, y: 200, wires: [['ta2-answer']] },
    ], 'ta2-infer');
    const run = await plugin('install', 'alpha', '--module-version', '2.0', '--file', await pack(dir, 'alpha', '2.0', broken));
    assert.equal(run.code, 2, `exit code; stdout: ${run.stdout}`);
    assert.match(run.stderr, /alpha 2\.0: \d+ problems? while starting:/);
    assert.match(run.stderr, /- ta2-model mlops-model "line model": .*not-copied\.onnx/);
    assert.match(run.stderr, /the previous flows were restored and started/);
    assert.doesNotMatch(run.stderr, /are not checked/);
    assert.equal((await plugin('list')).stdout, 'alpha\t1.0\n');
    assert.equal(await answerOf(`${runtime.url}/alpha`), '200 v1', 'version 1.0 serves again');
    const tabs = (await exportFlows(runtime.url)).filter((n) => n.type === 'tab').map((t) => t.id);
    assert.deepEqual(tabs, ['ta']);
  });

  it('a function node that reports an error in On Start fails the install, with its id, type and name', async () => {
    const broken = moduleFlow('ta3', 'alpha', 'v3', [
      { id: 'ta3-fn', type: 'function', z: 'ta3', name: 'open scanner', func: 'return msg;', outputs: 1, initialize: 'node.error("scanner /dev/ttyS9 not found");', finalize: '', libs: [], x: 300, y: 200, wires: [[]] },
    ]);
    const run = await plugin('install', 'alpha', '--module-version', '3.0', '--file', await pack(dir, 'alpha', '3.0', broken));
    assert.equal(run.code, 2, `exit code; stdout: ${run.stdout}`);
    assert.match(run.stderr, /- ta3-fn function "open scanner": scanner \/dev\/ttyS9 not found/);
    assert.equal((await plugin('list')).stdout, 'alpha\t1.0\n');
    assert.equal(await answerOf(`${runtime.url}/alpha`), '200 v1');
  });

  it('waits while an mqtt in node connects; a broker that refuses is no flow defect: installed, named as still connecting', async () => {
    const broker = await Mosquitto.start();
    try {
      const mqttModule = (tab: string, port: number) => JSON.stringify([
        { id: tab, type: 'tab', label: `mqtt ${port}` },
        { id: `${tab}-broker`, type: 'mqtt-broker', name: 'line broker', broker: '127.0.0.1', port: String(port), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
        { id: `${tab}-in`, type: 'mqtt in', z: tab, name: 'readings', topic: 'line/readings', qos: '0', datatype: 'auto-detect', broker: `${tab}-broker`, inputs: 0, x: 100, y: 100, wires: [[]] },
      ]);
      const write = (name: string, text: string) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f; };
      // Ends at the "connected" status (the mqtt node shows disconnected, then connecting, then connected), well
      // before the 10 s settle timeout: nothing is named as still connecting.
      const good = await plugin('install', 'mq', '--module-version', '1.0', '--file', write('mq-1.json', mqttModule('tm1', broker.port)));
      assert.equal(good.code, 0, good.stderr);
      assert.equal(good.stderr, '');
      assert.equal(good.stdout, 'mlops-flows: installed mq 1.0\n');
      // A refused connection: Node-RED's mqtt node retries and stays "connecting", it does not turn red. Connection
      // state is the device's, not the flow's: the install goes through after the settle timeout and says so.
      const patient = pluginRunner(() => runtime, dir, { EDGE_MLOPS_FLOW_SETTLE_TIMEOUT: '2' });
      const refused = await patient('install', 'mq', '--module-version', '2.0', '--file', write('mq-2.json', mqttModule('tm2', await freePort())));
      assert.equal(refused.code, 0, refused.stderr);
      assert.match(refused.stdout, /installed mq 2\.0 \(still loading or connecting after 2 s: tm2-in mqtt in "node-red:common\.status\.connecting"\)/);
      assert.equal((await plugin('remove', 'mq')).code, 0);
    } finally {
      await broker.dispose();
    }
  });

  it('a module whose nodes start cleanly installs (the check does not refuse good flows)', async () => {
    const run = await plugin('install', 'alpha', '--module-version', '4.0', '--file', await pack(dir, 'alpha', '4.0', moduleFlow('ta4', 'alpha', 'v4')));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.equal(await answerOf(`${runtime.url}/alpha`), '200 v4');
  });
});

describe('mlops-flows: admin auth by token, and a real rev conflict', function () {
  this.timeout(120000);
  // bcrypt of "flows-admin-secret" (cost 8): adminAuth keeps password hashes, never passwords.
  const adminAuth = { type: 'credentials', users: [{ username: 'deployer', password: '$2b$08$/KUXtA8Tl6KjzT4vL9A9guYSdAunln7BI1QAAVc.uzaYtzvFM9xtC', permissions: '*' }] };
  let runtime: RuntimeProcess;
  let dir: string;
  let token: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-auth-'));
    runtime = await startRuntimeProcess(undefined, { TEDGE_MQTT_PORT: String(await freePort()), EDGE_MLOPS_TEST_SETTINGS: JSON.stringify({ adminAuth }) });
    const res = await fetch(`${runtime.url}/auth/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'deployer', password: 'flows-admin-secret' }),
    });
    assert.equal(res.status, 200, 'POST /auth/token');
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  after(async () => { await runtime?.stop(); if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('lists, installs and removes with the token; node errors are still seen through the authenticated comms', async () => {
    const plugin = pluginRunner(() => runtime, dir, { EDGE_MLOPS_NODE_RED_TOKEN: token });
    const v1 = await plugin('install', 'beta', '--module-version', '1.0', '--file', await pack(dir, 'beta', '1.0', moduleFlow('tb', 'beta', 'b1')));
    assert.equal(v1.code, 0, v1.stderr);
    assert.equal(v1.stderr, '', 'the comms accepted the token (no "not checked" notice)');
    assert.equal((await plugin('list')).stdout, 'beta\t1.0\n');
    const broken = await plugin('install', 'beta', '--module-version', '2.0', '--file', await pack(dir, 'beta', '2.0', moduleFlow('tb2', 'beta', 'b2', [
      { id: 'tb2-fn', type: 'function', z: 'tb2', func: 'return msg;', outputs: 1, initialize: 'node.error("no licence key");', finalize: '', libs: [], x: 300, y: 200, wires: [[]] },
    ])));
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /- tb2-fn function: no licence key/);
    assert.equal(await answerOf(`${runtime.url}/beta`), '200 b1', 'http routes are not behind adminAuth; 1.0 serves again');
    const removed = await plugin('remove', 'beta');
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await plugin('list')).stdout, '');
  });

  it('says the token is wrong, for list and install, and changes nothing', async () => {
    const before = await exportFlows(runtime.url, { Authorization: `Bearer ${token}` });
    for (const [label, env] of [['wrong token', { EDGE_MLOPS_NODE_RED_TOKEN: 'not-a-token' }], ['no token', {}]] as const) {
      const plugin = pluginRunner(() => runtime, dir, env);
      const list = await plugin('list');
      assert.equal(list.code, 2, `${label}: list exits non-zero`);
      assert.match(list.stderr, label === 'wrong token' ? /refused the admin token .*HTTP 401.*POST \/auth\/token/ : /HTTP 401: adminAuth is on, set an admin token/);
      const install = await plugin('install', 'gamma', '--module-version', '1', '--file', await pack(dir, 'gamma', '1', moduleFlow('tg', 'gamma', 'g1')));
      assert.equal(install.code, 2, `${label}: install exits non-zero`);
      assert.match(install.stderr, /HTTP 401/);
    }
    assert.deepEqual(await exportFlows(runtime.url, { Authorization: `Bearer ${token}` }), before);
  });

  it('re-reads once when another deploy lands between its GET and POST (HTTP 409), keeping that deploy\'s tabs', async () => {
    const posts: number[] = [];
    // The real Admin API; the only addition: right after the plugin's first GET, someone else deploys a new tab.
    class RacedAdmin extends NodeRedAdmin {
      override async getFlows() {
        const read = await super.getFlows();
        if (posts.length === 0 && !raced) {
          raced = true;
          const res = await fetch(`${runtime.url}/flow`, { method: 'POST', headers: { 'content-type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ label: 'deployed meanwhile', nodes: [] }) });
          assert.equal(res.status, 200);
        }
        return read;
      }
      override async setFlows(rev: string, flows: FlowNode[]) {
        const answer = await super.setFlows(rev, flows);
        posts.push(answer === undefined ? 409 : 200);
        return answer;
      }
    }
    let raced = false;
    const admin = new RacedAdmin({ api: runtime.url, token, timeoutMs: 10000 });
    const modules = new FlowModules({ dir: path.join(dir, 'raced'), admin, startTimeoutMs: 20000, settleTimeoutMs: 5000 });
    const file = await pack(dir, 'delta', '1.0', moduleFlow('td', 'delta', 'd1'));
    assert.equal(await modules.install('delta', '1.0', file), 'installed delta 1.0');
    assert.deepEqual(posts, [409, 200], 'the stale POST got 409, the re-read one went through');
    const tabs = (await exportFlows(runtime.url, { Authorization: `Bearer ${token}` })).filter((n) => n.type === 'tab').map((t) => String(t.label)).sort();
    assert.deepEqual(tabs, ['delta d1', 'deployed meanwhile']);
    assert.equal(await answerOf(`${runtime.url}/delta`), '200 d1');
  });
});
