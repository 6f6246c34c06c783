// `edge-mlops flow pack`: turns an editor export into a file thin-edge's stock `nodered-flows` plugin installs as it
// is (a JSON array with tabs), without secrets or stale MODULE_NAME/MODULE_VERSION entries, and lists what would
// break on a device. Pure: no file system, no Node-RED.
import { PipelineError } from '../errors';
import { parseStoreSpec } from '../model-store/names';
import { NODE_RED_CORE_TYPES } from './core-types';
import {
  MODULE_NAME, MODULE_VERSION, PACKAGE_ENV, STRUCTURAL_TYPES, describeNode, isFlowNode, tabsOf, type FlowEnvEntry, type FlowNode,
} from './flow-json';
import { checkEndpoints, checkPaths, type PackProblem } from './pack-checks';

export type { PackProblem, ProblemCode } from './pack-checks';

export interface ModelReference { name: string; version?: string }

export interface PackOptions {
  name: string;
  version: string;
  /** Node types this package provides (package.json "node-red".nodes). */
  packageTypes: readonly string[];
  /** Further node types the target devices have installed. */
  allowTypes?: readonly string[];
  /** Models the flow depends on, installed separately as `onnx-model` software. */
  declaredModels?: readonly ModelReference[];
  /** Whether the local model store holds this model (version undefined: any version). */
  storeHas?: (model: ModelReference) => boolean;
}


export interface PackResult {
  flows: FlowNode[];
  problems: PackProblem[];
  /** What was changed, one line each, for the user to review. */
  changes: string[];
  /** Models the packed flow needs, recorded in every tab's MLOPS_PACKAGE env entry. */
  models: ModelReference[];
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@/+-]*$/;

/** `store:<name>[@<version>]` as the model store reads it; undefined for other specs and invalid names. */
export function storeReference(value: unknown): ModelReference | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return parseStoreSpec(value);
  } catch {
    return undefined;
  }
}

export function formatModel(model: ModelReference): string {
  return model.version ? `${model.name}@${model.version}` : model.name;
}

function declares(declared: readonly ModelReference[], wanted: ModelReference): boolean {
  return declared.some((d) => d.name === wanted.name && (!wanted.version || !d.version || d.version === wanted.version));
}

/** Models a previous pack recorded in the tabs (so re-packing a packed file keeps its declarations). */
function recordedModels(nodes: readonly FlowNode[]): ModelReference[] {
  const found: ModelReference[] = [];
  for (const tab of tabsOf(nodes)) {
    const entry = (tab.env ?? []).find((e) => e?.name === PACKAGE_ENV);
    if (!entry) continue;
    try {
      const value = typeof entry.value === 'string' ? JSON.parse(entry.value) : entry.value;
      for (const m of (value?.models ?? []) as unknown[]) {
        const ref = typeof m === 'string' ? storeReference(`store:${m}`) : undefined;
        if (ref && !declares(found, ref)) found.push(ref);
      }
    } catch { /* a hand-edited entry: ignored, the new one replaces it */ }
  }
  return found;
}

function checkTypes(nodes: readonly FlowNode[], options: PackOptions, problems: PackProblem[]): void {
  const known = new Set([...NODE_RED_CORE_TYPES, ...STRUCTURAL_TYPES, ...options.packageTypes, ...(options.allowTypes ?? [])]);
  const subflows = new Set(nodes.filter((n) => n.type === 'subflow').map((n) => n.id));
  for (const node of nodes) {
    if (known.has(node.type)) continue;
    if (node.type.startsWith('subflow:') && subflows.has(node.type.slice('subflow:'.length))) continue;
    const message = node.type.startsWith('subflow:')
      ? `${describeNode(node)} uses subflow ${node.type.slice(8)}, which is not in the export: export the subflow with the flow`
      : `${describeNode(node)}: node type "${node.type}" is neither a Node-RED core node nor provided by this package; install it on the devices and pass --allow-type "${node.type}", or replace the node`;
    problems.push({ code: 'unknown-node-type', nodeId: node.id, nodeType: node.type, message });
  }
}

