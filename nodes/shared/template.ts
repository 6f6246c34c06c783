// The house template: every node is created, configured, wired to its model and fed messages the same way.
//   const node = createNode(RED, this, config);            // instead of RED.nodes.createNode(this, config)
//   const settings = readSettings(node, () => parse(config)); // invalid → red status now, every message fails with it
//   const model = useModel(RED, node, config.model);         // lookup, register, deregister on close (useConnection alike)
//   onInput(node, async (msg, send) => { …; send(msg); });   // config-error gate, failMessage, done
import { PipelineError } from '../../lib/errors';
import { failMessage, showError } from './failure';
import type { C8yConnectionNode } from '../mlops-c8y';
import type { ModelConfigNode } from './model-node';
import type { Node, NodeAPI, NodeDefinition, NodeMessage, SendFunction } from './red';

/** What the template remembers per node: the runtime API and the first configuration error. */
interface NodeState {
  RED: NodeAPI;
  configError?: unknown;
}

const states = new WeakMap<object, NodeState>();

function stateOf(node: Node<unknown>): NodeState {
  const state = states.get(node);
  if (!state) throw new Error(`${node.type} ${node.id} was not made with createNode(RED, this, config) from nodes/shared/template`);
  return state;
}

/** Node-RED's createNode, and the start of the template's bookkeeping for this node. */
export function createNode<N extends Node<unknown>>(RED: NodeAPI, node: N, config: NodeDefinition): N {
  RED.nodes.createNode(node, config);
  states.set(node, { RED });
  return node;
}

/**
 * Marks the node's configuration as unusable: a red status with the reason now, and every message fails with it.
 * The first error wins (it is usually the cause of the others).
 */
export function rejectConfig(node: Node<unknown>, err: unknown): void {
  const state = stateOf(node);
  if (state.configError !== undefined) return;
  state.configError = err;
  showError(state.RED, node, err);
}

/** The configuration error recorded for the node, if any. */
export function configError(node: Node<unknown>): unknown {
  return stateOf(node).configError;
}

/** Reads the node's settings once, at deploy. An invalid setting → rejectConfig, and undefined is returned. */
export function readSettings<T>(node: Node<unknown>, read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    rejectConfig(node, err);
    return undefined;
  }
}

export interface UseOptions {
  /** True when the node works without it (then an empty id is fine, a dangling one is still an error). */
  optional?: boolean;
}

/** What a shared config node offers its users: reference counting by node id (SharedResource in lib/). */
interface Shared {
  register(userId: string): void;
  deregister(userId: string): void | Promise<void>;
}

/**
 * The shared config node `id`: registered while this node lives, deregistered on close. No such node →
 * configuration error `missing` (unless optional and no id was given) and undefined.
 */
function useShared<T extends Shared>(RED: NodeAPI, node: Node<unknown>, id: unknown, missing: () => PipelineError, options: UseOptions): T | undefined {
  const wanted = typeof id === 'string' ? id.trim() : '';
  if (wanted === '' && options.optional) return undefined;
  const shared = wanted === '' ? undefined : (RED.nodes.getNode(wanted) as T | null) ?? undefined;
  if (!shared) {
    rejectConfig(node, missing());
    return undefined;
  }
  shared.register(node.id);
  node.on('close', (_removed: boolean, done: () => void) => {
    Promise.resolve(shared.deregister(node.id)).then(() => done(), () => done());
  });
  return shared;
}

/** The mlops-model config node `id` (see useShared): the model stays loaded while this node lives. */
export function useModel(RED: NodeAPI, node: Node<unknown>, id: unknown, options: UseOptions = {}): ModelConfigNode | undefined {
  return useShared<ModelConfigNode>(RED, node, id, () => new PipelineError('no-model',
    'no mlops-model configuration is selected; open this node and choose or add a model', { id: String(id ?? '') }), options);
}

/** The mlops-c8y connection node `id` (see useShared): its publisher runs while this node lives. */
export function useConnection(RED: NodeAPI, node: Node<unknown>, id: unknown, options: UseOptions = {}): C8yConnectionNode | undefined {
  return useShared<C8yConnectionNode>(RED, node, id, () => new PipelineError('no-connection',
    'no mlops-c8y connection is configured; select one in the node', {}), options);
}

/** Handles one message: send what it produces with `send`; throw (or reject) to fail the message. */
export type InputHandler = (msg: NodeMessage, send: SendFunction) => void | Promise<void>;

/**
 * The node's input handler: a message meets the configuration error first (if any), then `handler`. When the
 * handler finishes, done() is called; when it throws, failMessage reports the error (red status, done(err)).
 * `onFailure` runs for every failed message, configuration errors included (e.g. to release what it holds).
 */
export function onInput(node: Node<unknown>, handler: InputHandler, onFailure?: (msg: NodeMessage) => void): void {
  const state = stateOf(node);
  node.on('input', (msg, send, done) => {
    const fail = (err: unknown) => {
      onFailure?.(msg);
      failMessage(state.RED, node, err, done);
    };
    if (state.configError !== undefined) {
      fail(state.configError);
      return;
    }
    let running: void | Promise<void>;
    try {
      running = handler(msg, send);
    } catch (err) {
      fail(err);
      return;
    }
    Promise.resolve(running).then(() => done(), fail);
  });
}
