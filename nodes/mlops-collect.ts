// mlops-collect: keeps pictures worth a label (with the prediction as a pseudo-label) in a bounded local store,
// optionally uploading each as a Cumulocity event with the picture through an mlops-c8y connection.
import os from 'node:os';
import path from 'node:path';
import { CollectPolicy, SampleStore, checkSampleInput, collectSettings, pixelUncertainty, sampleFiles, type CollectSettings, type Uncertainty } from '../lib/collect';
import type { ConditionResult, ImageData, OutputTensor } from '../lib/contract';
import { PipelineError } from '../lib/errors';
import { buildPublication } from '../lib/publishing/inspection';
import type { C8yConnectionNode } from './mlops-c8y';
import { describeError, failMessage } from './shared/failure';
import { translate } from './shared/i18n';
import type { Node, NodeAPI, NodeDefinition, NodeMessage } from './shared/red';

const TYPE = 'mlops-collect';

function collectDirectory(RED: NodeAPI, nodeId: string): string {
  return path.join(RED.settings.userDir ?? os.tmpdir(), 'mlops-collect', nodeId.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

export = function register(RED: NodeAPI): void {
  function MlopsCollectNode(this: Node, config: NodeDefinition & { directory?: string; connection?: string }) {
    RED.nodes.createNode(this, config);
    const node = this;
    const t = (key: string, english: string, subs: Record<string, string | number> = {}) => translate(RED, `${TYPE}.${key}`, english, subs);
    let settings: CollectSettings | undefined;
    let store: SampleStore | undefined;
    let policy: CollectPolicy | undefined;
    let configError: unknown;
    try {
      settings = collectSettings(config);
      store = new SampleStore(config.directory?.trim() || collectDirectory(RED, node.id), { maxCount: settings.maxCount, maxBytes: settings.maxBytes });
      policy = new CollectPolicy(settings.rules);
    } catch (err) {
      configError = err;
      node.status({ fill: 'red', shape: 'ring', text: describeError(RED, TYPE, err) });
    }
    const connection = settings?.upload && config.connection ? RED.nodes.getNode(config.connection) as C8yConnectionNode | null : null;
    if (settings?.upload && !connection && !configError) {
      configError = new PipelineError('no-connection', 'uploading is on but no mlops-c8y connection is selected; select one or turn uploading off', {});
      node.status({ fill: 'red', shape: 'ring', text: describeError(RED, TYPE, configError) });
    }
    if (connection) {
      connection.register(node);
      node.on('close', (_removed: boolean, done: () => void) => { connection.deregister(node).then(done, done); });
    }
    let limited = 0;
    const showCounts = () => {
      if (!store) return;
      const text = t('status.counts', 'kept __count__ · evicted __evicted__ · limited __limited__', { count: store.count, evicted: store.evicted, limited });
      node.status({ fill: store.evicted > 0 ? 'yellow' : 'green', shape: 'dot', text });
    };
    if (store && !configError) showCounts();

    const env = (name: string, msg: NodeMessage) => {
      const value = RED.util.evaluateNodeProperty(name, 'env', node, msg);
      return typeof value === 'string' && value !== '' ? value : undefined;
    };

    node.on('input', (msg, send, done) => {
      (async () => {
        if (!store || !policy || !settings || configError) throw configError;
        checkSampleInput(msg.image, msg.segmentation);
        const segmentation = msg.segmentation;
        const condition = msg.condition as ConditionResult | undefined;
        let uncertainty: Uncertainty | undefined;
        const outputs = msg.outputs as Record<string, OutputTensor> | undefined;
        const outputName = settings.output ?? segmentation.output ?? (outputs ? Object.keys(outputs)[0] : undefined);
        const measure = () => {
          const output = outputName ? outputs?.[outputName] : undefined;
          if (!output) throw new PipelineError('no-outputs', `the uncertainty rules need the model output "${outputName ?? '?'}" in msg.outputs: keep msg.outputs from mlops-infer`, {});
          const confidence = settings!.rules.find((r) => r.kind === 'uncertain' && r.measure === 'low-confidence');
          uncertainty ??= pixelUncertainty(output, outputName!, confidence?.kind === 'uncertain' ? confidence.confidence : 0.6);
          return uncertainty;
        };
        const decision = policy.decide({
          requested: msg.collect === true, state: condition?.state, ratios: condition?.ratios, thresholds: condition?.thresholds,
          uncertainty: outputs ? measure : undefined,
        });
        if (!decision.keep) {
          limited += decision.limited.length > 0 ? 1 : 0;
          msg.collected = { kept: false, ...(decision.limited.length ? { limitedBy: decision.limited.map((i) => i + 1) } : {}) };
          if (decision.limited.length) showCounts();
          send(msg);
          return;
        }
        const model = msg.model as { name?: string; version?: string } | undefined;
        const flow = { name: env('MODULE_NAME', msg), version: env('MODULE_VERSION', msg) };
        const assetId = typeof msg.assetId === 'string' && msg.assetId ? msg.assetId : condition?.assetId;
        const time = new Date();
        const { files, meta } = await sampleFiles({
          image: msg.image as ImageData, segmentation, condition, assetId, model, flow, uncertainty,
          rule: { index: decision.rule + 1, kind: decision.kind, reason: decision.reason },
        }, time);
        const { sample, evicted } = store.add(files, meta, time);
        msg.collected = { kept: true, id: sample.id, rule: decision.rule + 1, reason: decision.reason, evicted: evicted.length };
        if (connection) {
          const publication = buildPublication({
            assetId: assetId ?? 'unknown', time, image: msg.image as ImageData, model, flow,
            eventText: `Training sample ${sample.id}: ${decision.reason}`, eventFragments: { mlops_TrainingSample: { id: sample.id, ...meta } },
          }, {
            measurementType: '', eventType: settings.eventType, alarmType: '', externalIdPrefix: connection.externalIdPrefix,
            select: { measurements: false, event: true, alarm: false, twin: false, originalImage: true, overlayImage: false },
          });
          const queued = connection.publish(publication, '');
          (msg.collected as Record<string, unknown>).upload = queued;
        }
        showCounts();
        send(msg);
      })().then(() => done(), (err) => failMessage(RED, node, err, done));
    });
  }
  RED.nodes.registerType(TYPE, MlopsCollectNode);
};
