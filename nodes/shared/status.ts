// Status helpers: every node shows the same few looks, so a flow author reads them alike across nodes.
import type { NodeStatus } from './red';

const STATUS_TEXT_LIMIT = 80;

/**
 * Red ring: the node cannot do its work (bad setting, failed message, lost connection). Messages say what is wrong,
 * then "; " and what to change: the status keeps what is wrong (the whole text still reaches Catch and the debug
 * sidebar), shortened to what fits under a node.
 */
export function errorStatus(text: string): NodeStatus {
  const clause = text.split('; ')[0]!.replace(/[.:]$/, '');
  return { fill: 'red', shape: 'ring', text: clause.length > STATUS_TEXT_LIMIT ? `${clause.slice(0, STATUS_TEXT_LIMIT - 1)}…` : clause };
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
