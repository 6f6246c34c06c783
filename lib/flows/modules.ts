// Flows as modules on one Node-RED instance: the tabs whose first MODULE_NAME is the module, their nodes, and the
// config nodes the module's file brought. Replacing or removing one module leaves the other tabs as they are.
import { PipelineError } from '../errors';
import { MODULE_NAME, MODULE_VERSION, describeNode, firstEnv, tabsOf, type FlowNode } from './flow-json';

export interface FlowModule { name: string; version: string; tabs: string[] }

/** Modules on the instance: tabs carrying a MODULE_NAME (first entry wins, as thin-edge's plugin reads it). */
export function flowModules(nodes: readonly FlowNode[]): FlowModule[] {
  const modules = new Map<string, FlowModule>();
  for (const tab of tabsOf(nodes)) {
    const name = firstEnv(tab, MODULE_NAME);
    if (name === undefined) continue;
    const entry = modules.get(name) ?? { name, version: firstEnv(tab, MODULE_VERSION) ?? '', tabs: [] };
    entry.tabs.push(tab.id);
    modules.set(name, entry);
  }
  return [...modules.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function withoutModule(nodes: readonly FlowNode[], name: string): FlowNode[] {
  const tabs = new Set(flowModules(nodes).find((m) => m.name === name)?.tabs ?? []);
  return nodes.filter((n) => !tabs.has(n.id) && !(typeof n.z === 'string' && tabs.has(n.z)));
}

/** The instance's nodes with module `name` replaced by the packed file's nodes, stamped with name and version. */
export function replaceModule(current: readonly FlowNode[], name: string, version: string, packed: readonly FlowNode[]): FlowNode[] {
  if (tabsOf(packed).length === 0) throw new PipelineError('no-tab', `the flow file of ${name} holds no flow tab`, {});
  const kept = withoutModule(current, name);
  const keptById = new Map(kept.map((n) => [n.id, n]));
  const result = [...kept];
  for (const original of packed) {
    const node: FlowNode = structuredClone(original);
    const clash = keptById.get(node.id);
    if (clash && (node.type === 'tab' || typeof node.z === 'string' || typeof clash.z === 'string')) {
      throw new PipelineError('flow-id-collision', `${describeNode(node)} of ${name} has the id of ${describeNode(clash)}, which belongs to another flow on this Node-RED; re-export one of them with new ids (Import, "copy")`, { name, id: node.id });
    }
    if (node.type === 'tab') {
      const env = (node.env ?? []).filter((e) => e?.name !== MODULE_NAME && e?.name !== MODULE_VERSION);
      node.env = [{ name: MODULE_NAME, value: name, type: 'str' }, { name: MODULE_VERSION, value: version, type: 'str' }, ...env];
    }
    if (clash) result[result.indexOf(clash)] = node; // a config node both bring: the newer file's settings
    else result.push(node);
  }
  return result;
}

export function removeModule(current: readonly FlowNode[], name: string): FlowNode[] {
  return withoutModule(current, name);
}
