// mlops-segment: model output → class map, statistics, components, overlay and annotations on msg.
import { performance } from 'node:perf_hooks';
import type { ImageData, SegmentationResult, TensorData } from '../lib/contract';
import {
  segment, presentClasses, type SegmentOptions, type ReadingBasis, type SingleChannelMode, type SingleChannelReading,
} from '../lib/segmentation';
import { segmentOptionsFromConfig, type SegmentNodeConfig } from '../lib/segmentation/config';
import { failMessage } from './shared/failure';
import { translate } from './shared/i18n';
import type { ModelConfigNode } from './shared/model-node';
import type { Node, NodeAPI, NodeDefinition, NodeStatus } from './shared/red';
import { readyStatus, warningStatus } from './shared/status';
import { addTimings } from './shared/timings';
import { sharedSegmentPool } from '../lib/segmentation/segment-pool';

const TYPE = 'mlops-segment';

interface SegmentNodeDefinition extends NodeDefinition, SegmentNodeConfig {
  model?: string;
  /** Where post-processing runs: a worker thread (default) or the main thread (tiny outputs: no copy, no hop). */
  thread?: string;
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

/** The model's output order: msg.outputNames from mlops-infer, else the selected model's description. */
function outputOrder(fromMessage: unknown, modelNode: ModelConfigNode | null): string[] | undefined {
  if (Array.isArray(fromMessage) && fromMessage.every((n) => typeof n === 'string')) return fromMessage as string[];
  return modelNode?.info?.outputs?.map((o) => o.name);
}

const READING_WORD: Record<SingleChannelMode, string> = { sigmoid: 'logits', probability: 'probabilities' };
const BASIS_WORD: Record<Exclude<ReadingBasis, 'setting'>, string> = { metadata: 'model metadata', name: 'output name', range: 'values' };

function readingName(RED: NodeAPI, mode: SingleChannelMode): string {
  return translated(RED, `reading.${mode}`, {}, READING_WORD[mode]);
}

/** A setting that contradicts the evidence: the decisive part (what the values look like) first. */
function conflictText(RED: NodeAPI, output: string, reading: SingleChannelReading): string {
  const values = { output, evidence: readingName(RED, reading.conflict!.evidence), setting: readingName(RED, reading.mode),
    basis: translated(RED, `basis.${reading.conflict!.basis}`, {}, BASIS_WORD[reading.conflict!.basis]) };
  return translated(RED, 'status.conflict', values,
    `output "${values.output}" looks like ${values.evidence} (${values.basis}) but is read as ${values.setting}; check the 1-channel setting`);
}

function resultStatus(RED: NodeAPI, result: SegmentationResult, includeBackground: boolean, reading?: SingleChannelReading): NodeStatus {
  const summary = statusText(RED, result, includeBackground);
  if (reading?.conflict) {
    const looks = translated(RED, 'status.looksLike', { evidence: readingName(RED, reading.conflict.evidence) }, `looks like ${readingName(RED, reading.conflict.evidence)}?`);
    return warningStatus(`${looks} · ${summary}`);
  }
  if (reading && reading.basis !== 'setting') {
    const auto = translated(RED, 'status.readAs', { reading: readingName(RED, reading.mode) }, `read as ${readingName(RED, reading.mode)}`);
    return readyStatus(`${summary} · ${auto}`);
  }
  return readyStatus(summary);
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
    const offThread = config.thread !== 'main';
    if (offThread) sharedSegmentPool.register(node.id);
    node.on('close', (_removed: boolean, closed: () => void) => {
      if (offThread) sharedSegmentPool.deregister(node.id).then(closed, closed);
      else closed();
    });
    const decided = new Map<string, SingleChannelReading>();
    const warned = new Set<string>();
    function warnOnce(output: string, reading: SingleChannelReading): void {
      if (warned.has(output)) return;
      warned.add(output);
      node.warn(conflictText(RED, output, reading));
    }

    node.on('input', (msg, send, done) => {
      const started = performance.now();
      if (!options) {
        failMessage(RED, node, configError, done);
        return;
      }
      const tensor = msg.tensor as TensorData | undefined;
      // `auto` is decided on the first result of each output and kept, so one odd frame cannot flip the reading.
      const earlier = decided.get(options.outputName ?? '');
      const settings = { ...options, singleChannel: earlier?.mode ?? options.singleChannel };
      const input = {
        outputs: msg.outputs, geometry: tensor?.geometry, image: msg.image as ImageData | undefined, metadata: modelNode?.info?.metadata,
        outputOrder: outputOrder(msg.outputNames, modelNode),
      };
      (offThread ? sharedSegmentPool.run(input, settings) : segment(input, settings)).then(({ result, annotations, reading }) => {
        msg.segmentation = result;
        // Boxes from earlier nodes stay; ours are added after them.
        msg.annotations = Array.isArray(msg.annotations) ? [...msg.annotations, ...annotations] : annotations;
        addTimings(msg, { postprocess: performance.now() - started });
        if (reading && !earlier && options!.singleChannel === 'auto') decided.set(options!.outputName ?? '', reading);
        if (reading?.conflict) warnOnce(result.output ?? '', reading);
        const shown = reading && !reading.conflict && earlier ? earlier : reading;
        node.status(resultStatus(RED, result, settings.includeBackground, shown));
        send(msg);
        done();
      }).catch((err: unknown) => failMessage(RED, node, err, done));
    });
  }
  RED.nodes.registerType(TYPE, SegmentNode);
};
