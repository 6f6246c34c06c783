// mlops-model: config node owning one ONNX model, shared by every mlops-infer node that uses it.
import type { EventEmitter } from 'node:events';
import { PipelineError } from '../lib/errors';
import { ModelHost, resolveModelPath, type ModelState, type PathContext, type SessionSettings } from '../lib/inference';
import { addModelInfoRoot } from '../lib/inference/model-info-request';
import { ModelStore, StoreModelHost, parseStoreSpec, storeRoot, type StoreSpec } from '../lib/model-store';
import { serveModelEndpoints } from './shared/model-endpoints';
import { reportToDependents } from './shared/model-dependents';
import { saturationWarning } from '../lib/quantize/cpu';
import { checkSaturationInWorker, describeSaturationCheck, type SaturationCheck } from '../lib/quantize/saturation-check';
import { PACKAGE_ROOT } from '../lib/inference/model-source';
import path from 'node:path';
import os from 'node:os';
import { capacityProblem, describeCapacityProblem } from '../lib/inference';
import { enumSetting, nonNegativeInteger, positiveInteger } from '../lib/settings';
import { describeError, errorStatus } from './shared/failure';
import { configError, createNode, readSettings } from './shared/template';
import { warningStatus } from './shared/status';
import type { ModelConfigNode } from './shared/model-node';
import { serveOnV2, type ServeConfig } from './shared/v2-endpoint';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';
import { translate } from './shared/i18n';

interface ModelNodeConfig extends NodeDefinition, ServeConfig {
  path: string;
  intraOpThreads?: number | string;
  optimization?: string;
  executionMode?: string;
  workers?: number | string;
  warmup?: boolean;
  memoryArena?: boolean;
  memoryPattern?: boolean;
}

const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

function modelSettings(config: ModelNodeConfig): { session: SessionSettings; workers: number } {
  return {
    session: {
      intraOpNumThreads: nonNegativeInteger(config.intraOpThreads, 'intraOpThreads', 0),
      graphOptimizationLevel: enumSetting(config.optimization, 'optimization', OPTIMIZATION_LEVELS, 'all'),
      executionMode: enumSetting(config.executionMode, 'executionMode', ['sequential', 'parallel'] as const, 'sequential'),
      memoryArena: config.memoryArena !== false,
      memoryPattern: config.memoryPattern !== false,
    },
    workers: positiveInteger(config.workers, 'workers', 1),
  };
}

