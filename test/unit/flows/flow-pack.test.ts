// flow pack: what it strips, rewrites and refuses, on hand-made exports and on the shipped examples.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageNodeTypes } from '../../../bin/commands/flow';
import { NODE_RED_CORE_TYPES } from '../../../lib/flows/core-types';
import { PACKAGE_ENV, parseFlowText, type FlowNode } from '../../../lib/flows/flow-json';
import { packFlows, type PackOptions } from '../../../lib/flows/pack';
import { repoRoot } from '../../helpers/flow';
import { ModelStore } from '../../../lib/model-store';
import { offsetModel, writeDownload } from '../../fixtures/store-models';
import { refusal } from '../../helpers/refusal';

const run = promisify(execFile);
const cli = path.join(repoRoot, 'dist', 'bin', 'edge-mlops.js');
const options: PackOptions = { name: 'vqi', version: '2.0.0', packageTypes: packageNodeTypes() };

function tab(extra: Partial<FlowNode> = {}): FlowNode {
  return { id: 't1', type: 'tab', label: 'inspection', env: [], ...extra };
}
const node = (id: string, type: string, extra: Record<string, unknown> = {}): FlowNode => ({ id, type, z: 't1', x: 1, y: 1, wires: [], ...extra });
const codes = (nodes: FlowNode[], more: Partial<PackOptions> = {}) => packFlows(nodes, { ...options, ...more }).problems.map((p) => `${p.code} ${p.nodeId}`);

