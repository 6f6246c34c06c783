// mlops-model: config node owning one ONNX model, shared by every mlops-infer node that uses it.
import { PipelineError, isPipelineError } from '../lib/errors';
import { ModelHost, resolveModelPath, type PathContext, type SessionSettings } from '../lib/inference';
import { inspectModelRequest, MODEL_INFO_STATUS } from '../lib/inference/model-info-request';
import { saturationWarning } from '../lib/quantize/cpu';
import { describeError, errorStatus } from './shared/failure';
import type { ModelConfigNode } from './shared/model-node';
import type { Node, NodeAPI, NodeDefinition, Request, Response } from './shared/red';
import { translate } from './shared/i18n';

interface ModelNodeDefinition extends NodeDefinition {
  path: string;
  intraOpThreads?: number | string;
  optimization?: string;
  executionMode?: string;
  workers?: number | string;
  warmup?: boolean;
}

const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;

function sessionSettings(config: ModelNodeDefinition): SessionSettings {
  const level = OPTIMIZATION_LEVELS.find((l) => l === config.optimization) ?? 'all';
  return {
    intraOpNumThreads: Math.max(0, Math.floor(Number(config.intraOpThreads) || 0)),
    graphOptimizationLevel: level,
    executionMode: config.executionMode === 'parallel' ? 'parallel' : 'sequential',
  };
}

module.exports = function register(RED: NodeAPI) {
  const userDir = () => RED.settings.userDir ?? process.cwd();

  function MlopsModelNode(this: Node & ModelConfigNode, config: ModelNodeDefinition) {
    RED.nodes.createNode(this, config);
    const node = this;
    const context: PathContext = {
      userDir: userDir(),
      env: (name) => {
        const value = RED.util.evaluateNodeProperty(name, 'env', node, {});
        return value === undefined || value === null ? undefined : String(value);
      },
    };
    let pathError: PipelineError | undefined;
    try {
      node.modelPath = resolveModelPath(config.path, context);
    } catch (err) {
      node.modelPath = String(config.path ?? '');
      pathError = err as PipelineError;
    }
    const host = new ModelHost({
      modelPath: node.modelPath,
      session: sessionSettings(config),
      workers: Math.max(1, Math.floor(Number(config.workers) || 1)),
      warmup: config.warmup !== false,
      pathError,
      onState(state, error) {
        const model = host.displayName;
        if (state === 'error') node.status(errorStatus(describeError(RED, node.type, error)));
        else if (state === 'ready') {
          // A full-range int8 model on a CPU whose kernels saturate still runs, but its outputs may be wrong: say so.
          const warning = saturationWarning(host.info?.metadata ?? {});
          if (warning) {
            node.warn(translate(RED, 'mlops-model.warnings.int8Saturates', '__model__: __warning__', { model, warning }));
            node.status({ fill: 'yellow', shape: 'dot', text: translate(RED, 'mlops-model.status.int8Saturates', '__model__ ready, int8 saturates on this CPU', { model }) });
          } else {
            node.status({ fill: 'green', shape: 'dot', text: translate(RED, 'mlops-model.status.ready', '__model__ ready', { model }) });
          }
        }
        else if (state === 'loading') node.status({ fill: 'grey', shape: 'ring', text: translate(RED, 'mlops-model.status.loading', 'loading __model__', { model }) });
        else node.status({});
      },
    });
    node.ready = () => host.ready();
    node.run = (feed, fetch) => host.run(feed, fetch);
    node.register = (userId) => host.register(userId);
    node.deregister = (userId) => host.deregister(userId);
    Object.defineProperty(node, 'info', { get: () => host.info });
    Object.defineProperty(node, 'workers', { get: () => host.workers });
    node.on('close', (_removed: boolean, done: () => void) => {
      host.close().then(() => done(), () => done());
    });
  }
  RED.nodes.registerType('mlops-model', MlopsModelNode);

  // Lets the editor show a model's inputs, outputs and metadata before deploying.
  // Confined to the user directory, the bundled models and the model store (addModelInfoRoot): see model-info-request.ts.
  RED.httpAdmin.get('/edge-mlops/model-info', RED.auth.needsPermission('mlops-model.read'), (req: Request, res: Response) => {
    inspectModelRequest(req.query.path, userDir()).then(({ info, path }) => res.json({ ...info, path }), (err: unknown) => {
      const code = isPipelineError(err) ? err.code : 'inspect-failed';
      res.status(MODEL_INFO_STATUS[code] ?? 500).json({ error: code, message: describeError(RED, 'mlops-model', err) });
    });
  });
};
