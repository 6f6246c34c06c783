// What thin-edge's stock `nodered-flows` plugin (thin-edge/tedge-nodered-plugin, cli/nodered_flow) does against
// Node-RED's Admin API, written from its behaviour so tests can install packed files the way a device does:
// install appends MODULE_NAME/MODULE_VERSION to every tab's env and POSTs the whole array, v2, full, without rev
// or credentials; list reads the first MODULE_NAME/MODULE_VERSION of each tab (else label and rev), one line per
// name, sorted.
import type { FlowNode } from '../../lib/flows/flow-json';

const HEADERS = { 'Node-RED-API-Version': 'v2', 'Content-Type': 'application/json' };

export async function stockInstall(api: string, moduleName: string, moduleVersion: string, fileText: string): Promise<{ status: number; body: any }> {
  const nodes = JSON.parse(fileText) as FlowNode[];
  if (!Array.isArray(nodes) || !nodes.some((n) => n.type === 'tab')) throw new Error('the stock plugin fails: no tab in a JSON array');
  for (const node of nodes) {
    if (node.type !== 'tab') continue;
    node.env = [...(node.env ?? []), { name: 'MODULE_NAME', value: moduleName, type: 'str' }, { name: 'MODULE_VERSION', value: moduleVersion, type: 'str' }];
  }
  const res = await fetch(`${api}/flows`, {
    method: 'POST', headers: { ...HEADERS, 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify({ flows: nodes }),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

export async function stockList(api: string): Promise<string> {
  const res = await fetch(`${api}/flows`, { headers: HEADERS });
  const { rev, flows } = (await res.json()) as { rev: string; flows: FlowNode[] };
  const byName = new Map<string, string>();
  for (const tab of flows.filter((n) => n.type === 'tab')) {
    const env = (tab.env ?? []) as { name: string; value: string }[];
    const name = env.find((e) => e.name === 'MODULE_NAME')?.value ?? String(tab.label);
    const version = env.find((e) => e.name === 'MODULE_VERSION')?.value ?? rev.slice(0, 8);
    byName.set(name, version);
  }
  return [...byName.keys()].sort().map((name) => `${name}\t${byName.get(name)}\n`).join('');
}

/** GET /flows as the editor's "export all flows" gives it: the node array. */
export async function exportFlows(api: string, headers: Record<string, string> = {}): Promise<FlowNode[]> {
  const res = await fetch(`${api}/flows`, { headers: { 'Node-RED-API-Version': 'v1', ...headers } });
  return (await res.json()) as FlowNode[];
}
