// A packed flow installed the way thin-edge's stock nodered-flows plugin installs it (POST /flows, API v2, full
// deployment, no rev) into a real Node-RED runtime, and listed the way that plugin lists it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { packageNodeTypes } from '../../bin/commands/flow';
import { parseFlowText } from '../../lib/flows/flow-json';
import { packFlows } from '../../lib/flows/pack';
import { freePort } from '../../tools/free-port';
import { repoRoot } from '../helpers/flow';
import { startRuntimeProcess, type RuntimeProcess } from '../helpers/runtime-process';
import { exportFlows, stockInstall, stockList } from '../helpers/stock-nodered-plugin';

describe('flow pack, installed by the stock nodered-flows plugin', function () {
  this.timeout(60000);
  let runtime: RuntimeProcess;
  const example = fs.readFileSync(path.join(repoRoot, 'examples', 'tedge-telemetry.json'), 'utf8');
  const pack = (text: string, version: string) => JSON.stringify(packFlows(parseFlowText(text), { name: 'telemetry', version, packageTypes: packageNodeTypes() }).flows);

  before(async () => {
    runtime = await startRuntimeProcess(undefined, { TEDGE_MQTT_HOST: '127.0.0.1', TEDGE_MQTT_PORT: String(await freePort()) });
  });
  after(async () => { await runtime?.stop(); });

  it('lists the version it was installed with, also when re-packed from an export of an installed flow', async () => {
    assert.equal((await stockInstall(runtime.url, 'telemetry', '1.0.0', pack(example, '1.0.0'))).status, 200);
    assert.equal(await stockList(runtime.url), 'telemetry\t1.0.0\n');

    // A user exports the running flow, edits it and ships it again as 2.0.0.
    const exported = JSON.stringify(await exportFlows(runtime.url));
    assert.match(exported, /MODULE_VERSION/);
    assert.equal((await stockInstall(runtime.url, 'telemetry', '2.0.0', exported)).status, 200);
    assert.equal(await stockList(runtime.url), 'telemetry\t1.0.0\n', 'unpacked, the stale entry wins (why pack strips it)');

    assert.equal((await stockInstall(runtime.url, 'telemetry', '2.0.0', pack(exported, '2.0.0'))).status, 200);
    assert.equal(await stockList(runtime.url), 'telemetry\t2.0.0\n');
    const installed = await exportFlows(runtime.url);
    const tab = installed.find((n) => n.type === 'tab')!;
    assert.deepEqual(tab.env!.map((e) => e.name), ['MLOPS_PACKAGE', 'MODULE_NAME', 'MODULE_VERSION']);
    assert.equal(installed.find((n) => n.type === 'mlops-c8y')!.proxyUrl, '', 'the proxy comes from the device env');
  });

  it('lists each tab by its first MODULE_NAME, or its label when it has none, one line per name', async () => {
    const twoTabs = JSON.parse(pack(example, '3.0.0')) as any[];
    twoTabs.push({ id: 'second', type: 'tab', label: 'second tab', env: [] });
    assert.equal((await stockInstall(runtime.url, 'telemetry', '3.0.0', JSON.stringify(twoTabs))).status, 200);
    assert.equal(await stockList(runtime.url), 'telemetry\t3.0.0\n');

    const res = await fetch(`${runtime.url}/flow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: 'made by hand', nodes: [] }) });
    assert.equal(res.status, 200);
    const { rev } = (await (await fetch(`${runtime.url}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } })).json()) as { rev: string };
    assert.equal(await stockList(runtime.url), `made by hand\t${rev.slice(0, 8)}\ntelemetry\t3.0.0\n`);
  });
});
