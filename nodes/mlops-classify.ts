// mlops-classify: a classifier's msg.outputs (logits or probabilities) → msg.prediction {label, index, score, scores}.
import { performance } from 'node:perf_hooks';
import { classify, classifySettings, resolveClassifier, type ClassifySettings } from '../lib/classify';
import { failMessage } from './shared/failure';
import { translate } from './shared/i18n';
import type { ModelConfigNode } from './shared/model-node';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';
import { addTimings } from './shared/timings';

const TYPE = 'mlops-classify';

export = function register(RED: NodeAPI): void {
  function ClassifyNode(this: Node, config: NodeDefinition & { model?: string }) {
    RED.nodes.createNode(this, config);
    const node = this;
    let settings: ClassifySettings | undefined;
    let configError: unknown;
    try {
      settings = classifySettings(config);
    } catch (err) {
      configError = err;
      node.status({ fill: 'red', shape: 'ring', text: translate(RED, `${TYPE}.status.badConfig`, 'invalid settings') });
    }
    const modelNode = config.model ? (RED.nodes.getNode(config.model) as ModelConfigNode | null) : null;

    node.on('input', (msg, send, done) => {
      if (!settings) {
        failMessage(RED, node, configError, done);
        return;
      }
      const started = performance.now();
      try {
        // Labels and threshold from the model, read when the message comes: the model may load after this node starts.
        const predictions = classify(msg.outputs, resolveClassifier(settings, modelNode?.info?.metadata));
        const first = predictions[0]!;
        msg.prediction = first;
        if (predictions.length > 1) msg.predictions = predictions;
        addTimings(msg, { classify: performance.now() - started });
        node.status({ fill: 'green', shape: 'dot', text: translate(RED, `${TYPE}.status.prediction`, '__label__ __score__',
          { label: first.label, score: first.score.toFixed(3) }) });
        send(msg);
        done();
      } catch (err) {
        failMessage(RED, node, err, done);
      }
    });
  }
  RED.nodes.registerType(TYPE, ClassifyNode);
};
