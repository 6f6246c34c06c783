// One way for every node to fail a message: translated text, red status, done(err) so Catch nodes see it.
import { isPipelineError } from '../../lib/errors';
import type { DoneFunction, Node, NodeAPI, NodeStatus } from './red';

/** Text for an error in the node's own locale catalog (<type>.errors.<code>), else the error's own message. */
export function describeError(RED: NodeAPI, nodeType: string, err: unknown): string {
  if (isPipelineError(err)) {
    const key = `${nodeType}.errors.${err.code}`;
    const translated = RED._(key, err.details);
    if (translated && !translated.endsWith(key)) return translated;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

const STATUS_TEXT_LIMIT = 80;

/**
 * Red ring status with the reason, shortened to what fits under a node. Messages say what is wrong, then "; " and
 * what to change: the status keeps what is wrong (the whole text still reaches Catch and the debug sidebar).
 */
export function errorStatus(text: string): NodeStatus {
  const clause = text.split('; ')[0]!.replace(/[.:]$/, '');
  return { fill: 'red', shape: 'ring', text: clause.length > STATUS_TEXT_LIMIT ? `${clause.slice(0, STATUS_TEXT_LIMIT - 1)}…` : clause };
}

export function failMessage(RED: NodeAPI, node: Node, err: unknown, done: DoneFunction): void {
  const text = describeError(RED, node.type, err);
  node.status(errorStatus(text));
  const reported = new Error(text);
  if (isPipelineError(err)) Object.assign(reported, { code: err.code });
  done(reported);
}
