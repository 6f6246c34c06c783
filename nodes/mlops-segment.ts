// mlops-segment: model output → class map, statistics, components, overlay and annotations on msg.
import { performance } from 'node:perf_hooks';
import type { ImageData, SegmentationResult, TensorData } from '../lib/contract';
import { segment, presentClasses, type SegmentOptions } from '../lib/segmentation';
import { segmentOptionsFromConfig, type SegmentNodeConfig } from '../lib/segmentation/config';
import { failMessage } from './shared/failure';
import { translate } from './shared/i18n';
import type { ModelConfigNode } from './shared/model-node';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';
import { addTimings } from './shared/timings';

const TYPE = 'mlops-segment';

interface SegmentNodeDefinition extends NodeDefinition, SegmentNodeConfig {
  model?: string;
}

function percentText(ratio: number): string {
  const percent = ratio * 100;
  return percent >= 10 ? String(Math.round(percent)) : percent.toFixed(1);
}

function translated(RED: NodeAPI, key: string, substitutions: Record<string, string | number>, english: string): string {
  return translate(RED, `${TYPE}.${key}`, english, substitutions);
}

function statusText(RED: NodeAPI, result: SegmentationResult, includeBackground: boolean): string {
  const dominant = presentClasses(result.classes, includeBackground)[0];
  if (!dominant) return translated(RED, 'status.nothing', {}, 'nothing found');
  const count = result.components.length;
  const values = { count, label: dominant.label, percent: percentText(dominant.ratio) };
  const summary = `${values.label} ${values.percent}%`;
  return count === 1
    ? translated(RED, 'status.summaryOne', values, `1 component · ${summary}`)
    : translated(RED, 'status.summary', values, `${count} components · ${summary}`);
}

export = function register(RED: NodeAPI): void {
  function SegmentNode(this: Node, config: SegmentNodeDefinition) {
    RED.nodes.createNode(this, config);
    const node = this;
    let options: SegmentOptions | undefined;
    let configError: unknown;
    try {
      options = segmentOptionsFromConfig(config);
    } catch (err) {
      configError = err;
      node.status({ fill: 'red', shape: 'ring', text: translated(RED, 'status.badConfig', {}, 'invalid settings') });
    }
    const modelNode = config.model ? (RED.nodes.getNode(config.model) as ModelConfigNode | null) : null;

    node.on('input', (msg, send, done) => {
      const started = performance.now();
      if (!options) {
        failMessage(RED, node, configError, done);
        return;
      }
      const settings = options;
      const tensor = msg.tensor as TensorData | undefined;
      segment(
        { outputs: msg.outputs, geometry: tensor?.geometry, image: msg.image as ImageData | undefined, metadata: modelNode?.info?.metadata },
        settings,
      ).then(({ result, annotations }) => {
        msg.segmentation = result;
        // Boxes from earlier nodes stay; ours are added after them.
        msg.annotations = Array.isArray(msg.annotations) ? [...msg.annotations, ...annotations] : annotations;
        addTimings(msg, { postprocess: performance.now() - started });
        node.status({ fill: 'green', shape: 'dot', text: statusText(RED, result, settings.includeBackground) });
        send(msg);
        done();
      }).catch((err: unknown) => failMessage(RED, node, err, done));
    });
  }
  RED.nodes.registerType(TYPE, SegmentNode);
};
