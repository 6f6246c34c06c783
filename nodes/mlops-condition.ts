// mlops-condition: msg.segmentation (+ msg.image for picture checks) → msg.condition (asset health state).
import { performance } from 'node:perf_hooks';
import { ConditionInspector, conditionSettings } from '../lib/condition';
import type { ConditionResult, ImageData } from '../lib/contract';
import { translate } from './shared/i18n';
import type { Node, NodeAPI, NodeDefinition, NodeStatus } from './shared/red';
import { flowVersion } from './shared/flow-version';
import { createNode, onInput, readSettings } from './shared/template';
import { addTimings } from './shared/timings';
import { recordInspection } from './shared/inspections';
import { inspectionSummary } from '../lib/preview/inspection-log';
import { formatMs, totalMs } from '../lib/timings';

const TYPE = 'mlops-condition';

type ConditionNodeConfig = NodeDefinition;

const STATUS_LOOK: Record<ConditionResult['state'], Pick<NodeStatus, 'fill' | 'shape'>> = {
  OK: { fill: 'green', shape: 'dot' },
  WARNING: { fill: 'yellow', shape: 'dot' },
  CRITICAL: { fill: 'red', shape: 'dot' },
  RETAKE: { fill: 'blue', shape: 'ring' },
};

/** The state (or the retake reason), then the pipeline's total: the sum of every stage msg.timings carries. */
function statusText(RED: NodeAPI, condition: ConditionResult, pipelineMs: number): string {
  // A status is a line under the node, not the place for figures: the reasons' headings ("too blurry, too dark");
  // msg.condition.reasons has them in full.
  const headings = condition.reasons.map((reason) => reason.split(':')[0]!.trim());
  const values = { asset: condition.assetType, state: condition.state, reason: headings.join(', ') };
  const judged = condition.state === 'RETAKE'
    ? translate(RED, `${TYPE}.status.retake`, `retake: ${values.reason}`, values)
    : translate(RED, `${TYPE}.status.state`, `${values.asset}: ${values.state}`, values);
  const ms = formatMs(pipelineMs);
  return `${judged} · ${translate(RED, `${TYPE}.status.total`, `total ${ms} ms`, { ms })}`;
}

export = function register(RED: NodeAPI): void {
  function MlopsConditionNode(this: Node, config: ConditionNodeConfig) {
    const node = createNode(RED, this, config);
    const inspector = readSettings(node, () => new ConditionInspector(conditionSettings(config)));

    onInput(node, (msg, send) => {
      if (!inspector) return; // unreachable: invalid settings are a configuration error, which onInput reports
      const started = performance.now();
      // A classifier's prediction is judged when there is no segmentation.
      const condition = msg.segmentation === undefined && msg.prediction !== undefined
        ? inspector.inspectPrediction(msg.prediction, msg.assetId)
        : inspector.inspect(msg.segmentation, msg.image as ImageData | undefined, msg.assetId);
      msg.condition = condition;
      addTimings(msg, { condition: performance.now() - started });
      node.status({ ...STATUS_LOOK[condition.state], text: statusText(RED, condition, totalMs(msg.timings)) });
      // For the editor's "edge ML" sidebar: model and flow versions as mlops-c8y-out reports them.
      const summary = inspectionSummary({
        msgId: msg._msgid, assetId: condition.assetId, condition, model: msg.model, timings: msg.timings, at: Date.now(), node: node.id,
        flow: flowVersion(RED, node, msg),
      });
      send(msg);
      recordInspection(RED, summary);
    });
  }
  RED.nodes.registerType(TYPE, MlopsConditionNode);
};
