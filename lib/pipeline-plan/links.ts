// Which nodes of a flow belong to a model's pipeline: the nodes that reference the mlops-model config node, the
// package's nodes wired downstream of an mlops-infer that uses it (up to the next mlops-infer, which has its own
// model), and the mlops-tensor nodes wired upstream of that infer (they make its input even without a model set).
// Link in/out nodes and subflows are not followed.

/** A node of a flow export (or of the deployed flow configuration), as far as this needs it. */
export interface FlowNode {
  id: string;
  type: string;
  name?: unknown;
  model?: unknown;
  wires?: unknown;
  [key: string]: unknown;
}

export type LinkRole = 'uses' | 'downstream' | 'upstream';

export interface LinkedNode {
  id: string;
  type: string;
  role: LinkRole;
}

const PACKAGE_TYPE = /^mlops-/;

function targets(node: FlowNode): string[] {
  if (!Array.isArray(node.wires)) return [];
  return node.wires.flatMap((port: unknown) => (Array.isArray(port) ? port.filter((t): t is string => typeof t === 'string') : []));
}

export function linkedNodes(flow: readonly FlowNode[], modelId: string): LinkedNode[] {
  const byId = new Map(flow.map((n) => [n.id, n]));
  const sources = new Map<string, string[]>();
  for (const node of flow) for (const target of targets(node)) sources.set(target, [...(sources.get(target) ?? []), node.id]);
  const found = new Map<string, LinkedNode>();
  const add = (node: FlowNode, role: LinkRole) => {
    if (!found.has(node.id) && PACKAGE_TYPE.test(node.type) && node.type !== 'mlops-model') found.set(node.id, { id: node.id, type: node.type, role });
  };
  const infers: FlowNode[] = [];
  for (const node of flow) {
    if (node.model !== modelId) continue;
    add(node, 'uses');
    if (node.type === 'mlops-infer') infers.push(node);
  }
  for (const infer of infers) {
    walk(infer, (n) => targets(n), byId, (n) => add(n, 'downstream'), (n) => n.type === 'mlops-infer');
    walk(infer, (n) => sources.get(n.id) ?? [], byId, (n) => { if (n.type === 'mlops-tensor') add(n, 'upstream'); },
      (n) => n.type === 'mlops-infer' || n.type === 'mlops-tensor');
  }
  return [...found.values()];
}

/** Breadth-first from `start` (not visited itself) along `next`; `stop` nodes are visited but not passed. */
function walk(start: FlowNode, next: (n: FlowNode) => string[], byId: Map<string, FlowNode>, visit: (n: FlowNode) => void, stop: (n: FlowNode) => boolean): void {
  const seen = new Set([start.id]);
  let frontier = next(start);
  while (frontier.length > 0) {
    const following: string[] = [];
    for (const id of frontier) {
      const node = byId.get(id);
      if (!node || seen.has(id)) continue;
      seen.add(id);
      if (stop(node)) {
        if (node.type !== 'mlops-infer') visit(node);
        continue;
      }
      visit(node);
      following.push(...next(node));
    }
    frontier = following;
  }
}
