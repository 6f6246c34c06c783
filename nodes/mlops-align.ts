// mlops-align: independent sensor readings (one signal per message) → time-aligned samples, msg.tensor [1, N].
import { Aligner, alignSettings, numericReading, readingTime, sampleTensor, type AlignedSample } from '../lib/align';
import { PipelineError } from '../lib/errors';
import { translate } from './shared/i18n';
import type { Node, NodeAPI, NodeDefinition, NodeMessage } from './shared/red';
import { readyStatus, warningStatus } from './shared/status';
import { createNode, onInput, readSettings } from './shared/template';

const TYPE = 'mlops-align';
const ASSET_SOURCES = ['property', 'topic', 'none'] as const;

interface AlignNodeConfig extends NodeDefinition {
  matchProperty?: string;
  valueProperty?: string;
  assetFrom?: string;
  assetProperty?: string;
  assetSegment?: number | string;
  assetId?: string;
  unknownSignals?: string;
  inputName?: string;
  emitMode?: string;
}

/** How a message names its asset: a message property, a topic level, or one asset for everything. */
function assetReader(config: AlignNodeConfig, RED: NodeAPI): (msg: NodeMessage, key: string) => string {
  const source = ASSET_SOURCES.find((s) => s === config.assetFrom) ?? 'property';
  const fallback = typeof config.assetId === 'string' && config.assetId.trim() ? config.assetId.trim() : 'asset';
  if (source === 'none') return () => fallback;
  if (source === 'topic') {
    const level = Math.floor(Number(config.assetSegment ?? 0));
    return (_msg, key) => {
      const part = key.split('/')[level];
      if (!part) {
        throw new PipelineError('no-asset', `the topic "${key}" has no level ${level} to take the asset id from; ` +
          'change the topic level in the node, or send msg.assetId', { topic: key, level });
      }
      return part;
    };
  }
  const property = config.assetProperty?.trim() || 'assetId';
  return (msg) => {
    const value = RED.util.getMessageProperty(msg, property);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return fallback;
  };
}

export = function register(RED: NodeAPI): void {
  function MlopsAlignNode(this: Node, config: AlignNodeConfig) {
    const node = createNode(RED, this, config);
    const t = (key: string, english: string, subs: Record<string, string | number> = {}) =>
      translate(RED, `${TYPE}.status.${key}`, english, subs);
    const aligner = readSettings(node, () => new Aligner(alignSettings({ ...config, emit: config.emitMode })));
    const matchProperty = config.matchProperty?.trim() || 'topic';
    const valueProperty = config.valueProperty?.trim() || 'payload';
    const assetOf = assetReader(config, RED);
    const ignoreUnknown = config.unknownSignals === 'ignore';
    const inputName = config.inputName?.trim() || undefined;
    let ignored = 0;

    function showStatus(a: Aligner): void {
      const s = a.stats;
      const parts = [t('summary', '__assets__ assets · __samples__ samples', { assets: a.assetCount, samples: s.samples })];
      if (s.incomplete > 0) parts.push(t('incomplete', '__count__ incomplete', { count: s.incomplete }));
      if (s.filled > 0) parts.push(t('filled', '__count__ filled', { count: s.filled }));
      if (s.evictedAssets > 0) parts.push(t('evicted', '__count__ assets forgotten', { count: s.evictedAssets }));
      if (ignored > 0) parts.push(t('ignored', '__count__ ignored', { count: ignored }));
      const text = parts.join(' · ');
      node.status(s.incomplete > 0 || s.filled > 0 ? warningStatus(text) : readyStatus(text));
    }

    /** One message per sample; incomplete ones go to the second output. */
    function messagesFor(a: Aligner, samples: AlignedSample[]): NodeMessage[][] {
      const complete: NodeMessage[] = [];
      const incomplete: NodeMessage[] = [];
      for (const sample of samples) {
        const msg: NodeMessage = {
          topic: sample.assetId, assetId: sample.assetId, sampleTime: sample.time, payload: sample.features, features: sample.features,
        };
        if (sample.kind === 'sample') {
          msg.tensor = sampleTensor(sample, inputName);
          if (sample.filled.length > 0) msg.filled = sample.filled;
          complete.push(msg);
        } else {
          msg.missing = sample.missing;
          incomplete.push(msg);
        }
      }
      return a.settings.incomplete === 'output' ? [complete, incomplete] : [complete];
    }

    let timer: NodeJS.Timeout | undefined;
    if (aligner?.settings.emit === 'interval') {
      const intervalMs = aligner.settings.intervalMs;
      // Ticks on multiples of the interval, so samples of several nodes and restarts line up.
      const schedule = () => {
        const now = Date.now();
        const next = (Math.floor(now / intervalMs) + 1) * intervalMs;
        timer = setTimeout(() => {
          const samples = aligner.tick(next);
          if (samples.length > 0) node.send(messagesFor(aligner, samples));
          showStatus(aligner);
          schedule();
        }, next - now);
      };
      schedule();
    }

    onInput(node, (msg, send) => {
      const a = aligner!;
      const rawKey = RED.util.getMessageProperty(msg, matchProperty);
      const key = typeof rawKey === 'string' ? rawKey : typeof rawKey === 'number' ? String(rawKey) : '';
      const signal = a.signalIndex(key);
      if (signal < 0) {
        if (ignoreUnknown) { ignored++; showStatus(a); return; }
        const patterns = a.settings.signals.map((s) => s.match).join(', ');
        throw new PipelineError('unknown-signal',
          `msg.${matchProperty} "${key}" matches none of the signals (${patterns}); add it to the signal table, or set unknown signals to "ignore"`,
          { key, property: matchProperty, signals: patterns });
      }
      const spec = a.settings.signals[signal]!;
      const value = numericReading(RED.util.getMessageProperty(msg, valueProperty), spec.name);
      const time = readingTime(msg.timestamp, msg.time, Date.now());
      const samples = a.update(assetOf(msg, key), signal, value, time);
      if (samples.length > 0) send(messagesFor(a, samples));
      showStatus(a);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearTimeout(timer);
      aligner?.forget();
      done();
    });
  }
  RED.nodes.registerType(TYPE, MlopsAlignNode);
};
