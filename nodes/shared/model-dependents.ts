// A model that cannot be loaded is shown on every node that depends on it, not only on mlops-infer: the nodes that
// reference the mlops-model, the package's nodes wired downstream of an mlops-infer that uses it (they would never
// get a message) and the mlops-tensor nodes feeding such an infer (lib/pipeline-plan/links.ts decides which). It is
// logged once, at deploy, naming them. A load can fail before the other nodes of the deploy exist (a path that does
// not resolve fails at once), so the statuses are set again when the flows have started.
import type { PipelineError } from '../../lib/errors';
import { linkedNodes, type FlowNode } from '../../lib/pipeline-plan/links';
import { describeError } from './failure';
import { translate } from './i18n';
import type { Node, NodeAPI } from './red';
import { errorStatus } from './status';

export interface DependentsReport {
  failed(model: string, error: PipelineError | undefined): void;
  recovered(): void;
}

export function reportToDependents(RED: NodeAPI, modelNode: Node): DependentsReport {
  let failure: { model: string; text: string } | undefined;
  const dependents = () => {
    const flow: FlowNode[] = [];
    RED.nodes.eachNode((config) => flow.push(config as FlowNode));
    const names = new Map(flow.map((n) => [n.id, typeof n.name === 'string' && n.name ? n.name : n.type]));
    return linkedNodes(flow, modelNode.id).map((d) => ({ ...d, name: names.get(d.id)! }));
  };
  const show = () => {
    if (!failure) return;
    for (const dependent of dependents()) (RED.nodes.getNode(dependent.id) as Node | null)?.status(errorStatus(failure.text));
  };
  RED.events.on('flows:started', show);
  modelNode.on('close', (_removed: boolean, done: () => void) => {
    RED.events.removeListener('flows:started', show);
    done();
  });
  return {
    failed(model, error) {
      const text = describeError(RED, 'mlops-model', error);
      failure = { model, text };
      const users = dependents().map((d) => d.name).join(', ') || '-';
      // Said once per deploy (a failed load is not retried until the next one), before any message arrives.
      modelNode.error(translate(RED, 'mlops-model.status.loadFailed', '__model__ cannot be loaded: __reason__ (used by: __users__)', { model, reason: text, users }));
      show();
    },
    recovered() {
      failure = undefined;
    },
  };
}
