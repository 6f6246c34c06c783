// mlops-quantize: int8-quantizes the model of an mlops-model config node with calibration tensors that arrive on
// msg.tensor (or a folder of images) and writes <name>.int8.onnx next to it (a bundled model's into <userDir>/models).
// The work runs in a worker thread.
import { PipelineError } from '../lib/errors';
import { CalibrationCollector, calibrationFolderPath, int8ModelPath, modelFileSetting } from '../lib/quantize/collector';
import { normalisationText, type QuantizeJob, type QuantizeSummary } from '../lib/quantize/job';
import { runQuantizeJobInWorker } from '../lib/quantize/run-in-worker';
import { badSetting, enumSetting, numberSetting, positiveInteger } from '../lib/settings';
import { translate } from './shared/i18n';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';
import { waitingStatus } from './shared/status';
import { createNode, onInput, readSettings, useModel } from './shared/template';

interface QuantizeNodeConfig extends NodeDefinition {
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
  /** MiB of activations fetched per calibration inference; empty: the default (256). */
  maxMemory?: number | string;
}

const NORMALISATION_DEFAULTS_ENGLISH = 'calibration images were normalised with __settings__';
const FEW_PICTURES_ENGLISH = 'calibrated with __count__ pictures from __folder__, fewer than the __target__ set in "Calibration inputs": ranges measured on few pictures may clip production pictures; add pictures like them to the folder, or lower the setting';
const WRITTEN_ENGLISH = 'int8 model __version__ written to __path__; to inspect with it, set the file of the mlops-model configuration to __file__';

const STATUS_ENGLISH = {
  collecting: 'collected __count__/__target__',
  running: '__stage__ __done__/__total__',
  done: 'int8: __ratio__× size__details__',
};

