// Which model outputs mlops-infer asks onnxruntime for. A heavy model can have outputs of 100 MB per message that
// no node reads; fetching only what is read saves the copy out of onnxruntime, the transfer and the memory on msg.
import { PipelineError } from '../errors';

/** `auto`: what the nodes downstream read, all when that is not known; `all`; `named`: the listed names. */
export type FetchMode = 'auto' | 'all' | 'named';
export const FETCH_MODES: readonly FetchMode[] = ['auto', 'all', 'named'];

/** A node the message reaches: its flow configuration as deployed. */
export interface DownstreamNode {
  type: string;
  /** Node ids per output port. */
  wires?: string[][];
  [setting: string]: unknown;
}

/** Package nodes that pass msg.outputs on without reading it. */
const PASS_THROUGH = new Set(['mlops-condition', 'mlops-c8y-out']);
/** Package nodes that read one output: the one named in their `output` setting, else the model's first. */
const READS_ONE_OUTPUT = new Set(['mlops-segment', 'mlops-classify', 'mlops-collect']);
// What the editor keeps on every node, and the docs text: none of it reads a message.
const NOT_SETTINGS = new Set(['id', 'type', 'z', 'g', 'x', 'y', 'w', 'h', 'wires', 'name', 'info', 'inputs', 'outputs', 'l']);

export interface FetchPlan {
  /** undefined: every output. */
  names: string[] | undefined;
  /** Why: 'all' / 'named' (the setting), 'downstream' (auto, known readers), else what made auto fetch all. */
  reason: string;
}

/** A setting that mentions msg.outputs (function code, change rules, a debug node showing it) or the whole message. */
function mayReadOutputs(node: DownstreamNode): boolean {
  if (node.type === 'debug' && String(node.complete) === 'true') return true;
  return Object.entries(node).some(([key, value]) => !NOT_SETTINGS.has(key) && /outputs/.test(JSON.stringify(value) ?? ''));
}

/**
 * Walks the wires from the inference node. mlops-segment, mlops-classify and mlops-collect read their configured
 * output (else the model's first; mlops-collect else the segmentation's, which a segment node before it asked for);
 * mlops-condition and mlops-c8y-out read none; another mlops-infer replaces msg.outputs. Any other node may read
 * msg.outputs when one of its settings mentions it (function code, change rules, a debug node showing it or the whole
 * message) — then, and for subflows and ids that are not deployed, everything is fetched.
 */
export function planFetch(mode: FetchMode, named: readonly string[], modelOutputs: readonly string[],
  startWires: readonly (readonly string[])[], lookUp: (id: string) => DownstreamNode | undefined): FetchPlan {
  if (mode === 'all') return { names: undefined, reason: 'all' };
  if (mode === 'named') {
    const unknown = named.filter((name) => !modelOutputs.includes(name));
    if (named.length === 0 || unknown.length > 0) {
      throw new PipelineError('unknown-output',
        `the model has no output ${unknown.map((n) => `"${n}"`).join(', ') || '(none listed)'}; its outputs are ${modelOutputs.map((n) => `"${n}"`).join(', ')} — list some of them in "fetch"`,
        { name: unknown.join(', '), available: modelOutputs.join(', ') });
    }
    return { names: modelOutputs.filter((name) => named.includes(name)), reason: 'named' };
  }
  const wanted = new Set<string>();
  const seen = new Set<string>();
  const queue = startWires.flat();
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = lookUp(id);
    if (!node) return { names: undefined, reason: `node ${id} is not deployed` };
    if (node.type === 'mlops-infer') continue;
    if (READS_ONE_OUTPUT.has(node.type)) {
      const output = typeof node.output === 'string' ? node.output.trim() : '';
      const name = output || modelOutputs[0];
      if (name !== undefined) wanted.add(name);
    } else if (node.type.startsWith('subflow:')) {
      return { names: undefined, reason: node.type };
    } else if (!PASS_THROUGH.has(node.type) && mayReadOutputs(node)) {
      return { names: undefined, reason: node.type };
    }
    queue.push(...(node.wires ?? []).flat());
    // Link out (and link call) nodes continue at the link in nodes they name.
    if (Array.isArray(node.links)) queue.push(...node.links.filter((l): l is string => typeof l === 'string'));
  }
  // No node reads a known output: nothing says which are wanted, so all are fetched.
  const names = modelOutputs.filter((name) => wanted.has(name));
  return names.length > 0 ? { names, reason: 'downstream' } : { names: undefined, reason: 'no reader' };
}
