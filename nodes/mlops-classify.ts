// mlops-classify: a classifier's msg.outputs (logits or probabilities) → msg.prediction {label, index, score, scores}.
import { performance } from 'node:perf_hooks';
import { classify, classifySettings, resolveClassifier } from '../lib/classify';
import { translate } from './shared/i18n';
import { outputOrder } from './shared/output-order';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';
import { readyStatus } from './shared/status';
import { createNode, onInput, readSettings, useModel } from './shared/template';
import { addTimings, withMs } from './shared/timings';

const TYPE = 'mlops-classify';

interface ClassifyNodeConfig extends NodeDefinition {
  model?: string;
}

export = function register(RED: NodeAPI): void {
  function MlopsClassifyNode(this: Node, config: ClassifyNodeConfig) {
    const node = createNode(RED, this, config);
    const settings = readSettings(node, () => classifySettings(config));
    // Only for the labels and threshold in its metadata: without a model they come from the settings.
    const model = useModel(RED, node, config.model, { optional: true });

    onInput(node, (msg, send) => {
      const started = performance.now();
      // Read per message: the model may finish loading after this node starts.
      const predictions = classify(msg.outputs, resolveClassifier(settings!, model?.info?.metadata), outputOrder(msg.outputNames, model));
      const first = predictions[0]!;
      msg.prediction = first;
      if (predictions.length > 1) msg.predictions = predictions;
      const own = performance.now() - started;
      addTimings(msg, { classify: own });
      node.status(withMs(RED, TYPE, readyStatus(translate(RED, `${TYPE}.status.prediction`, '__label__ __score__', { label: first.label, score: first.score.toFixed(3) })), own));
      send(msg);
    });
  }
  RED.nodes.registerType(TYPE, MlopsClassifyNode);
};