/** The node's settings, checked once at deploy (the editor validates the same ranges). */
function quantizeSettings(config: QuantizeNodeConfig) {
  const targetAgreement = numberSetting(config.targetAgreement, 'targetAgreement', undefined, { min: 0, max: 1 });
  if (targetAgreement === 0) throw badSetting('targetAgreement', 'number above 0 and at most 1', config.targetAgreement);
  const judged = String(config.judgeOutputs ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const threshold = numberSetting(config.threshold, 'threshold', 0.5, { min: 0, max: 1, exclusive: true });
  const weightBits = enumSetting(config.weightBits, 'weightBits', ['auto', '7', '8'] as const, 'auto');
  const maxMemory = numberSetting(config.maxMemory, 'maxMemory', undefined, { min: 0 });
  if (maxMemory === 0) throw badSetting('maxMemory', 'number of MiB above 0', config.maxMemory);
  return {
    samples: positiveInteger(config.samples, 'samples', 20),
    options: {
      mode: enumSetting(config.mode, 'mode', ['static', 'dynamic'] as const, 'static'),
      method: enumSetting(config.method, 'method', ['percentile', 'minmax', 'entropy', 'mse'] as const, 'percentile'),
      perChannel: config.perChannel !== false,
      activationType: enumSetting(config.activationType, 'activationType', ['uint8', 'int8'] as const, 'uint8'),
      exclude: String(config.exclude ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      weightBits: weightBits === 'auto' ? weightBits : weightBits === '7' ? 7 as const : 8 as const,
      threshold,
      ...(targetAgreement !== undefined ? { targetAgreement } : {}),
      ...(judged.length > 0 ? { outputs: judged.includes('all') ? 'all' as const : judged } : {}),
      ...(maxMemory !== undefined ? { maxMemoryMB: maxMemory } : {}),
    },
    compare: config.compare === false ? false as const : { runs: positiveInteger(config.runs, 'runs', 10), threads: 1, threshold },
  } satisfies { samples: number; options: QuantizeJob['options']; compare: QuantizeJob['compare'] };
}

export = function register(RED: NodeAPI): void {
  function MlopsQuantizeNode(this: Node, config: QuantizeNodeConfig) {
    const node = createNode(RED, this, config);
    const settings = readSettings(node, () => quantizeSettings(config));
    const model = useModel(RED, node, config.model);
    const collector = new CalibrationCollector(settings?.samples ?? 1);
    let running: AbortController | undefined;
    const t = (key: keyof typeof STATUS_ENGLISH, subs: Record<string, string | number>) =>
      translate(RED, `mlops-quantize.status.${key}`, STATUS_ENGLISH[key], subs);

    const userDir = RED.settings.userDir ?? process.cwd();
    const baseJob = (modelPath: string, { options, compare }: NonNullable<typeof settings>): Omit<QuantizeJob, 'samples' | 'calibrationDir'> => ({
      inputPath: modelPath,
      outputPath: int8ModelPath(modelPath, userDir),
      options,
      compare,
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

    node.on('close', (_removed: boolean, closed: () => void) => {
      running?.abort();
      closed();
    });

    onInput(node, async (msg, send) => {
      if (!model || !settings) return; // unreachable: configuration errors are reported by onInput
      const info = await model.ready();
      // Checked after the last await before a job starts, so two messages cannot both start one.
      if (running) throw new PipelineError('busy', 'a quantization is already running; send the next calibration input when it has finished', {});
      let job: QuantizeJob;
      const folder = typeof msg.folder === 'string' && msg.folder ? msg.folder : config.folder;
      if (msg.tensor !== undefined) {
        const named = (msg.tensor as { name?: unknown } | null)?.name;
        const count = collector.add(msg.tensor, typeof named === 'string' && named ? named : info.inputs[0]?.name ?? 'input');
        if (!collector.full) {
          node.status(waitingStatus(t('collecting', { count, target: settings.samples })));
          return;
        }
        job = { ...baseJob(model.modelPath, settings), samples: collector.take() };
      } else if (folder) {
        // "Calibration inputs" is also how many pictures of the folder are read.
        job = { ...baseJob(model.modelPath, settings), calibrationDir: calibrationFolderPath(folder, userDir), limit: settings.samples };
      } else if (settings.options.mode === 'dynamic') {
        job = baseJob(model.modelPath, settings);
      } else {
        throw new PipelineError('no-calibration', 'the message has no msg.tensor and no calibration folder is set; send float32 tensors from mlops-tensor or set a folder (msg.folder)', {});
      }
      const summary = await quantize(job);
      const speed = summary.latency ? ` · ${summary.latency.speedup.toFixed(2)}×` : '';
      const agreement = summary.agreement?.[0];
      const tuning = summary.record.accuracyTuning;
      const fewPictures = job.calibrationDir !== undefined && summary.record.calibrationSamples < settings.samples;
      node.status({
        fill: (tuning && !tuning.met) || fewPictures ? 'yellow' : 'green', shape: 'dot',
        text: t('done', { ratio: summary.sizeRatio.toFixed(2), details: `${speed}${agreement ? ` · ${agreement.metric} ${agreement.score.toFixed(3)}` : ''}${tuning ? ` · ${tuning.floatNodes.length} float` : ''}` }),
      });
      if (summary.normalisation && summary.normalisation.defaulted.length > 0) {
        node.warn(translate(RED, 'mlops-quantize.warnings.normalisationDefaults', NORMALISATION_DEFAULTS_ENGLISH, { settings: normalisationText(summary.normalisation) }));
      }
      if (fewPictures) {
        node.warn(translate(RED, 'mlops-quantize.warnings.fewPictures', FEW_PICTURES_ENGLISH,
          { count: summary.record.calibrationSamples, folder: job.calibrationDir!, target: settings.samples }));
      }
      const modelFile = modelFileSetting(summary.outputPath, userDir);
      node.log(translate(RED, 'mlops-quantize.log.written', WRITTEN_ENGLISH, { version: summary.record.version, path: summary.outputPath, file: modelFile }));
      msg.payload = summary;
      msg.modelPath = summary.outputPath;
      msg.modelFile = modelFile;
      send(msg);
    });
  }
  RED.nodes.registerType('mlops-quantize', MlopsQuantizeNode);
};
