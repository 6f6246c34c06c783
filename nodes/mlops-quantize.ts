// mlops-quantize: int8-quantizes the model of an mlops-model config node with calibration tensors that arrive on
// msg.tensor (or a folder of images) and writes <name>.int8.onnx next to it. The work runs in a worker thread.
import { PipelineError } from '../lib/errors';
import { CalibrationCollector, int8ModelPath } from '../lib/quantize/collector';
import { normalisationText, type QuantizeJob, type QuantizeSummary } from '../lib/quantize/job';
import { runQuantizeJobInWorker } from '../lib/quantize/run-in-worker';
import { failMessage } from './shared/failure';
import { translate } from './shared/i18n';
import type { ModelConfigNode } from './shared/model-node';
import type { Node, NodeAPI, NodeDefinition, NodeMessage } from './shared/red';

interface QuantizeNodeDefinition extends NodeDefinition {
  model: string;
  mode?: string;
  method?: string;
  perChannel?: boolean;
  activationType?: string;
  exclude?: string;
  samples?: number | string;
  folder?: string;
  compare?: boolean;
  runs?: number | string;
  threshold?: number | string;
  weightBits?: string;
  targetAgreement?: number | string;
  /** Not `outputs`: Node-RED keeps a node's output count under that name. */
  judgeOutputs?: string;
}

const NORMALISATION_DEFAULTS_ENGLISH = 'calibration images were normalised with __settings__';

const STATUS_ENGLISH = {
  collecting: 'collected __count__/__target__',
  running: '__stage__ __done__/__total__',
  done: 'int8: __ratio__× size__details__',
};

module.exports = function register(RED: NodeAPI) {
  function MlopsQuantizeNode(this: Node, config: QuantizeNodeDefinition) {
    RED.nodes.createNode(this, config);
    const node = this;
    const target = Math.max(1, Math.floor(Number(config.samples) || 20));
    const collector = new CalibrationCollector(target);
    let running: AbortController | undefined;
    const t = (key: keyof typeof STATUS_ENGLISH, subs: Record<string, string | number>) =>
      translate(RED, `mlops-quantize.status.${key}`, STATUS_ENGLISH[key], subs);

    const modelNode = (): ModelConfigNode => {
      const model = RED.nodes.getNode(config.model) as ModelConfigNode | null;
      if (!model) throw new PipelineError('no-model', 'no mlops-model is selected; choose the model to quantize in the node', {});
      return model;
    };

    const wantedAgreement = Number(config.targetAgreement);
    const targetAgreement = String(config.targetAgreement ?? '').trim() !== '' && wantedAgreement > 0 && wantedAgreement <= 1 ? wantedAgreement : undefined;
    const judged = String(config.judgeOutputs ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const baseJob = (modelPath: string): Omit<QuantizeJob, 'samples' | 'calibrationDir'> => ({
      inputPath: modelPath,
      outputPath: int8ModelPath(modelPath),
      options: {
        mode: config.mode === 'dynamic' ? 'dynamic' : 'static',
        method: config.method === 'minmax' || config.method === 'entropy' ? config.method : 'percentile',
        perChannel: config.perChannel !== false,
        activationType: config.activationType === 'int8' ? 'int8' : 'uint8',
        exclude: String(config.exclude ?? '').split(',').map((s) => s.trim()).filter(Boolean),
        weightBits: config.weightBits === '7' ? 7 : config.weightBits === '8' ? 8 : 'auto',
        threshold: Number(config.threshold) || 0.5,
        ...(targetAgreement !== undefined ? { targetAgreement } : {}),
        ...(judged.length > 0 ? { outputs: judged.includes('all') ? 'all' : judged } : {}),
      },
      compare: config.compare === false ? false : { runs: Math.max(1, Number(config.runs) || 10), threads: 1, threshold: Number(config.threshold) || 0.5 },
    });

    async function quantize(job: QuantizeJob): Promise<QuantizeSummary> {
      running = new AbortController();
      try {
        return await runQuantizeJobInWorker(job, (stage, done, total) => {
          node.status({ fill: 'blue', shape: 'dot', text: t('running', { stage, done, total }) });
        }, running.signal);
      } finally {
        running = undefined;
      }
    }

    // Reference counting like mlops-infer: the model stays loaded while a node uses it.
    const registered = RED.nodes.getNode(config.model) as ModelConfigNode | null;
    registered?.register(node.id);
    node.on('close', (_removed: boolean, closed: () => void) => {
      running?.abort();
      registered?.deregister(node.id);
      closed();
    });

    node.on('input', (msg: NodeMessage, send, done) => {
      (async () => {
        const model = modelNode();
        const info = await model.ready();
        // Checked after the last await before a job starts, so two messages cannot both start one.
        if (running) throw new PipelineError('busy', 'a quantization is already running; send the next calibration input when it has finished', {});
        let job: QuantizeJob;
        const folder = typeof msg.folder === 'string' && msg.folder ? msg.folder : config.folder;
        if (msg.tensor !== undefined) {
          const named = (msg.tensor as { name?: unknown } | null)?.name;
          const count = collector.add(msg.tensor, typeof named === 'string' && named ? named : info.inputs[0]?.name ?? 'input');
          if (!collector.full) {
            node.status({ fill: 'grey', shape: 'ring', text: t('collecting', { count, target }) });
            done();
            return;
          }
          job = { ...baseJob(model.modelPath), samples: collector.take() };
        } else if (folder) {
          job = { ...baseJob(model.modelPath), calibrationDir: folder };
        } else if (config.mode === 'dynamic') {
          job = baseJob(model.modelPath);
        } else {
          throw new PipelineError('no-calibration', 'the message has no msg.tensor and no calibration folder is set; send float32 tensors from mlops-tensor or set a folder (msg.folder)', {});
        }
        const summary = await quantize(job);
        const speed = summary.latency ? ` · ${summary.latency.speedup.toFixed(2)}×` : '';
        const agreement = summary.agreement?.[0];
        const tuning = summary.record.accuracyTuning;
        node.status({
          fill: tuning && !tuning.met ? 'yellow' : 'green', shape: 'dot',
          text: t('done', { ratio: summary.sizeRatio.toFixed(2), details: `${speed}${agreement ? ` · ${agreement.metric} ${agreement.score.toFixed(3)}` : ''}${tuning ? ` · ${tuning.floatNodes.length} float` : ''}` }),
        });
        if (summary.normalisation && summary.normalisation.defaulted.length > 0) {
          node.warn(translate(RED, 'mlops-quantize.warnings.normalisationDefaults', NORMALISATION_DEFAULTS_ENGLISH, { settings: normalisationText(summary.normalisation) }));
        }
        msg.payload = summary;
        msg.modelPath = summary.outputPath;
        send(msg);
        done();
      })().catch((err) => failMessage(RED, node, err, done));
    });
  }
  RED.nodes.registerType('mlops-quantize', MlopsQuantizeNode);
};
