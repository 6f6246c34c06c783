// The shape of a Node-RED flow export and the helpers every flow-handling module shares.
import { PipelineError } from '../errors';

export interface FlowEnvEntry { name: string; value: unknown; type: string }

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  env?: FlowEnvEntry[];
  [key: string]: unknown;
}

/** Env entries thin-edge's nodered-flows plugin appends to every tab; its `list` reads the first of each. */
export const MODULE_NAME = 'MODULE_NAME';
export const MODULE_VERSION = 'MODULE_VERSION';
/** Env entry this package adds to every tab of a packed flow: JSON `{ name, version, models }`. */
export const PACKAGE_ENV = 'MLOPS_PACKAGE';

/** Structural types every export may contain besides nodes. */
export const STRUCTURAL_TYPES: readonly string[] = ['tab', 'subflow', 'group'];

/**
 * The node array of an export: the v1 form (an array) or the v2 Admin-API form `{ rev, flows: [...] }`.
 * Refuses anything else with a reason, because thin-edge's plugin would fail on it later with a JSON error.
 */
export function flowNodes(parsed: unknown, what = 'the flow file'): FlowNode[] {
  const list = Array.isArray(parsed) ? parsed : (parsed && typeof parsed === 'object' && Array.isArray((parsed as { flows?: unknown }).flows))
    ? (parsed as { flows: unknown[] }).flows : undefined;
  if (!list) throw new PipelineError('not-a-flow-export', `${what} is not a Node-RED flow export (a JSON array of nodes, or { "flows": [...] }); export it from the editor's menu, Export, JSON`, { what });
  list.forEach((node, index) => {
    if (!node || typeof node !== 'object' || typeof (node as FlowNode).id !== 'string' || typeof (node as FlowNode).type !== 'string') {
      throw new PipelineError('not-a-flow-export', `${what}: entry ${index} is not a node (each needs a string "id" and "type")`, { what, index });
    }
  });
  return list as FlowNode[];
}

export function parseFlowText(text: string, what = 'the flow file'): FlowNode[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PipelineError('not-a-flow-export', `${what} is not JSON: ${(err as Error).message}`, { what });
  }
  return flowNodes(parsed, what);
}

export function tabsOf(nodes: readonly FlowNode[]): FlowNode[] {
  return nodes.filter((n) => n.type === 'tab');
}

/** Value of the first env entry with this name, as thin-edge's plugin reads it. */
export function firstEnv(node: FlowNode, name: string): string | undefined {
  const entry = Array.isArray(node.env) ? node.env.find((e) => e && e.name === name) : undefined;
  return entry === undefined ? undefined : String(entry.value);
}

/** The module a tab belongs to and its version: the first MODULE_NAME/MODULE_VERSION entries, else the label and rev. */
export function tabModule(tab: FlowNode, rev = ''): { name: string; version: string } {
  return {
    name: firstEnv(tab, MODULE_NAME) ?? String(tab.label ?? ''),
    version: firstEnv(tab, MODULE_VERSION) ?? rev.slice(0, 8),
  };
}

/** Nodes that live on a tab or in a subflow (`z` set), as opposed to config nodes and the tabs themselves. */
export function isFlowNode(node: FlowNode): boolean {
  return typeof node.z === 'string' && node.z !== '';
}

/** `type "name" (id)`, how problems name a node. */
export function describeNode(node: FlowNode): string {
  const label = typeof node.name === 'string' && node.name ? ` "${node.name}"` : '';
  return `${node.type}${label} (${node.id})`;
}