export = function register(RED: NodeAPI): void {
  const userDir = () => RED.settings.userDir ?? process.cwd();
  const openStore = () => new ModelStore(storeRoot({ userDir: RED.settings.userDir }));
  // The editor may inspect the store's models (model-info is confined to known roots).
  addModelInfoRoot(openStore().root);

  function MlopsModelNode(this: Node & ModelConfigNode, config: ModelNodeConfig) {
    const node = createNode(RED, this, config);
    const dependents = reportToDependents(RED, node);
    // Invalid settings: the model never loads, and ready() rejects with the reason, so every user fails with it.
    const checked = readSettings(node, () => modelSettings(config));
    const settings = checked ?? modelSettings({ id: config.id, type: config.type, path: '' });
    const settingsError = checked ? undefined : configError(node);
    const context: PathContext = {
      userDir: userDir(),
      env: (name) => {
        const value = RED.util.evaluateNodeProperty(name, 'env', node, {});
        return value === undefined || value === null ? undefined : String(value);
      },
    };
    let pathError: PipelineError | undefined;
    let storeSpec: StoreSpec | undefined;
    try {
      storeSpec = parseStoreSpec(config.path);
      node.modelPath = storeSpec ? '' : resolveModelPath(config.path, context);
    } catch (err) {
      node.modelPath = String(config.path ?? '');
      pathError = err as PipelineError;
    }
    if (settingsError !== undefined) {
      storeSpec = undefined;
      pathError = settingsError as PipelineError;
    }
    const common = {
      session: settings.session,
      workers: settings.workers,
      warmup: config.warmup !== false,
      onState,
    };
    const t = (key: string, english: string, subs: Record<string, string>) => translate(RED, `mlops-model.status.${key}`, english, subs);
    const host: ModelHost | StoreModelHost = storeSpec
      ? new StoreModelHost({
        ...common, store: openStore(), name: storeSpec.name, version: storeSpec.version,
        onSwap(from, to) {
          node.log(t('swapped', 'switched from __from__ to __to__', { from: from ? `${from.name} ${from.version}` : '-', to: `${to.name} ${to.version}` }));
          onState('ready');
          (node as unknown as EventEmitter).emit('model-swap', from, to);
        },
        onSwapFailed(version, error) {
          const reason = describeError(RED, node.type, error);
          node.warn(t('swapFailedLog', '__model__ keeps serving: version __version__ failed to load: __reason__', { model: host.displayName, version, reason }));
          node.status({ fill: 'yellow', shape: 'ring', text: t('swapFailed', '__model__ · __version__ failed', { model: host.displayName, version }) });
          (node as unknown as EventEmitter).emit('model-swap-failed', version, error);
        },
      })
      : new ModelHost({ ...common, modelPath: node.modelPath, pathError });
    if (storeSpec) Object.defineProperty(node, 'modelPath', { get: () => host.modelPath });
    function onState(state: ModelState, error?: PipelineError): void {
      const model = host.displayName;
      if (state === 'error') {
        node.status(errorStatus(describeError(RED, node.type, error)));
        dependents.failed(model, error);
        return;
      }
      dependents.recovered();
      if (state === 'ready') {
        // A full-range int8 model on a CPU whose kernels saturate still runs, but its outputs may be wrong: say so.
        const warning = saturationWarning(host.info?.metadata ?? {});
        const capacity = capacityProblem({
          workers: host.workers, intraOpThreads: common.session.intraOpNumThreads, cores: os.availableParallelism(),
          totalMemoryBytes: os.totalmem(), freeMemoryBytes: os.freemem(), perWorkerBytes: host.memoryPerWorkerBytes,
        });
        if (capacity) {
          node.warn(`${model}: ${describeCapacityProblem(capacity)}`);
          const subs = { model, workers: String(capacity.workers), cores: String(capacity.kind === 'cores' ? capacity.cores : 0) };
          node.status(warningStatus(capacity.kind === 'cores'
            ? t('tooManyWorkers', '__model__ ready · __workers__ workers on __cores__ cores', subs)
            : t('lowMemory', '__model__ ready · __workers__ workers, memory short', subs)));
        } else if (warning) {
          node.status({ fill: 'yellow', shape: 'dot', text: translate(RED, 'mlops-model.status.int8Saturates', '__model__ ready, int8 saturates on this CPU', { model }) });
          measureSaturation(model, warning);
        } else {
          node.status({ fill: 'green', shape: 'dot', text: translate(RED, 'mlops-model.status.ready', '__model__ ready', { model }) });
        }
      }
      else if (state === 'loading') node.status({ fill: 'grey', shape: 'ring', text: translate(RED, 'mlops-model.status.loading', 'loading __model__', { model }) });
      else node.status({});
    }
    // The warning states how far off the int8 kernels are here, measured in a worker on a calibration picture.
    let closed = false;
    let measuredPath: string | undefined;
    function measureSaturation(model: string, warning: string): void {
      if (measuredPath === host.modelPath) return;
      measuredPath = host.modelPath;
      const check = checkSaturationInWorker({
        modelPath: host.modelPath, optimization: common.session.graphOptimizationLevel,
        bundledModelsDir: path.join(PACKAGE_ROOT, 'models'), bundledSamplesDir: path.join(PACKAGE_ROOT, 'samples'),
      }).then((result) => {
        if (!closed) node.warn(translate(RED, 'mlops-model.warnings.int8Saturates', '__model__: __warning__', { model, warning: `${warning}; ${describeSaturationCheck(result)}` }));
        return result;
      });
      (node as unknown as { int8Check?: Promise<SaturationCheck> }).int8Check = check;
    }
    node.ready = () => host.ready();
    node.run = (feed, fetch) => host.run(feed, fetch);
    node.register = (userId) => host.register(userId);
    node.deregister = (userId) => host.deregister(userId);
    Object.defineProperty(node, 'info', { get: () => host.info });
    Object.defineProperty(node, 'workers', { get: () => host.workers });
    Object.defineProperty(node, 'identity', { get: () => host.identity });
    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      host.close().then(() => done(), () => done());
    });
    const notServed = serveOnV2(RED, node, config);
    if (notServed) {
      node.error(describeError(RED, node.type, notServed));
      node.status(errorStatus(describeError(RED, node.type, notServed)));
    }
  }
  RED.nodes.registerType('mlops-model', MlopsModelNode);

  serveModelEndpoints(RED, userDir, openStore);
};
