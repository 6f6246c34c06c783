// Config node: one connection to Cumulocity (through thin-edge, or REST), shared and reference counted by the
// publishing nodes that use it, with its store-and-forward queue under Node-RED's userDir.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { PipelineError } from '../lib/errors';
import type { Publication } from '../lib/publishing/inspection';
import type { SetAside } from '../lib/publishing/forwarder';
import { Publisher, type PublishResult, type PublisherStatus } from '../lib/publishing/publisher';
import { publisherOptions, type ConnectionConfig, type ConnectionCredentials } from '../lib/publishing/settings';
import { SharedResource } from '../lib/shared-resource';
import { describeError } from './shared/failure';
import { createNode } from './shared/template';
import { translate } from './shared/i18n';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';

export interface C8yConnectionNode extends Node<ConnectionCredentials> {
  register(userId: string): void;
  deregister(userId: string): Promise<void>;
  /** Queues a publication; throws a PipelineError when it cannot (bad settings, queue full). */
  publish(publication: Publication, alarmType: string): PublishResult;
  readonly state: PublisherStatus | undefined;
  /** Prepended to asset ids to form their external ids (c8y_Serial) in Cumulocity. */
  readonly externalIdPrefix: string;
  /** Calls `listener` on every status change of the connection; returns the function that stops it. */
  watch(listener: (state: PublisherStatus) => void): () => void;
}

/** Where this connection's store-and-forward queue lives (module-local: module.exports below replaces any export). */
function queueDirectory(RED: NodeAPI, nodeId: string): string {
  return path.join(RED.settings.userDir ?? os.tmpdir(), 'mlops-c8y-queue', nodeId.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

module.exports = function register(RED: NodeAPI) {
  function MlopsC8yNode(this: C8yConnectionNode, config: NodeDefinition & ConnectionConfig & { externalIdPrefix?: string }) {
    const node = createNode(RED, this, config);
    let publisher: Publisher | undefined;
    let closing: Promise<void> | undefined;
    const watchers = new EventEmitter();
    node.watch = (listener) => {
      watchers.on('state', listener);
      return () => watchers.off('state', listener);
    };

    let stopping = false;

    function start(): Publisher {
      if (publisher) return publisher;
      // Node-RED finishes closing old nodes before it starts new ones, so this only guards against misuse:
      // two publishers must never share the queue directory.
      if (stopping) throw new PipelineError('connection-restarting', 'the Cumulocity connection is still shutting down; send the message again', {});
      const options = publisherOptions(config, node.credentials ?? {}, process.env, `mlops-${node.id}-${process.pid}`);
      publisher = new Publisher({ ...options, queueDir: queueDirectory(RED, node.id) });
      let reported = '';
      publisher.on('status', (state: PublisherStatus) => {
        // Connection changes for support (Node-RED logging level "debug"); every status for "trace".
        const connection = `${state.connected === undefined ? 'connecting' : state.connected ? 'connected' : `down: ${state.reason ?? ''}`}`;
        if (connection !== reported) node.debug(`connection ${connection} (${state.queued} queued, ${state.delivered} delivered)`);
        reported = connection;
        node.trace(`status ${JSON.stringify(state)}`);
        watchers.emit('state', state);
      });
      publisher.on('failed', (err: unknown, aside: SetAside) => {
        node.error(`${describeError(RED, 'mlops-c8y', err)} ${aside.kept
          ? translate(RED, 'mlops-c8y.error.set-aside', 'Set aside into __file__; delivery continues.', { file: aside.file ?? '' })
          : translate(RED, 'mlops-c8y.error.not-kept', 'The dead-letter file is full: not kept; delivery continues.')}`);
      });
      watchers.emit('state', publisher.status);
      if (publisher.status.queued > 0) node.debug(`${publisher.status.queued} record(s) queued before the restart will be delivered first`);
      return publisher;
    }

    function stop(): Promise<void> {
      const running = publisher;
      publisher = undefined;
      if (running) {
        stopping = true;
        closing = running.close().finally(() => { stopping = false; });
      }
      return closing ?? Promise.resolve();
    }

    Object.defineProperty(node, 'state', { get: () => publisher?.status });
    Object.defineProperty(node, 'externalIdPrefix', { value: (config.externalIdPrefix ?? '').trim() });
    // The publisher starts with the first publishing node and stops after the last one.
    const users = new SharedResource({
      onFirstUser: () => {
        try {
          start();
        } catch (err) {
          node.warn(describeError(RED, 'mlops-c8y', err));
        }
      },
      onLastUser: () => stop(),
    });
    node.register = (userId) => users.register(userId);
    node.deregister = (userId) => users.deregister(userId);
    node.publish = (publication, alarmType) => start().publish(publication, alarmType);

    node.on('close', (removed: boolean, done: () => void) => {
      const waiting = publisher?.status.queued ?? 0;
      if (removed && waiting > 0) {
        node.warn(translate(RED, 'mlops-c8y.warn.abandoned', '__count__ undelivered messages stay in __dir__; a connection node with the same id would send them',
          { count: waiting, dir: queueDirectory(RED, node.id) }));
      }
      stop().then(done, (err) => { node.error(describeError(RED, 'mlops-c8y', err)); done(); });
    });
  }

  RED.nodes.registerType('mlops-c8y', MlopsC8yNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' }, token: { type: 'password' } },
  });
};
