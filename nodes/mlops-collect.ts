// mlops-collect: keeps pictures worth a label (with the prediction as a pseudo-label) in a bounded local store,
// optionally uploading each as a Cumulocity event with the picture through an mlops-c8y connection.
import os from 'node:os';
import path from 'node:path';
import { CollectPolicy, SampleStore, checkSampleInput, collectSettings, pixelUncertainty, sampleFiles, type CollectSettings, type Uncertainty } from '../lib/collect';
import { outputNamesInModelOrder, type ConditionResult, type ImageData, type OutputTensor } from '../lib/contract';
import { PipelineError } from '../lib/errors';
import { buildPublication } from '../lib/publishing/inspection';
import type { C8yConnectionNode } from './mlops-c8y';
import { translate } from './shared/i18n';
import { outputOrder } from './shared/output-order';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';
import { flowVersion } from './shared/flow-version';
import { readyStatus, warningStatus } from './shared/status';
import { createNode, onInput, readSettings, rejectConfig } from './shared/template';

const TYPE = 'mlops-collect';

interface CollectNodeConfig extends NodeDefinition { directory?: string; connection?: string }

export = function register(RED: NodeAPI): void {
  function MlopsCollectNode(this: Node, config: CollectNodeConfig) {
    const node = createNode(RED, this, config);
    const directory = config.directory?.trim() || path.join(RED.settings.userDir ?? os.tmpdir(), 'mlops-collect', node.id.replace(/[^A-Za-z0-9_.-]/g, '_'));
    const ready = readSettings(node, () => {
      const settings: CollectSettings = collectSettings(config);
      return { settings, store: new SampleStore(directory, { maxCount: settings.maxCount, maxBytes: settings.maxBytes }), policy: new CollectPolicy(settings.rules) };
    });
    let connection: C8yConnectionNode | undefined;
    if (ready?.settings.upload) {
      connection = (config.connection ? RED.nodes.getNode(config.connection) as C8yConnectionNode | null : null) ?? undefined;
      if (!connection) rejectConfig(node, new PipelineError('no-connection', 'uploading is on but no mlops-c8y connection is selected; select one or turn uploading off', {}));
      else {
        const used = connection;
        used.register(node.id);
        node.on('close', (_removed: boolean, done: () => void) => { used.deregister(node.id).then(done, done); });
      }
    }
    let limited = 0;
    const showCounts = () => {
      if (!ready) return;
      const { store } = ready;
      const text = translate(RED, `${TYPE}.status.counts`, 'kept __count__ · evicted __evicted__ · limited __limited__', { count: store.count, evicted: store.evicted, limited });
      node.status(store.evicted > 0 ? warningStatus(text) : readyStatus(text));
    };
    if (ready && (!ready.settings.upload || connection)) showCounts();

    onInput(node, async (msg, send) => {
      if (!ready) return; // unreachable: onInput fails messages while the settings are invalid
      const { settings, store, policy } = ready;
      checkSampleInput(msg.image, msg.segmentation);
      const segmentation = msg.segmentation;
      const condition = msg.condition as ConditionResult | undefined;
      const outputs = msg.outputs as Record<string, OutputTensor> | undefined;
      const outputName = settings.output ?? segmentation.output ?? (outputs ? outputNamesInModelOrder(outputs, outputOrder(msg.outputNames))[0] : undefined);
      const lowConfidence = settings.rules.find((r) => r.kind === 'uncertain' && r.measure === 'low-confidence');
      let uncertainty: Uncertainty | undefined;
      // Measured only when an uncertainty rule is reached, once per message.
      const measure = () => {
        const output = outputName ? outputs?.[outputName] : undefined;
        if (!output) throw new PipelineError('no-outputs', `the uncertainty rules need the model output "${outputName ?? '?'}" in msg.outputs: keep msg.outputs from mlops-infer`, {});
        uncertainty ??= pixelUncertainty(output, outputName!, lowConfidence?.kind === 'uncertain' ? lowConfidence.confidence : 0.6);
        return uncertainty;
      };
      const decision = policy.decide({
        requested: msg.collect === true, state: condition?.state, ratios: condition?.ratios, thresholds: condition?.thresholds,
        uncertainty: outputs ? measure : undefined,
      });
      if (!decision.keep) {
        msg.collected = { kept: false, ...(decision.limited.length ? { limitedBy: decision.limited.map((i) => i + 1) } : {}) };
        if (decision.limited.length) {
          limited++;
          showCounts();
        }
        send(msg);
        return;
      }
      const model = msg.model as { name?: string; version?: string } | undefined;
      const flow = flowVersion(RED, node, msg);
      const assetId = typeof msg.assetId === 'string' && msg.assetId ? msg.assetId : condition?.assetId;
      const time = new Date();
      const { files, meta } = await sampleFiles({
        image: msg.image as ImageData, segmentation, condition, assetId, model, flow, uncertainty,
        rule: { index: decision.rule + 1, kind: decision.kind, reason: decision.reason },
      }, time);
      const { sample, evicted } = await store.add(files, meta, time); // on disk before it is reported kept
      const collected: Record<string, unknown> = { kept: true, id: sample.id, rule: decision.rule + 1, reason: decision.reason, evicted: evicted.length };
      if (connection) {
        const publication = buildPublication({
          assetId: assetId ?? 'unknown', time, image: msg.image as ImageData, model, flow,
          eventText: `Training sample ${sample.id}: ${decision.reason}`, eventFragments: { mlops_TrainingSample: { id: sample.id, ...meta } },
        }, {
          measurementType: '', eventType: settings.eventType, alarmType: '', externalIdPrefix: connection.externalIdPrefix,
          select: { measurements: false, event: true, alarm: false, twin: false, originalImage: true, overlayImage: false },
        });
        const { queued, dropped, durable } = connection.publish(publication, '');
        await durable; // on disk before the message says it was kept
        collected.upload = { queued, dropped };
      }
      msg.collected = collected;
      showCounts();
      send(msg);
    });
  }
  RED.nodes.registerType(TYPE, MlopsCollectNode);
};
