// mlops-segment: model output → class map, statistics, components, overlay and annotations on msg.
import { performance } from 'node:perf_hooks';
import type { ImageData, SegmentationResult, TensorData } from '../lib/contract';
import {
  segment, presentClasses, type ReadingBasis, type SingleChannelMode, type SingleChannelReading,
} from '../lib/segmentation';
import { segmentOptionsFromConfig, type SegmentNodeConfig as SegmentSettingsConfig } from '../lib/segmentation/config';
import { translate } from './shared/i18n';
import { outputOrder } from './shared/output-order';
import type { Node, NodeAPI, NodeDefinition, NodeStatus } from './shared/red';
import { readyStatus, warningStatus } from './shared/status';
import { usePreviews, type LegendEntry } from './shared/preview';
import { createNode, onInput, readSettings, useModel } from './shared/template';
import { addTimings, withMs } from './shared/timings';
import { sharedSegmentPool } from '../lib/segmentation/segment-pool';

const TYPE = 'mlops-segment';

interface SegmentNodeConfig extends NodeDefinition, SegmentSettingsConfig {
  model?: string;
  /** Where post-processing runs: a worker thread (default) or the main thread (tiny outputs: no copy, no hop). */
  thread?: string;
  /** A thumbnail of the last overlay with its legend under the node in the editor (default on). */
  showPreview?: boolean;
}

function percentText(ratio: number): string {
  const percent = ratio * 100;
  return percent >= 10 ? String(Math.round(percent)) : percent.toFixed(1);
}

/** translate() for this node's catalog section. */
function translated(RED: NodeAPI, key: string, english: string, substitutions: Record<string, string | number> = {}): string {
  return translate(RED, `${TYPE}.${key}`, english, substitutions);
}

function statusText(RED: NodeAPI, result: SegmentationResult, includeBackground: boolean): string {
  const dominant = presentClasses(result.classes, includeBackground)[0];
  if (!dominant) return translated(RED, 'status.nothing', 'nothing found');
  const count = result.components.length;
  const values = { count, label: dominant.label, percent: percentText(dominant.ratio) };
  const summary = `${values.label} ${values.percent}%`;
  return count === 1
    ? translated(RED, 'status.summaryOne', `1 component · ${summary}`, values)
    : translated(RED, 'status.summary', `${count} components · ${summary}`, values);
}

const READING_WORD: Record<SingleChannelMode, string> = { sigmoid: 'logits', probability: 'probabilities' };
const BASIS_WORD: Record<Exclude<ReadingBasis, 'setting'>, string> = { metadata: 'model metadata', name: 'output name', range: 'values' };

function readingName(RED: NodeAPI, mode: SingleChannelMode): string {
  return translated(RED, `reading.${mode}`, READING_WORD[mode]);
}

/** A setting that contradicts the evidence: the decisive part (what the values look like) first. */
function conflictText(RED: NodeAPI, output: string, reading: SingleChannelReading): string {
  const values = { output, evidence: readingName(RED, reading.conflict!.evidence), setting: readingName(RED, reading.mode),
    basis: translated(RED, `basis.${reading.conflict!.basis}`, BASIS_WORD[reading.conflict!.basis]) };
  return translated(RED, 'status.conflict',
    `output "${values.output}" looks like ${values.evidence} (${values.basis}) but is read as ${values.setting}; check the 1-channel setting`, values);
}

function resultStatus(RED: NodeAPI, result: SegmentationResult, includeBackground: boolean, reading?: SingleChannelReading): NodeStatus {
  const summary = statusText(RED, result, includeBackground);
  if (reading?.conflict) {
    const looks = translated(RED, 'status.looksLike', `looks like ${readingName(RED, reading.conflict.evidence)}?`, { evidence: readingName(RED, reading.conflict.evidence) });
    return warningStatus(`${looks} · ${summary}`);
  }
  if (reading && reading.basis !== 'setting') {
    const auto = translated(RED, 'status.readAs', `read as ${readingName(RED, reading.mode)}`, { reading: readingName(RED, reading.mode) });
    return readyStatus(`${summary} · ${auto}`);
  }
  return readyStatus(summary);
}

/** The classes present, largest first, for the legend under the preview (at most four). */
function legendOf(result: SegmentationResult, includeBackground: boolean): LegendEntry[] {
  return presentClasses(result.classes, includeBackground).slice(0, 4)
    .map((c) => ({ label: c.label, color: c.color, percent: Math.round(c.ratio * 1000) / 10 }));
}

export = function register(RED: NodeAPI): void {
  function MlopsSegmentNode(this: Node, config: SegmentNodeConfig) {
    const node = createNode(RED, this, config);
    const options = readSettings(node, () => segmentOptionsFromConfig(config));
    const modelNode = useModel(RED, node, config.model, { optional: true });
    const offThread = config.thread !== 'main';
    if (offThread) sharedSegmentPool.register(node.id);
    node.on('close', (_removed: boolean, closed: () => void) => {
      if (offThread) sharedSegmentPool.deregister(node.id).then(closed, closed);
      else closed();
    });
    const previews = usePreviews(RED, node, 'segment', config.showPreview);
    const decided = new Map<string, SingleChannelReading>();
    const warned = new Set<string>();
    function warnOnce(output: string, reading: SingleChannelReading): void {
      if (warned.has(output)) return;
      warned.add(output);
      node.warn(conflictText(RED, output, reading));
    }

    onInput(node, async (msg, send) => {
      if (!options) return; // unreachable: invalid settings are a configuration error, which onInput reports
      const started = performance.now();
      const tensor = msg.tensor as TensorData | undefined;
      // `auto` is decided on the first result of each output and kept, so one odd frame cannot flip the reading.
      const earlier = decided.get(options.outputName ?? '');
      const settings = { ...options, singleChannel: earlier?.mode ?? options.singleChannel };
      const input = {
        outputs: msg.outputs, geometry: tensor?.geometry, image: msg.image as ImageData | undefined, metadata: modelNode?.info?.metadata,
        outputOrder: outputOrder(msg.outputNames, modelNode),
      };
      const { result, annotations, reading } = await (offThread ? sharedSegmentPool.run(input, settings) : segment(input, settings));
      msg.segmentation = result;
      // Boxes from earlier nodes stay; ours are added after them.
      msg.annotations = Array.isArray(msg.annotations) ? [...msg.annotations, ...annotations] : annotations;
      const postprocess = performance.now() - started;
      addTimings(msg, { postprocess });
      if (reading && !earlier && options.singleChannel === 'auto') decided.set(options.outputName ?? '', reading);
      if (reading?.conflict) warnOnce(result.output ?? '', reading);
      const shown = reading && !reading.conflict && earlier ? earlier : reading;
      node.status(withMs(RED, TYPE, resultStatus(RED, result, settings.includeBackground, shown), postprocess));
      send(msg);
      // Without an overlay (switched off) there is no picture to preview.
      if (result.overlay) {
        previews?.offer({
          picture: { encoded: result.overlay }, msgId: msg._msgid, assetId: msg.assetId,
          source: { width: result.width, height: result.height }, legend: legendOf(result, settings.includeBackground),
        });
      }
    });
  }
  RED.nodes.registerType(TYPE, MlopsSegmentNode);
};
