// mlops-tensor: msg.image → msg.tensor (resize, place, normalise), sized and configured from a model when one is selected.
import type { DecoderChoice } from '../lib/image/libraries';
import type { ModelInfo } from '../lib/onnx';
import {
  imageToTensor, parseColor, parseScale, parseTriple, resolvePreprocessOptions,
  RESIZE_MODES, type ColorOrder, type ExplicitOptions, type PreprocessOptions, type ResizeMode,
} from '../lib/tensor';
import type { TensorElementType, TensorLayout } from '../lib/contract';
import { badSetting, enumSetting, positiveInteger } from '../lib/settings';
import { releaseAdmission } from '../lib/inference/admission';
import type { Node, NodeAPI, NodeDefinition } from './shared/red';
import { readyStatus } from './shared/status';
import { createNode, onInput, readSettings, useModel } from './shared/template';
import { addTimings, withMs } from './shared/timings';

interface TensorNodeConfig extends NodeDefinition {
  model?: string;
  inputName?: string;
  width?: string | number;
  height?: string | number;
  resizeMode?: string;
  /** Before 0.2 the setting was `resize`, a name the editor also uses for its redraw flag (then `false`). */
  resize?: unknown;
  padColor?: string;
  colorOrder?: string;
  layout?: string;
  dataType?: string;
  scale?: string;
  mean?: string;
  std?: string;
  resizer?: string;
}

/** `resizeMode`, else the old `resize` when it is one of the modes (flows saved before the rename); else empty. */
function configuredResizeMode(config: TensorNodeConfig): unknown {
  if (config.resizeMode !== undefined && config.resizeMode !== '') return config.resizeMode;
  return typeof config.resize === 'string' && (RESIZE_MODES as readonly string[]).includes(config.resize) ? config.resize : undefined;
}

/** The settings the user made; empty fields are left to the model's metadata or the defaults. */
function explicitOptions(config: TensorNodeConfig): ExplicitOptions {
  const std = parseTriple(config.std ?? '', 'std');
  if (std?.some((s) => s === 0)) throw badSetting('std', 'numbers other than 0', config.std);
  return {
    inputName: config.inputName?.trim() || undefined,
    width: positiveInteger(config.width, 'width', undefined),
    height: positiveInteger(config.height, 'height', undefined),
    resize: enumSetting<ResizeMode, ResizeMode>(configuredResizeMode(config), 'resizeMode', RESIZE_MODES, 'fill'),
    padColor: parseColor(config.padColor ?? '', 'padColor'),
    colorOrder: enumSetting<ColorOrder, undefined>(config.colorOrder, 'colorOrder', ['RGB', 'BGR'], undefined),
    layout: enumSetting<TensorLayout | 'auto', 'auto'>(config.layout, 'layout', ['auto', 'NCHW', 'NHWC'], 'auto'),
    type: enumSetting<TensorElementType, undefined>(config.dataType, 'dataType', ['float32', 'uint8'], undefined),
    scale: parseScale(config.scale ?? ''),
    mean: parseTriple(config.mean ?? '', 'mean'),
    std,
    resizer: enumSetting<DecoderChoice, DecoderChoice>(config.resizer, 'resizer', ['auto', 'sharp', 'jimp'], 'auto'),
  };
}

export = function register(RED: NodeAPI): void {
  function MlopsTensorNode(this: Node, config: TensorNodeConfig) {
    const node = createNode(RED, this, config);
    const explicit = readSettings(node, () => explicitOptions(config));
    const modelNode = useModel(RED, node, config.model, { optional: true });
    // Options depend only on the config and the model's description: resolve once per loaded model.
    let resolved: { info: ModelInfo | undefined; options: PreprocessOptions } | undefined;

    async function currentOptions(settings: ExplicitOptions): Promise<PreprocessOptions> {
      const info = modelNode ? await modelNode.ready() : undefined;
      if (!resolved || resolved.info !== info) resolved = { info, options: resolvePreprocessOptions(settings, info) };
      return resolved.options;
    }

    onInput(node, async (msg, send) => {
      if (!explicit) return; // unreachable: invalid settings are a configuration error, which onInput reports
      const options = await currentOptions(explicit);
      const started = performance.now();
      const tensor = await imageToTensor(msg.image as Parameters<typeof imageToTensor>[0], options);
      msg.tensor = tensor;
      const preprocess = performance.now() - started;
      addTimings(msg, { preprocess });
      node.status(withMs(RED, 'mlops-tensor', readyStatus(RED._('mlops-tensor.status.ready', { dims: tensor.dims.join('x'), type: tensor.type })), preprocess));
      send(msg);
    }, (msg) => releaseAdmission(config.model, msg._msgid)); // a failed message will not reach the model
  }

  RED.nodes.registerType('mlops-tensor', MlopsTensorNode);
};
