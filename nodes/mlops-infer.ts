// mlops-infer: runs msg.tensor(s) through the model of an mlops-model config node on worker threads.
import { outputNamesInModelOrder } from '../lib/contract';
import {
  BoundedQueue, FETCH_MODES, MicroBatcher, QUEUE_POLICIES, feedFromMessage, microBatcherFor, modelDisplayName, planFetch,
  type DownstreamNode, type FetchMode, type FetchPlan, type ModelFeed, type QueuePolicy,
} from '../lib/inference';
import type { ModelInfo } from '../lib/onnx';
import { parseList } from '../lib/segmentation/palette';
import { releaseAdmission } from '../lib/inference/admission';
import { enumSetting, nonNegativeInteger, numberSetting, positiveInteger } from '../lib/settings';
import { showError } from './shared/failure';
import { translate } from './shared/i18n';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';
import { createNode, onInput, readSettings, useModel } from './shared/template';
import { addTimings } from './shared/timings';
import { formatMs } from '../lib/timings';

interface InferNodeConfig extends NodeDefinition {
  model: string;
  queueSize?: number | string;
  queuePolicy?: string;
  /** Which outputs to fetch: auto (what downstream nodes read), all, named (fetchNames). */
  fetch?: string;
  fetchNames?: string;
  /** Micro-batching: most messages per session.run (1 = off), and how long one waits for others. */
  batchSize?: number | string;
  batchDelayMs?: number | string;
  wires?: string[][];
}

interface InferSettings {
  capacity: number;
  policy: QueuePolicy;
  fetch: FetchMode;
  fetchNames: string[];
  batchSize: number;
  batchDelayMs: number;
}

function inferSettings(config: InferNodeConfig): InferSettings {
  return {
    capacity: nonNegativeInteger(config.queueSize, 'queueSize', 4),
    policy: enumSetting(config.queuePolicy, 'queuePolicy', QUEUE_POLICIES, 'queue'),
    fetch: enumSetting(config.fetch, 'fetch', FETCH_MODES, 'auto'),
    fetchNames: parseList(config.fetchNames, 'fetchNames'),
    batchSize: positiveInteger(config.batchSize, 'batchSize', 1),
    batchDelayMs: numberSetting(config.batchDelayMs, 'batchDelayMs', 2, { min: 0, max: 1000 }),
  };
}

export = function register(RED: NodeAPI): void {
  function MlopsInferNode(this: Node, config: InferNodeConfig) {
    const node = createNode(RED, this, config);
    const settings = readSettings(node, () => inferSettings(config));
    const model = useModel(RED, node, config.model);
    let lastLatencyMs: number | undefined;
    let loadError: unknown;
    const t = (key: string, english: string, subs: Record<string, string | number> = {}) =>
      translate(RED, `mlops-infer.status.${key}`, english, subs);

    // Planned once per loaded model, on its first message: by then the whole flow is deployed.
    let plan: { info: ModelInfo; plan: FetchPlan } | undefined;
    function fetchPlan(info: ModelInfo, fetch: FetchMode, names: string[]): FetchPlan {
      if (plan?.info !== info) {
        const deployed = new Map<string, DownstreamNode>();
        RED.nodes.eachNode((n) => deployed.set(String(n.id), n as DownstreamNode));
        plan = { info, plan: planFetch(fetch, names, info.outputs.map((o) => o.name), config.wires ?? [], (id) => deployed.get(id)) };
      }
      return plan.plan;
    }

    // With micro-batching up to batchSize messages per worker are handed on at once, to be stacked into one run.
    const batchSize = settings?.batchSize ?? 1;
    const queue = new BoundedQueue({
      capacity: settings?.capacity ?? 0, policy: settings?.policy ?? 'queue', concurrency: (model?.workers ?? 1) * batchSize, onChange: showStatus,
    });
    let batcher: { info: ModelInfo; batcher: MicroBatcher | undefined } | undefined;
    function batcherFor(info: ModelInfo): MicroBatcher | undefined {
      if (batcher?.info !== info) {
        batcher = { info, batcher: model && microBatcherFor(info, (feed, fetch) => model.run(feed, fetch),
          { maxBatch: batchSize, maxDelayMs: settings!.batchDelayMs, concurrency: model.workers ?? 1 }) };
      }
      return batcher.batcher;
    }

    function showStatus(): void {
      if (!model || !settings || loadError) return;
      const name = modelDisplayName(model.info, model.modelPath);
      const parts = [name];
      const queued = queue.waitingCount;
      if (!model.info) parts.push(t('loading', 'loading'));
      else if (queued > 0) parts.push(t('queued', 'queued __count__', { count: queued }));
      else if (queue.runningCount > 0) parts.push(t('busy', 'busy'));
      // Idle after a message, the green dot and the time say "ready": a short status does not run into the next node's.
      else if (lastLatencyMs === undefined) parts.push(t('ready', 'ready'));
      if (lastLatencyMs !== undefined) parts.push(t('latency', '__ms__ ms', { ms: formatMs(lastLatencyMs) }));
      const fetched = plan?.info === model.info ? plan?.plan.names : undefined;
      if (model.info && fetched && fetched.length < model.info.outputs.length) {
        parts.push(t('fetched', '__count__/__total__ outputs', { count: fetched.length, total: model.info.outputs.length }));
      }
      if (queue.dropped > 0) parts.push(t('dropped', 'dropped __count__', { count: queue.dropped }));
      const fill = !model.info ? 'grey' : queue.runningCount > 0 ? 'blue' : 'green';
      node.status({ fill, shape: queued > 0 || !model.info ? 'ring' : 'dot', text: parts.join(' · ') });
    }

    if (model && settings) {
      showStatus();
      model.ready().then(showStatus, (err: unknown) => {
        loadError = err;
        showError(RED, node, err, 'mlops-model');
      });
    }

    onInput(node, async (msg, send) => {
      if (!model || !settings) return; // unreachable: configuration errors are reported by onInput
      const run = async () => {
        // Checked before queueing when the model is loaded, so a bad tensor never takes a queue place.
        const feed: ModelFeed | undefined = model.info ? feedFromMessage(msg, model.info) : undefined;
        return queue.submit(async () => {
          const info = await model.ready();
          const names = fetchPlan(info, settings.fetch, settings.fetchNames).names;
          const batched = batcherFor(info);
          return batched ? batched.submit(feed ?? feedFromMessage(msg, info), names) : model.run(feed ?? feedFromMessage(msg, info), names);
        });
      };
      // Done with the model (run, dropped or failed): mlops-image may admit the next message (lib/inference/admission.ts).
      const outcome = await run().finally(() => releaseAdmission(config.model, msg._msgid));
      if (outcome.dropped) { // dropped by the queue policy, by design
        node.debug(`message ${msg._msgid} dropped by the ${settings?.policy ?? ''} policy (${queue.dropped} dropped so far)`);
        return;
      }
      const { outputs, queueMs, runMs } = outcome.value;
      if ('batchSize' in outcome.value) msg.batchSize = outcome.value.batchSize;
      lastLatencyMs = runMs;
      loadError = undefined; // a store model may arrive after the flow started
      msg.outputs = outputs;
      if (outcome.value.model) msg.model = { ...outcome.value.model };
      // An object lists integer-like names ("1890") first; consumers that want "the first output" read this order.
      msg.outputNames = outputNamesInModelOrder(outputs, model.info?.outputs.map((o) => o.name));
      addTimings(msg, { queue: outcome.waitedMs + queueMs, infer: runMs });
      showStatus();
      send(msg);
    });
  }
  RED.nodes.registerType('mlops-infer', MlopsInferNode);
};
