// mlops-infer: runs msg.tensor(s) through the model of an mlops-model config node on worker threads.
import { PipelineError } from '../lib/errors';
import { outputNamesInModelOrder } from '../lib/contract';
import {
  BoundedQueue, FETCH_MODES, QUEUE_POLICIES, feedFromMessage, modelDisplayName, planFetch,
  type DownstreamNode, type FetchPlan, type ModelFeed, type QueuePolicy,
} from '../lib/inference';
import type { ModelInfo } from '../lib/onnx';
import { parseList } from '../lib/segmentation/palette';
import { failMessage, describeError, errorStatus } from './shared/failure';
import { translate } from './shared/i18n';
import type { ModelConfigNode } from './shared/model-node';
import type { Node, NodeAPI, NodeDefinition, NodeMessage } from './shared/red';
import { addTimings } from './shared/timings';

interface InferNodeDefinition extends NodeDefinition {
  model: string;
  queueSize?: number | string;
  queuePolicy?: string;
  /** Which outputs to fetch: auto (what downstream nodes read), all, named (fetchNames). */
  fetch?: string;
  fetchNames?: string;
  wires?: string[][];
}

module.exports = function register(RED: NodeAPI) {
  function MlopsInferNode(this: Node, config: InferNodeDefinition) {
    RED.nodes.createNode(this, config);
    const node = this;
    const model = (RED.nodes.getNode(config.model) ?? undefined) as ModelConfigNode | undefined;
    const policy = QUEUE_POLICIES.find((p) => p === config.queuePolicy) ?? 'queue';
    const capacity = Math.max(0, Math.floor(Number(config.queueSize ?? 4)));
    let lastLatencyMs: number | undefined;
    let loadError: unknown;
    const t = (key: string, english: string, subs: Record<string, string | number> = {}) =>
      translate(RED, `mlops-infer.status.${key}`, english, subs);

    const fetchMode = FETCH_MODES.find((m) => m === config.fetch) ?? 'auto';
    // Planned once per loaded model, on its first message: by then every downstream node exists.
    let plan: { info: ModelInfo; plan: FetchPlan } | undefined;
    function fetchPlan(info: ModelInfo): FetchPlan {
      if (plan?.info !== info) {
        const deployed = new Map<string, DownstreamNode>();
        RED.nodes.eachNode((n) => deployed.set(String(n.id), n as DownstreamNode));
        const lookUp = (id: string) => deployed.get(id);
        plan = { info, plan: planFetch(fetchMode, parseList(config.fetchNames, 'output names'), info.outputs.map((o) => o.name), config.wires ?? [], lookUp) };
      }
      return plan.plan;
    }

    const queue = new BoundedQueue({ capacity, policy: policy as QueuePolicy, concurrency: model?.workers ?? 1, onChange: showStatus });

    function showStatus(): void {
      if (!model || loadError) return;
      const name = modelDisplayName(model.info, model.modelPath);
      const parts = [name];
      const queued = queue.waitingCount;
      if (!model.info) parts.push(t('loading', 'loading'));
      else if (queued > 0) parts.push(t('queued', 'queued __count__', { count: queued }));
      else if (queue.runningCount > 0) parts.push(t('busy', 'busy'));
      else parts.push(t('ready', 'ready'));
      if (lastLatencyMs !== undefined) parts.push(t('latency', '__ms__ ms', { ms: Math.round(lastLatencyMs) }));
      const fetched = plan?.info === model.info ? plan?.plan.names : undefined;
      if (model.info && fetched) parts.push(t('fetched', '__count__/__total__ outputs', { count: fetched.length, total: model.info.outputs.length }));
      if (queue.dropped > 0) parts.push(t('dropped', 'dropped __count__', { count: queue.dropped }));
      const fill = !model.info ? 'grey' : queue.runningCount > 0 ? 'blue' : 'green';
      node.status({ fill, shape: queued > 0 || !model.info ? 'ring' : 'dot', text: parts.join(' · ') });
    }

    if (!model) {
      node.status({ fill: 'red', shape: 'ring', text: t('no-model', 'no model configured') });
    } else {
      model.register(node.id);
      showStatus();
      model.ready().then(showStatus, (err: unknown) => {
        loadError = err;
        node.status(errorStatus(describeError(RED, 'mlops-model', err)));
      });
    }

    node.on('input', (msg: NodeMessage, send, done) => {
      if (!model) {
        failMessage(RED, node, new PipelineError('no-model', 'no mlops-model configuration is selected; open this node and choose or add a model'), done);
        return;
      }
      let feed: ModelFeed | undefined;
      try {
        if (model.info) feed = feedFromMessage(msg, model.info);
      } catch (err) {
        failMessage(RED, node, err, done);
        return;
      }
      queue.submit(async () => {
        const info = await model.ready();
        return model.run(feed ?? feedFromMessage(msg, info), fetchPlan(info).names);
      }).then((outcome) => {
        if (outcome.dropped) {
          done(); // dropped by the queue policy, by design
          return;
        }
        const { outputs, queueMs, runMs } = outcome.value;
        lastLatencyMs = runMs;
        msg.outputs = outputs;
        // An object lists integer-like names ("1890") first; consumers that want "the first output" read this order.
        msg.outputNames = outputNamesInModelOrder(outputs, model.info?.outputs.map((o) => o.name));
        addTimings(msg, { queue: outcome.waitedMs + queueMs, infer: runMs });
        showStatus();
        send(msg);
        done();
      }, (err: unknown) => failMessage(RED, node, err, done));
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      model?.deregister(node.id);
      done();
    });
  }
  RED.nodes.registerType('mlops-infer', MlopsInferNode);
};
