// The house template: every node is created, configured, wired to its model and fed messages the same way.
//   const node = createNode(RED, this, config);            // instead of RED.nodes.createNode(this, config)
//   const settings = readSettings(node, () => parse(config)); // invalid → red status now, every message fails with it
//   const model = useModel(RED, node, config.model);         // lookup, register, deregister on close
//   onInput(node, async (msg, send) => { …; send(msg); });   // config-error gate, failMessage, done
import { PipelineError } from '../../lib/errors';
import { failMessage, showError } from './failure';
import type { ModelConfigNode } from './model-node';
import type { Node, NodeAPI, NodeDefinition, NodeMessage, SendFunction } from './red';

/** What the template remembers per node: the runtime API and the first configuration error. */
interface NodeState {
  RED: NodeAPI;
  configError?: unknown;
}

const states = new WeakMap<object, NodeState>();

function stateOf(node: Node): NodeState {
  const state = states.get(node);
  if (!state) throw new Error(`${node.type} ${node.id} was not made with createNode(RED, this, config) from nodes/shared/template`);
  return state;
}

/** Node-RED's createNode, and the start of the template's bookkeeping for this node. */
export function createNode<N extends Node>(RED: NodeAPI, node: N, config: NodeDefinition): N {
  RED.nodes.createNode(node, config);
  states.set(node, { RED });
  return node;
}

/**
 * Marks the node's configuration as unusable: a red status with the reason now, and every message fails with it.
 * The first error wins (it is usually the cause of the others).
 */
export function rejectConfig(node: Node, err: unknown): void {
  const state = stateOf(node);
  if (state.configError !== undefined) return;
  state.configError = err;
  showError(state.RED, node, err);
}

/** The configuration error recorded for the node, if any. */
export function configError(node: Node): unknown {
  return stateOf(node).configError;
}

/** Reads the node's settings once, at deploy. An invalid setting → rejectConfig, and undefined is returned. */
export function readSettings<T>(node: Node, read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    rejectConfig(node, err);
    return undefined;
  }
}

export interface UseModelOptions {
  /** True when the node works without a model (then an empty id is fine, a dangling one is still an error). */
  optional?: boolean;
}

/**
 * The mlops-model config node `id`: registered while this node lives (the model stays loaded), deregistered on
 * close. No such node → `no-model` configuration error (unless optional and no id was given) and undefined.
 */
export function useModel(RED: NodeAPI, node: Node, id: unknown, options: UseModelOptions = {}): ModelConfigNode | undefined {
  const wanted = typeof id === 'string' ? id.trim() : '';
  if (wanted === '' && options.optional) return undefined;
  const model = wanted === '' ? undefined : (RED.nodes.getNode(wanted) as ModelConfigNode | null) ?? undefined;
  if (!model) {
    rejectConfig(node, new PipelineError('no-model',
      'no mlops-model configuration is selected; open this node and choose or add a model', { id: wanted }));
    return undefined;
  }
  model.register(node.id);
  node.on('close', (_removed: boolean, done: () => void) => {
    model.deregister(node.id);
    done();
  });
  return model;
}

/** Handles one message: send what it produces with `send`; throw (or reject) to fail the message. */
export type InputHandler = (msg: NodeMessage, send: SendFunction) => void | Promise<void>;

/**
 * The node's input handler: a message meets the configuration error first (if any), then `handler`. When the
 * handler finishes, done() is called; when it throws, failMessage reports the error (red status, done(err)).
 * `onFailure` runs for every failed message, configuration errors included (e.g. to release what it holds).
 */
export function onInput(node: Node, handler: InputHandler, onFailure?: (msg: NodeMessage) => void): void {
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
