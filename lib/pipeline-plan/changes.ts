// A plan applied to a flow: the property changes for each linked node, and what the condition nodes name that the
// model's labels do not have (reported, not changed: which class is the asset and which the defect is the user's call).
import { parseList } from '../segmentation/palette';
import { linkedNodes, type FlowNode, type LinkedNode } from './links';
import type { PipelinePlan, Undecided } from './plan';

export interface NodeChange {
  id: string;
  type: string;
  /** Properties to set, with their new values. */
  set: Record<string, string>;
}

export interface PlanApplication {
  linked: LinkedNode[];
  changes: NodeChange[];
  /** Added to the plan's undecided list: what could not be filled into the linked nodes. */
  undecided: Undecided[];
  /** Labels a linked mlops-segment or mlops-classify already has: what to offer when the model has none. */
  currentLabels: string[];
}

const REFERENCES_MODEL = new Set(['mlops-tensor', 'mlops-segment', 'mlops-classify']);

function nodeName(node: FlowNode): string {
  return typeof node.name === 'string' && node.name ? `"${node.name}"` : node.id;
}

function safeList(text: unknown): string[] {
  try {
    return parseList(typeof text === 'string' ? text : '', 'classes').filter(Boolean);
  } catch {
    return [];
  }
}

/** The classes a condition node names: its asset classes and the classes of its rules ('image' is the whole picture). */
export function conditionClasses(node: FlowNode): string[] {
  const rules = Array.isArray(node.rules) ? node.rules as Record<string, unknown>[] : [];
  const named = [...safeList(node.assetClasses), ...rules.flatMap((r) => [r.numerator, r.denominator])]
    .filter((c): c is string => typeof c === 'string' && c.trim() !== '' && c.trim() !== 'image').map((c) => c.trim());
  return [...new Set(named)];
}

/** The flow an editor sent: only entries that are objects with a string id and type (anything else is ignored). */
export function flowFromRequest(raw: unknown): FlowNode[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((n): n is FlowNode => typeof n === 'object' && n !== null && typeof (n as FlowNode).id === 'string' && typeof (n as FlowNode).type === 'string');
}

export function applyPlan(plan: PipelinePlan, flow: readonly FlowNode[], modelId: string): PlanApplication {
  const linked = linkedNodes(flow, modelId);
  const byId = new Map(flow.map((n) => [n.id, n]));
  const changes: NodeChange[] = [];
  const undecided: Undecided[] = [];
  for (const link of linked) {
    const node = byId.get(link.id)!;
    const wanted = link.type === 'mlops-tensor' ? plan.tensor : link.type === 'mlops-segment' ? plan.segment : link.type === 'mlops-classify' ? plan.classify : undefined;
    if (wanted) {
      // The node is pointed at this model, so it reads what is left empty (size, labels) from the model.
      const set = { ...(REFERENCES_MODEL.has(link.type) ? { model: modelId } : {}), ...wanted };
      const changed = Object.fromEntries(Object.entries(set).filter(([key, value]) => String(node[key] ?? '') !== value));
      if (Object.keys(changed).length) changes.push({ id: link.id, type: link.type, set: changed });
    }
    if (link.type === 'mlops-condition' && plan.labels.length) {
      const unknown = conditionClasses(node).filter((c) => !plan.labels.includes(c));
      if (unknown.length) {
        undecided.push({ setting: 'condition', reason: `condition ${nodeName(node)} names ${unknown.map((c) => `"${c}"`).join(', ')}, not among the model's classes (${plan.labels.join(', ')}); choose classes in its drop-downs` });
      }
    }
  }
  if (!linked.some((l) => l.type === 'mlops-tensor') && Object.keys(plan.tensor).length) {
    undecided.push({ setting: 'tensor', reason: 'no mlops-tensor node uses this model or feeds an mlops-infer that does: the input settings were not filled in anywhere' });
  }
  const labelled = linked.map((l) => byId.get(l.id)!).find((n) => (n.type === 'mlops-segment' || n.type === 'mlops-classify') && safeList(n.labels).length);
  return { linked, changes, undecided, currentLabels: labelled ? safeList(labelled.labels) : [] };
}