function checkModels(nodes: readonly FlowNode[], options: PackOptions, declared: readonly ModelReference[], problems: PackProblem[]): ModelReference[] {
  const used: ModelReference[] = [];
  for (const node of nodes) {
    if (node.type !== 'mlops-model') continue;
    let ref: ModelReference | undefined;
    try {
      ref = typeof node.path === 'string' ? parseStoreSpec(node.path) : undefined;
    } catch (err) {
      problems.push({ code: 'model-not-available', nodeId: node.id, nodeType: node.type, message: `${describeNode(node)}: ${(err as Error).message}` });
      continue;
    }
    if (!ref) continue;
    if (!declares(used, ref)) used.push(ref);
    if (declares(declared, ref) || options.storeHas?.(ref)) continue;
    problems.push({
      code: 'model-not-available', nodeId: node.id, nodeType: node.type,
      message: `${describeNode(node)} uses model ${formatModel(ref)}, which is neither in the local model store nor declared; install it into the store or pass --model ${formatModel(ref)}`,
    });
  }
  const all = [...declared];
  for (const ref of used) if (!declares(all, ref)) all.push(ref);
  return all;
}

/** Removes credentials, `cred` env values and MODULE_* env entries; records the package in each tab. */
function strip(nodes: FlowNode[], changes: string[]): FlowNode[] {
  return nodes.map((original) => {
    const node: FlowNode = structuredClone(original);
    if ('credentials' in node) {
      delete node.credentials;
      changes.push(`${describeNode(node)}: removed its credentials (enter them on the device, or use env)`);
    }
    if (Array.isArray(node.env)) {
      const kept: FlowEnvEntry[] = [];
      for (const entry of node.env) {
        if (entry?.name === MODULE_NAME || entry?.name === MODULE_VERSION || entry?.name === PACKAGE_ENV) {
          if (entry.name !== PACKAGE_ENV) changes.push(`${describeNode(node)}: removed env ${entry.name}=${String(entry.value)} (the installer sets it)`);
          continue;
        }
        if (entry?.type === 'cred') {
          changes.push(`${describeNode(node)}: cleared the credential env ${entry.name}`);
          kept.push({ ...entry, value: '' });
          continue;
        }
        kept.push(entry);
      }
      node.env = kept;
    }
    return node;
  });
}

export function packFlows(nodes: readonly FlowNode[], options: PackOptions): PackResult {
  if (!NAME_PATTERN.test(options.name)) throw new PipelineError('bad-flow-name', `flow name "${options.name}" must start with a letter or digit and use letters, digits, . _ - + / @`, { name: options.name });
  if (!options.version.trim() || /\s/.test(options.version)) throw new PipelineError('bad-flow-version', `flow version "${options.version}" must be a non-empty word without spaces, e.g. 1.2.0`, { version: options.version });
  if (tabsOf(nodes).length === 0) throw new PipelineError('no-tab', 'the export holds no flow tab: thin-edge installs tabs only; export whole flows (Export, "current flow" or "all flows")', {});
  const orphans = nodes.filter((n) => isFlowNode(n) && !nodes.some((t) => t.id === n.z));
  if (orphans.length > 0) throw new PipelineError('not-a-flow-export', `${orphans.length} node(s) belong to a tab or subflow that is not in the export (e.g. ${describeNode(orphans[0]!)}): export the whole flow`, {});

  const changes: string[] = [];
  const problems: PackProblem[] = [];
  const flows = strip([...nodes], changes);
  checkTypes(flows, options, problems);
  const declared = [...(options.declaredModels ?? [])];
  for (const recorded of recordedModels(nodes)) if (!declares(declared, recorded)) declared.push(recorded);
  const models = checkModels(flows, options, declared, problems);
  checkEndpoints(flows, changes, problems);
  checkPaths(flows, problems);
  const record = JSON.stringify({ name: options.name, version: options.version, models: models.map(formatModel) });
  for (const tab of tabsOf(flows)) tab.env = [...(tab.env ?? []), { name: PACKAGE_ENV, value: record, type: 'json' }];
  return { flows, problems, changes, models };
}
