// The flow's name and version as thin-edge's Node-RED plugin records them: MODULE_NAME / MODULE_VERSION in the tab's
// env (read through the node, so group and tab env apply as Node-RED resolves them).
import type { Node, NodeAPI, NodeMessage } from './red';

export interface FlowVersion { name?: string; version?: string }

export function flowVersion(RED: NodeAPI, node: Node<unknown>, msg: NodeMessage): FlowVersion {
  const read = (name: string) => {
    const value = RED.util.evaluateNodeProperty(name, 'env', node, msg);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  return { name: read('MODULE_NAME'), version: read('MODULE_VERSION') };
}
