// mlops-condition: msg.segmentation (+ msg.image for picture checks) → msg.condition (asset health state).
import { performance } from 'node:perf_hooks';
import { ConditionInspector, conditionSettings } from '../lib/condition';
import type { ConditionResult, ImageData } from '../lib/contract';
import { failMessage } from './shared/failure';
import { translate } from './shared/i18n';
import type { Node, NodeAPI, NodeDefinition, NodeStatus } from './shared/red';
import { addTimings } from './shared/timings';

const TYPE = 'mlops-condition';

const STATUS_LOOK: Record<ConditionResult['state'], Pick<NodeStatus, 'fill' | 'shape'>> = {
  OK: { fill: 'green', shape: 'dot' },
  WARNING: { fill: 'yellow', shape: 'dot' },
  CRITICAL: { fill: 'red', shape: 'dot' },
  RETAKE: { fill: 'blue', shape: 'ring' },
};

function translated(RED: NodeAPI, key: string, substitutions: Record<string, string | number>, english: string): string {
  return translate(RED, `${TYPE}.${key}`, english, substitutions);
}

function statusText(RED: NodeAPI, condition: ConditionResult): string {
  const values = { asset: condition.assetType, state: condition.state, reason: condition.reasons[0] ?? '' };
  if (condition.state === 'RETAKE') return translated(RED, 'status.retake', values, `retake: ${values.reason}`);
  return translated(RED, 'status.state', values, `${values.asset}: ${values.state}`);
}

export = function register(RED: NodeAPI): void {
  function ConditionNode(this: Node, config: NodeDefinition) {
    RED.nodes.createNode(this, config);
    const node = this;
    let inspector: ConditionInspector | undefined;
    let configError: unknown;
    try {
      inspector = new ConditionInspector(conditionSettings(config));
    } catch (err) {
      configError = err;
      node.status({ fill: 'red', shape: 'ring', text: translated(RED, 'status.badConfig', {}, 'invalid settings') });
    }

    node.on('input', (msg, send, done) => {
      if (!inspector) {
        failMessage(RED, node, configError, done);
        return;
      }
      const started = performance.now();
      try {
        // A classifier's prediction is judged when there is no segmentation.
        const condition = msg.segmentation === undefined && msg.prediction !== undefined
          ? inspector.inspectPrediction(msg.prediction, msg.assetId)
          : inspector.inspect(msg.segmentation, msg.image as ImageData | undefined, msg.assetId);
        msg.condition = condition;
        addTimings(msg, { condition: performance.now() - started });
        node.status({ ...STATUS_LOOK[condition.state], text: statusText(RED, condition) });
        send(msg);
        done();
      } catch (err) {
        failMessage(RED, node, err, done);
      }
    });
  }
  RED.nodes.registerType(TYPE, ConditionNode);
};
