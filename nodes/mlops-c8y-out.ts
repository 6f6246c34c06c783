// Publishes an inspection (msg.condition, msg.segmentation, msg.timings, images) and plain sensor data (msg.payload)
// to Cumulocity for one asset, through a shared mlops-c8y connection with store and forward.
import { assertCondition, assertSegmentation, type Timings } from '../lib/contract';
import { PipelineError } from '../lib/errors';
import { buildPublication, type InspectionInput, type PublishSettings } from '../lib/publishing/inspection';
import type { PublisherStatus } from '../lib/publishing/publisher';
import { translate } from './shared/i18n';
import { createNode, onInput, useConnection } from './shared/template';
import type { Node, NodeAPI, NodeDefinition, NodeStatus } from './shared/red';
import { flowVersion } from './shared/flow-version';

interface OutConfig extends NodeDefinition {
  connection: string;
  assetId?: string;
  measurementType?: string;
  eventType?: string;
  alarmType?: string;
  sendMeasurements?: boolean;
  sendEvent?: boolean;
  sendAlarm?: boolean;
  sendTwin?: boolean;
  sendOriginal?: boolean;
  sendOverlay?: boolean;
  modelName?: string;
  modelVersion?: string;
}

const TYPE = 'mlops-c8y-out';

const isPlainObject = (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !ArrayBuffer.isView(value);

module.exports = function register(RED: NodeAPI) {
  function statusOf(state: PublisherStatus): NodeStatus {
    const t = (key: string, subs: Record<string, string | number>, english: string) => translate(RED, `${TYPE}.status.${key}`, english, subs);
    const offline = () => (state.reason ? t('offline-because', { reason: state.reason }, `offline (${state.reason})`) : t('offline', {}, 'offline'));
    const losses = state.dropped + state.rejected + state.failed;
    const lossText = losses ? ` · ${t('lost', { dropped: state.dropped, rejected: state.rejected, failed: state.failed }, `dropped ${state.dropped}, rejected ${state.rejected}, failed ${state.failed}`)}` : '';
    if (state.queued > 0) {
      const where = state.connected === false ? offline() : state.connected ? t('sending', {}, 'sending') : t('connecting', {}, 'connecting');
      return { fill: 'yellow', shape: 'ring', text: `${where} · ${t('queued', { count: state.queued }, `queued ${state.queued}`)}${lossText}` };
    }
    if (state.connected === false) return { fill: 'red', shape: 'ring', text: `${offline()}${lossText}` };
    if (state.connected === undefined) return { fill: 'grey', shape: 'ring', text: `${t('connecting', {}, 'connecting')}${lossText}` };
    return { fill: losses ? 'yellow' : 'green', shape: 'dot', text: `${t('connected', { count: state.delivered }, `sent ${state.delivered}`)}${lossText}` };
  }

  function MlopsC8yOutNode(this: Node, config: OutConfig) {
    const node = createNode(RED, this, config);
    const connection = useConnection(RED, node, config.connection);
    const settings: PublishSettings = {
      measurementType: config.measurementType || 'mlops_Inspection',
      eventType: config.eventType || 'mlops_Inspection',
      alarmType: config.alarmType || 'mlops_AssetCondition',
      externalIdPrefix: '',
      select: {
        measurements: config.sendMeasurements !== false, event: config.sendEvent !== false, alarm: config.sendAlarm !== false,
        twin: config.sendTwin !== false, originalImage: config.sendOriginal === true, overlayImage: config.sendOverlay !== false,
      },
    };
    let shown = '';
    if (connection) {
      settings.externalIdPrefix = connection.externalIdPrefix;
      // Coalesce bursts of state changes into one status update per tick, and skip repeats.
      let pending: PublisherStatus | undefined;
      const show = (status: NodeStatus) => {
        const key = JSON.stringify(status);
        if (key !== shown) node.status(status);
        shown = key;
      };
      const onState = (state: PublisherStatus) => {
        if (!pending) setImmediate(() => { if (pending) show(statusOf(pending)); pending = undefined; });
        pending = state;
      };
      const unwatch = connection.watch(onState);
      if (connection.state) show(statusOf(connection.state));
      node.on('close', (_removed: boolean, done: () => void) => {
        unwatch();
        done();
      });
    }

    onInput(node, async (msg, send) => {
      if (!connection) return; // unreachable: a missing connection is a configuration error, which onInput reports
      // Hand-made objects from function nodes are checked here, so a wrong one fails with what is wrong in it.
      const { condition, segmentation } = msg;
      if (condition !== undefined) assertCondition(condition);
      if (segmentation !== undefined) assertSegmentation(segmentation);
      const assetId = [msg.assetId, condition?.assetId, config.assetId].find((id): id is string => typeof id === 'string' && id !== '');
      if (!assetId) throw new PipelineError('no-asset-id', 'no asset id: set msg.assetId or the node\'s asset id', {});
      const model = msg.model as { name?: string; version?: string; sha256?: string } | undefined;
      const input: InspectionInput = {
        assetId, condition,
        segmentation,
        timings: msg.timings as Timings | undefined,
        // In an inspection message msg.payload often still holds the image or a file name: only a plain object counts.
        payload: condition || segmentation ? (isPlainObject(msg.payload) ? msg.payload : undefined) : msg.payload,
        units: msg.units as Record<string, string> | undefined,
        image: msg.image as InspectionInput['image'],
        eventText: typeof msg.eventText === 'string' ? msg.eventText : undefined,
        eventFragments: msg.eventFragments as Record<string, unknown> | undefined,
        model: {
          name: model?.name ?? (config.modelName || undefined), version: model?.version ?? (config.modelVersion || undefined),
          sha256: typeof model?.sha256 === 'string' ? model.sha256 : undefined,
        },
        flow: flowVersion(RED, node, msg),
      };
      const publication = buildPublication(input, settings);
      const result = connection.publish(publication, settings.alarmType);
      // Sent on (and done) once the records are on disk, so a power cut cannot lose a message reported as kept.
      await result.durable;
      msg.published = { assetId, queued: result.queued, dropped: result.dropped };
      if (result.dropped > 0) node.debug(`publishing ${assetId}: the full queue dropped ${result.dropped} record(s)`);
      node.trace(`queued ${result.queued} record(s) for ${assetId}`);
      send(msg);
    }, () => { shown = ''; }); // the red status replaced the connection's: show the next state change again
  }

  RED.nodes.registerType(TYPE, MlopsC8yOutNode);
};
