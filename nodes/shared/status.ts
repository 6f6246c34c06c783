// Status helpers: every node shows the same few looks, so a flow author reads them alike across nodes.
import type { NodeStatus } from './red';

const STATUS_TEXT_LIMIT = 60;

/** Shortened to what fits under a node in the editor. */
function fit(text: string): string {
  return text.length > STATUS_TEXT_LIMIT ? `${text.slice(0, STATUS_TEXT_LIMIT - 1)}…` : text;
}

/** Red ring: the node cannot do its work (bad setting, failed message, lost connection). */
export function errorStatus(text: string): NodeStatus {
  return { fill: 'red', shape: 'ring', text: fit(text) };
}

/** Green dot: ready, or the last message went through. */
export function readyStatus(text: string): NodeStatus {
  return { fill: 'green', shape: 'dot', text };
}

/** Blue dot: working on a message. */
export function busyStatus(text: string): NodeStatus {
  return { fill: 'blue', shape: 'dot', text };
}

/** Grey ring: waiting for something (loading, connecting, collecting). */
export function waitingStatus(text: string): NodeStatus {
  return { fill: 'grey', shape: 'ring', text };
}

/** Yellow ring: working, but with something the user should look at (queued while offline, losses). */
export function warningStatus(text: string): NodeStatus {
  return { fill: 'yellow', shape: 'ring', text };
}
