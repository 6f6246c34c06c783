// What one deployment did, read from the messages Node-RED's editor comms publishes (the Admin API does not show
// node errors): `notification/runtime-state` (stop, then start or a reason it did not), `status/<id>` per node,
// `debug` for warn/error log entries (a constructor that throws, node.error), and `notification/runtime-deploy`
// with the new revision once the start has finished. Pure: fed message by message, no I/O.
import type { FlowNode } from './flow-json';

export interface CommsMessage { topic: string; data: unknown }

export interface NodeProblem { id: string; type: string; name?: string; message: string }

export type DeployOutcome =
  | { kind: 'pending' }
  /** Started; some module nodes are still loading or connecting (and none has failed yet). */
  | { kind: 'settling'; waiting: NodeProblem[] }
  /** The flows started; `waiting` lists module nodes still loading or connecting when the settle window closed. */
  | { kind: 'started'; problems: NodeProblem[]; waiting: NodeProblem[] }
  | { kind: 'not-started'; reason: string };

interface NodeStatus { fill?: string; shape?: string; text?: string }

// Node-RED log levels (util/lib/log.js): fatal 10, error 20, warn 30.
const ERROR_LEVEL = 20;

/**
 * A status that says the node is still getting ready: the house "waiting" look (grey ring: loading a model,
 * connecting) and core nodes' "connecting" (an i18n key such as node-red:common.status.connecting).
 */
export function isWaitingStatus(status: NodeStatus): boolean {
  return (status.fill === 'grey' && status.shape === 'ring') || /(^|[.:])connecting$/.test(status.text ?? '');
}

function logText(data: Record<string, unknown>): string {
  const msg = data.msg;
  if (typeof msg !== 'string') return String(msg ?? '');
  // encodeObject turns an Error into JSON {name, message} with format "error".
  if (data.format === 'error') {
    try {
      const parsed = JSON.parse(msg) as { message?: string; name?: string };
      return parsed.message ?? parsed.name ?? msg;
    } catch { /* plain text */ }
  }
  return msg;
}

export class DeployObserver {
  private readonly nodes: Map<string, { type: string; name?: string }>;
  private log: CommsMessage[] = [];

  /** `moduleNodes`: the nodes of the module being deployed; only their statuses and errors count. */
  constructor(moduleNodes: readonly FlowNode[]) {
    this.nodes = new Map(moduleNodes.map((n) => [n.id, { type: n.type, name: typeof n.name === 'string' && n.name ? n.name : undefined }]));
  }

  feed(message: CommsMessage): void { this.log.push(message); }

  /** Forgets what was seen: called before each deployment attempt (a 409 retry is a new attempt). */
  reset(): void { this.log = []; }

  /**
   * The outcome of the deployment that produced `revision`. `settleOver`: stop waiting for nodes that are still
   * loading or connecting, and report them as waiting.
   */
  outcome(revision: string | undefined, settleOver = false): DeployOutcome {
    if (revision === undefined) return { kind: 'pending' };
    const deployed = this.log.findIndex((m) => m.topic === 'notification/runtime-deploy' && (m.data as { revision?: unknown })?.revision === revision);
    if (deployed < 0) return { kind: 'pending' };
    let lastState = -1;
    for (let i = deployed - 1; i >= 0; i--) if (this.log[i]!.topic === 'notification/runtime-state') { lastState = i; break; }
    const state = lastState >= 0 ? (this.log[lastState]!.data ?? {}) as { state?: string; error?: string; types?: string[]; modules?: { module: string }[] } : {};
    if (lastState >= 0 && state.state !== 'start') {
      const detail = state.types?.length ? `: ${state.types.join(', ')}` : state.modules?.length ? `: ${state.modules.map((m) => m.module).join(', ')}` : '';
      return { kind: 'not-started', reason: `Node-RED reports the flows as "${state.state ?? 'unknown'}"${state.error ? ` (${state.error}${detail})` : ''}` };
    }
    // This deployment's events: after the stop of the flows it replaced (none when nothing was running).
    let from = 0;
    for (let i = lastState; i >= 0; i--) {
      const m = this.log[i]!;
      if (m.topic === 'notification/runtime-state' && (m.data as { state?: string })?.state === 'stop') { from = i + 1; break; }
    }
    const problems: NodeProblem[] = [];
    const statuses = new Map<string, NodeStatus>();
    for (const m of this.log.slice(from)) {
      const id = m.topic.startsWith('status/') ? m.topic.slice('status/'.length) : m.topic === 'debug' ? String((m.data as { id?: unknown })?.id ?? '') : '';
      const node = this.nodes.get(id);
      if (!node) continue;
      if (m.topic === 'debug') {
        const data = (m.data ?? {}) as Record<string, unknown>;
        if (typeof data.level === 'number' && data.level <= ERROR_LEVEL) problems.push({ id, ...node, message: logText(data) });
      } else {
        statuses.set(id, (m.data ?? {}) as NodeStatus);
      }
    }
    const waiting: NodeProblem[] = [];
    for (const [id, status] of statuses) {
      const node = this.nodes.get(id)!;
      const message = status.text ?? '';
      if (status.fill === 'red' && !problems.some((p) => p.id === id && p.message === message)) problems.push({ id, ...node, message: `red status "${message}"` });
      else if (isWaitingStatus(status)) waiting.push({ id, ...node, message });
    }
    if (waiting.length && !problems.length && !settleOver) return { kind: 'settling', waiting };
    return { kind: 'started', problems, waiting: problems.length ? [] : waiting };
  }
}

export function describeProblems(problems: readonly NodeProblem[]): string {
  return problems.map((p) => `  - ${p.id} ${p.type}${p.name ? ` "${p.name}"` : ''}: ${p.message}`).join('\n');
}
