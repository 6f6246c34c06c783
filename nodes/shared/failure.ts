// One way for every node to fail a message: translated text, red status, done(err) so Catch nodes see it.
import { isPipelineError } from '../../lib/errors';
import { catalogText } from './i18n';
import type { DoneFunction, Node, NodeAPI } from './red';
import { errorStatus } from './status';

/** Text for an error in the node's own locale catalog (<type>.errors.<code>), else the error's own message. */
export function describeError(RED: NodeAPI, nodeType: string, err: unknown): string {
  if (isPipelineError(err)) return catalogText(RED, `${nodeType}.errors.${err.code}`, err.details) ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Fails one message: red status with the reason, done(err) with msg.error.code set, so Catch nodes can switch on it. */
export function failMessage(RED: NodeAPI, node: Node<unknown>, err: unknown, done: DoneFunction): void {
  const text = describeError(RED, node.type, err);
  node.status(errorStatus(text));
  const reported = new Error(text);
  if (isPipelineError(err)) Object.assign(reported, { code: err.code });
  done(reported);
}

/** Red status with the translated reason of `err`, from the catalog of `catalogType` (the node's own by default). */
export function showError(RED: NodeAPI, node: Node<unknown>, err: unknown, catalogType: string = node.type): void {
  node.status(errorStatus(describeError(RED, catalogType, err)));
}

export { errorStatus };
