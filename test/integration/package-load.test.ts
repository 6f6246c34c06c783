// The built package, installed into a real Node-RED runtime: every node loads with its editor, help,
// message catalog, icon and examples found where Node-RED looks for them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startRuntimeProcess, getJson, type RuntimeProcess } from '../helpers/runtime-process';
import { repoRoot } from '../helpers/flow';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const moduleName: string = pkg.name;
const types = Object.keys(pkg['node-red'].nodes as Record<string, string>);

describe('package loaded in a real Node-RED runtime', function () {
  this.timeout(60000);
  let runtime: RuntimeProcess;
  before(async () => { runtime = await startRuntimeProcess(); });
  after(async () => { await runtime?.stop(); });

  it('registers every node set of package.json without errors', async () => {
    const nodes = await getJson<{ id: string; module: string; types: string[]; enabled: boolean; err?: string }[]>(`${runtime.url}/nodes`);
    const ours = nodes.filter((n) => n.module === moduleName);
    assert.deepEqual(ours.map((n) => n.types).flat().sort(), [...types].sort());
    for (const set of ours) assert.equal(set.err, undefined, `${set.id}: ${set.err}`);
    assert.ok(ours.every((n) => n.enabled));
  });

  it('serves each editor definition and its help text', async () => {
    const res = await fetch(`${runtime.url}/nodes`, { headers: { accept: 'text/html' } });
    const html = await res.text();
    for (const type of types) {
      assert.match(html, new RegExp(`registerType\\(\\s*['"]${type}['"]`), `${type} editor definition`);
      assert.match(html, new RegExp(`data-help-name="${type}"`), `${type} help text`);
    }
  });

  it('serves each message catalog from locales/en-US', async () => {
    for (const type of types) {
      const catalog = await getJson<Record<string, unknown>>(`${runtime.url}/locales/${moduleName}/${type}?lng=en-US`);
      assert.ok(catalog[type], `${type} catalog has its "${type}" section`);
    }
  });

  it('serves each node icon', async () => {
    const html = await (await fetch(`${runtime.url}/nodes`, { headers: { accept: 'text/html' } })).text();
    const icons = new Set([...html.matchAll(/icon\s*:\s*["']([\w.-]+\.svg)["']/g)].map((m) => m[1]));
    assert.ok(icons.size > 0);
    for (const icon of icons) {
      const res = await fetch(`${runtime.url}/icons/${moduleName}/${icon}`);
      assert.equal(res.status, 200, `icon ${icon}`);
      assert.match(res.headers.get('content-type') ?? '', /svg/);
    }
  });

  it('lists the example flows under Import ▸ Examples', async () => {
    const expected = fs.readdirSync(path.join(repoRoot, 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    // Node-RED 4 serves the examples library as "examples" and lists entries as [{fn: name}].
    const listing = await getJson<{ fn?: string }[]>(`${runtime.url}/library/examples/flows/${moduleName}`);
    assert.deepEqual(listing.map((entry) => entry.fn).sort(), expected.sort());
  });
});
