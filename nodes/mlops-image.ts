// mlops-image: msg.payload (bytes, file path, data: URL, base64, http(s) URL) → msg.image.
import { DEFAULT_INGEST_OPTIONS, ingestImage, type AlphaMode, type IngestOptions } from '../lib/image';
import { trySharp, type DecoderChoice } from '../lib/image/libraries';
import { parseColor } from '../lib/tensor/options';
import { isPipelineError } from '../lib/errors';
import { admissionFor, releaseAdmission } from '../lib/inference/admission';
import { badSetting, enumSetting, nonNegativeInteger, positiveNumber } from '../lib/settings';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';
import { readyStatus } from './shared/status';
import { usePreviews } from './shared/preview';
import { createNode, onInput, readSettings } from './shared/template';
import { addTimings, withMs } from './shared/timings';

interface ImageNodeConfig extends NodeDefinition {
  baseDir?: string;
  /** Limits as typed in the editor: megabytes, megapixels, seconds. */
  maxMegabytes?: string | number;
  maxMegapixels?: string | number;
  timeout?: string | number;
  decoder?: string;
  alpha?: string;
  background?: string;
  damaged?: string;
  /** Fetch http(s) URLs from msg.payload (off unless ticked), only from the listed hosts. */
  allowUrls?: boolean;
  urlHosts?: string;
  /** Messages from an http in node (msg.req) may carry image bytes only (default on). */
  httpBytesOnly?: boolean;
  /** The mlops-model this pipeline feeds, and how many messages may be on their way to it at once (0: no limit). */
  model?: string;
  maxInFlight?: string | number;
  /** A thumbnail of the last picture under the node in the editor (default on). */
  showPreview?: boolean;
}

type ImageCredentials = Record<string, string> & {
  user?: string;
  password?: string;
};

function ingestOptions(config: ImageNodeConfig, credentials: ImageCredentials): IngestOptions {
  const defaults = DEFAULT_INGEST_OPTIONS;
  const headers: Record<string, string> = {};
  if (credentials.user) {
    headers.authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password ?? ''}`).toString('base64')}`;
  }
  return {
    baseDir: config.baseDir?.trim() || undefined,
    maxBytes: Math.round(positiveNumber(config.maxMegabytes, 'maxMegabytes', defaults.maxBytes / 2 ** 20) * 2 ** 20),
    maxPixels: Math.round(positiveNumber(config.maxMegapixels, 'maxMegapixels', defaults.maxPixels / 1e6) * 1e6),
    timeoutMs: Math.round(positiveNumber(config.timeout, 'timeout', defaults.timeoutMs / 1000) * 1000),
    headers,
    decoder: enumSetting<DecoderChoice, DecoderChoice>(config.decoder, 'decoder', ['auto', 'sharp', 'jimp'], defaults.decoder),
    alpha: enumSetting<AlphaMode, AlphaMode>(config.alpha, 'alpha', ['flatten', 'keep'], defaults.alpha),
    background: parseColor(config.background ?? '', 'background') ?? defaults.background,
    damaged: enumSetting(config.damaged, 'damaged', ['refuse', 'tolerate'] as const, 'refuse'),
    ...urlSettings(config),
  };
}

function urlSettings(config: ImageNodeConfig): Pick<IngestOptions, 'allowUrls' | 'urlHosts'> {
  const urlHosts = (config.urlHosts ?? '').split(/[\s,]+/).filter(Boolean);
  if (config.allowUrls === true && urlHosts.length === 0) {
    throw badSetting('urlHosts', 'the camera hosts URLs may be fetched from (e.g. camera.local, 10.0.0.7:8080)', config.urlHosts ?? '');
  }
  return { allowUrls: config.allowUrls === true, urlHosts };
}

export = function register(RED: NodeAPI): void {
  function MlopsImageNode(this: Node<ImageCredentials>, config: ImageNodeConfig) {
    const node = createNode(RED, this, config);
    const settings = readSettings(node, () => ({
      options: ingestOptions(config, node.credentials ?? {}),
      maxInFlight: nonNegativeInteger(config.maxInFlight, 'maxInFlight', 0),
    }));
    const sharp = settings?.options.decoder === 'auto' ? trySharp() : undefined;
    if (sharp && !sharp.module) {
      // Works, but several times slower and without WebP/AVIF: say so once rather than on every message.
      node.warn(RED._('mlops-image.warn.jimpFallback', { reason: sharp.error?.message.split('\n')[0] ?? '' }));
    }
    const gate = config.model ? admissionFor(config.model) : undefined;
    const bytesOnlyFromHttp = config.httpBytesOnly !== false;
    const previews = usePreviews(RED, node, 'image', config.showPreview, { sharpWarned: sharp !== undefined && !sharp.module });

    onInput(node, async (msg, send) => {
      if (!settings) return; // unreachable: invalid settings are a configuration error, which onInput reports
      // Before any reading or decoding: a refused message costs (almost) nothing.
      try {
        if (gate && settings.maxInFlight > 0) gate.admit(String(msg._msgid), settings.maxInFlight);
      } catch (err) {
        // For an HTTP flow's Retry-After: msg.error carries only message and code.
        if (isPipelineError(err)) msg.retryAfter = err.details.retryAfterS;
        throw err;
      }
      const fromHttp = msg.req !== undefined && msg.req !== null;
      let decoded: Awaited<ReturnType<typeof ingestImage>>;
      try {
        decoded = await ingestImage(msg.payload, { ...settings.options, bytesOnly: fromHttp && bytesOnlyFromHttp });
      } catch (err) {
        releaseAdmission(config.model, msg._msgid);
        throw err;
      }
      const { image, timings } = decoded;
      msg.image = image;
      addTimings(msg, timings);
      const ownMs = (timings.fetch ?? 0) + timings.decode;
      node.status(withMs(RED, 'mlops-image',
        readyStatus(RED._('mlops-image.status.decoded', { width: image.width, height: image.height, format: image.format })), ownMs));
      send(msg);
      previews?.offer({ picture: image, msgId: msg._msgid, assetId: msg.assetId, source: { width: image.width, height: image.height } });
    });
  }

  RED.nodes.registerType('mlops-image', MlopsImageNode, {
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
  });
};