describe('flow pack', () => {
  it('knows exactly the node types the installed Node-RED registers', () => {
    const coreDir = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core');
    const registered = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (file.endsWith('.js')) for (const m of fs.readFileSync(file, 'utf8').matchAll(/registerType\(\s*["']([^"']+)["']/g)) registered.add(m[1]!);
      }
    };
    walk(coreDir);
    assert.deepEqual([...registered].sort(), [...NODE_RED_CORE_TYPES].sort());
  });

  it('removes credentials, credential env values and earlier MODULE_NAME/MODULE_VERSION entries', () => {
    const input = [
      tab({ env: [{ name: 'MODULE_NAME', value: 'old', type: 'str' }, { name: 'SITE', value: 'north', type: 'str' }, { name: 'MODULE_VERSION', value: '1.0.0', type: 'str' }, { name: 'KEY', value: 's3cret', type: 'cred' }] }),
      { id: 'g1', type: 'group', z: 't1', env: [{ name: 'MODULE_VERSION', value: '0.9', type: 'str' }] },
      { id: 'b1', type: 'mqtt-broker', broker: '${TEDGE_MQTT_HOST}', port: '${TEDGE_MQTT_PORT}', credentials: { user: 'u', password: 'p' } },
      node('n1', 'inject'),
    ];
    const result = packFlows(input, options);
    assert.deepEqual(result.problems, []);
    const text = JSON.stringify(result.flows);
    for (const secret of ['s3cret', '"password"', '"old"', '1.0.0', '0.9']) assert.ok(!text.includes(secret), `${secret} left in ${text}`);
    const packedTab = result.flows.find((n) => n.id === 't1')!;
    assert.deepEqual(packedTab.env!.map((e) => e.name), ['SITE', 'KEY', PACKAGE_ENV]);
    assert.deepEqual(JSON.parse(String(packedTab.env![2]!.value)), { name: 'vqi', version: '2.0.0', models: [] });
    assert.equal(result.changes.length, 5, result.changes.join('\n'));
    assert.ok(input[2]!.credentials, 'the input is left as it was');
  });

  it('accepts core nodes, this package\'s nodes, subflows in the export and --allow-type; lists the others', () => {
    const flows = [
      tab(), node('a', 'inject'), node('b', 'mlops-infer'), node('c', 'node-red-contrib-foo'),
      { id: 's1', type: 'subflow', name: 'sf', in: [], out: [] }, node('d', 'subflow:s1'), node('e', 'subflow:missing'),
    ];
    assert.deepEqual(codes(flows), ['unknown-node-type c', 'unknown-node-type e']);
    assert.deepEqual(codes(flows, { allowTypes: ['node-red-contrib-foo'] }), ['unknown-node-type e']);
    assert.match(packFlows(flows, options).problems[0]!.message, /--allow-type "node-red-contrib-foo"/);
  });

  it('needs every store: model in the local store or declared, and records them for the next pack', () => {
    const flows = [tab(), { id: 'm1', type: 'mlops-model', path: 'store:vqi-demo@3' }, { id: 'm2', type: 'mlops-model', path: 'store:detector' }, { id: 'm3', type: 'mlops-model', path: 'bundled:vqi-demo.onnx' }];
    assert.deepEqual(codes(flows), ['model-not-available m1', 'model-not-available m2']);
    assert.deepEqual(codes(flows, { declaredModels: [{ name: 'vqi-demo', version: '2' }] }), ['model-not-available m1', 'model-not-available m2']);
    assert.deepEqual(codes(flows, { declaredModels: [{ name: 'vqi-demo', version: '3' }], storeHas: (m) => m.name === 'detector' }), []);
    const first = packFlows(flows, { ...options, declaredModels: [{ name: 'vqi-demo', version: '3' }, { name: 'detector' }] });
    assert.deepEqual(JSON.parse(String(first.flows[0]!.env!.at(-1)!.value)).models, ['vqi-demo@3', 'detector']);
    assert.deepEqual(codes(first.flows), [], 'a packed file re-packs with the models it declared');
    const bad = packFlows([tab(), { id: 'm9', type: 'mlops-model', path: 'store:../etc' }], options).problems;
    assert.deepEqual(bad.map((p) => `${p.code} ${p.nodeId}`), ['model-not-available m9']);
    assert.match(bad[0]!.message, /"\.\.\/etc" is not a valid model name/);
  });

  it('moves loopback broker and proxy settings onto env and refuses fixed addresses', () => {
    const flows = [
      tab(),
      { id: 'b1', type: 'mqtt-broker', broker: 'localhost', port: '1883' },
      { id: 'b2', type: 'mqtt-broker', broker: '10.0.0.7', port: '8883' },
      { id: 'c1', type: 'mlops-c8y', transport: 'thin-edge', mqttHost: '127.0.0.1', mqttPort: 1883, proxyUrl: 'http://127.0.0.1:8001/c8y' },
      { id: 'c2', type: 'mlops-c8y', transport: 'thin-edge', mqttHost: 'tedge.local', proxyUrl: 'http://10.1.1.1:8001/c8y' },
      { id: 'c3', type: 'mlops-c8y', transport: 'cumulocity', tenantUrl: 'https://t.example.com' },
      node('h1', 'http request', { url: 'http://localhost:8000/te/v1/entities' }),
      node('h2', 'http request', { url: 'https://example.com/x' }),
    ];
    const result = packFlows(flows, options);
    assert.deepEqual(result.problems.map((p) => `${p.code} ${p.nodeId}`), [
      'endpoint-not-on-env b2', 'endpoint-not-on-env b2', 'endpoint-not-on-env c2', 'endpoint-not-on-env c2', 'endpoint-not-on-env h1',
    ]);
    const byId = new Map(result.flows.map((n) => [n.id, n]));
    assert.equal(byId.get('b1')!.broker, '${TEDGE_MQTT_HOST}');
    assert.equal(byId.get('b1')!.port, '${TEDGE_MQTT_PORT}');
    assert.deepEqual([byId.get('c1')!.mqttHost, byId.get('c1')!.mqttPort, byId.get('c1')!.proxyUrl], ['', '', '']);
  });

  it('refuses a device topic id that names one device, not the default or an env reference', () => {
    const flows = [
      tab(),
      { id: 'd1', type: 'mlops-c8y', transport: 'thin-edge', deviceTopicId: 'device/gw-7//' },
      { id: 'd2', type: 'mlops-c8y', transport: 'thin-edge', deviceTopicId: 'device/main//' },
      { id: 'd3', type: 'mlops-c8y', transport: 'thin-edge', deviceTopicId: '${DEVICE_TOPIC}' },
      { id: 'd4', type: 'mlops-c8y', transport: 'thin-edge', deviceTopicId: '' },
    ];
    const result = packFlows(flows, options);
    assert.deepEqual(result.problems.map((p) => `${p.code} ${p.nodeId}`), ['endpoint-not-on-env d1']);
    assert.match(result.problems[0]!.message, /device topic id "device\/gw-7\/\/" names one device/);
  });

  it('refuses absolute file paths in node settings, not URL paths, topics, regular expressions, code or env', () => {
    const flows = [
      tab({ env: [{ name: 'INBOX', value: '/data/inbox', type: 'str' }] }),
      node('i1', 'mlops-image', { baseDir: '/data/images' }),
      node('w1', 'watch', { files: '${INBOX}, /var/spool/cam' }),
      node('c1', 'change', { rules: [{ t: 'change', p: 'topic', pt: 'msg', from: '/\\.[^.]+$/', fromt: 're', to: '', tot: 'str' }, { t: 'set', p: 'filename', pt: 'msg', to: '/srv/out.jpg', tot: 'str' }] }),
      node('h1', 'http in', { url: '/vqi/inspect' }),
      node('m1', 'mqtt in', { topic: '/sensors/temp' }),
      node('f1', 'function', { func: 'return { payload: "/etc/passwd" };' }),
      { id: 'm2', type: 'mlops-model', path: '/opt/models/a.onnx' },
      { id: 'ws', type: 'websocket-listener', path: '/ws/vqi' },
      node('c2', 'comment', { info: '/data/whatever' }),
    ];
    const problems = packFlows(flows, options).problems;
    assert.deepEqual(problems.map((p) => `${p.code} ${p.nodeId}`), ['absolute-path i1', 'absolute-path w1', 'absolute-path c1', 'absolute-path m2']);
    assert.match(problems[2]!.message, /rules\[1\]\.to is the absolute path "\/srv\/out\.jpg"/);
  });

  it('refuses what is not a flow export, with the reason', async () => {
    assert.equal((await refusal(() => parseFlowText('{"nodes": []}'))).code, 'not-a-flow-export');
    assert.equal((await refusal(() => parseFlowText('[1, 2]'))).code, 'not-a-flow-export');
    assert.match((await refusal(() => parseFlowText('[{"id":"a"'))).message, /not JSON/);
    assert.equal(parseFlowText('{"rev":"abc","flows":[{"id":"t","type":"tab"}]}').length, 1, 'the v2 Admin API form is accepted');
    assert.equal((await refusal(() => packFlows([{ id: 'b', type: 'mqtt-broker' }], options))).code, 'no-tab');
    assert.match((await refusal(() => packFlows([tab(), { ...node('x', 'inject'), z: 'other-tab' }], options))).message, /not in the export/);
    assert.equal((await refusal(() => packFlows([tab()], { ...options, name: '-rf' }))).code, 'bad-flow-name');
    assert.equal((await refusal(() => packFlows([tab()], { ...options, version: '1 0' }))).code, 'bad-flow-version');
  });

  it('packs the shipped thin-edge, VQI and quantize examples (bundled: model and samples, no absolute paths)', () => {
    for (const example of ['tedge-telemetry', 'vqi-inspection', 'quantize-model']) {
      const flows = parseFlowText(fs.readFileSync(path.join(repoRoot, 'examples', `${example}.json`), 'utf8'));
      assert.deepEqual(packFlows(flows, options).problems, [], example);
    }
  });

  describe('command line', () => {
    let dir: string;
    before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-pack-')); });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('writes the packed file, or exits 1 with the list of problems and writes nothing', async () => {
      const good = path.join(dir, 'good.json');
      fs.writeFileSync(good, JSON.stringify([tab(), node('n', 'inject'), { id: 'm', type: 'mlops-model', path: 'store:vqi@1' }]));
      const out = path.join(dir, 'packed.json');
      const { stderr } = await run(process.execPath, [cli, 'flow', 'pack', good, '--name', 'vqi', '--version', '1.1.0', '--model', 'vqi@1', '--output', out]);
      assert.match(stderr, /wrote .*vqi 1\.1\.0, 3 nodes, needs models vqi@1/);
      assert.equal(parseFlowText(fs.readFileSync(out, 'utf8')).length, 3);

      const bad = path.join(dir, 'bad.json');
      fs.writeFileSync(bad, JSON.stringify([tab(), node('n', 'node-red-contrib-x'), node('i', 'mlops-image', { baseDir: '/data' })]));
      const failed = await run(process.execPath, [cli, 'flow', 'pack', bad, '--name', 'vqi', '--version', '1', '--output', path.join(dir, 'never.json')]).then(() => undefined, (err) => err);
      assert.equal(failed?.code, 1);
      assert.match(failed.stderr, /2 problem\(s\):\n {2}- \[unknown-node-type\].*\n {2}- \[absolute-path\]/);
      assert.ok(!fs.existsSync(path.join(dir, 'never.json')));
    });

    it('finds store: models in the model store given with --model-store', async () => {
      const store = new ModelStore(path.join(dir, 'store'));
      await store.install('offset', '1', writeDownload(dir, 'offset_1', offsetModel(1)));
      const flow = (spec: string) => {
        const file = path.join(dir, `uses-${spec.replace(/\W/g, '_')}.json`);
        fs.writeFileSync(file, JSON.stringify([tab(), { id: 'm', type: 'mlops-model', path: spec }]));
        return run(process.execPath, [cli, 'flow', 'pack', file, '--name', 'f', '--version', '1', '--model-store', store.root]).then(() => 0, (err) => err.code as number);
      };
      assert.equal(await flow('store:offset'), 0);
      assert.equal(await flow('store:offset@1'), 0);
      assert.equal(await flow('store:offset@2'), 1);
      assert.equal(await flow('store:other'), 1);
    });

    it('exits 2 with the usage for missing arguments', async () => {
      const failed = await run(process.execPath, [cli, 'flow', 'pack', 'x.json']).then(() => undefined, (err) => err);
      assert.equal(failed?.code, 2);
      assert.match(failed.stderr, /--name and --version are required[\s\S]*usage: edge-mlops flow pack/);
    });
  });
});
