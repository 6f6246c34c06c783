// The model card the editor shows under Inspect: which model this is (name, version, sha256), how it computes
// (float32, float16, int8 and its weight bits) and the class labels it carries.
import type { ModelInfo } from '../onnx';
import { QUANTIZATION_METADATA_KEY } from '../quantize';
import { isQuantizedOp } from '../quantize/preprocess';
import { parseList } from '../segmentation/palette';

export type Precision = 'float32' | 'float16' | 'int8';

export interface ModelCard {
  name?: string;
  version?: string;
  sha256: string;
  bytes: number;
  precision: Precision;
  /** For int8 models: how they were quantized, as far as the model says. */
  quantization?: {
    /** 'static' / 'dynamic' from this package's quantizer; 'operators' when only the operators show it. */
    mode: 'static' | 'dynamic' | 'operators';
    weightBits?: number;
    activationType?: string;
    sourceVersion?: string;
  };
  labels: string[];
  /** Where the labels came from: the model's metadata, a card or manifest next to it, or nowhere. */
  labelsFrom: 'metadata' | 'card' | 'none';
}

export interface CardExtras {
  sha256: string;
  bytes: number;
  /** Labels and version that a bundled model's card.json or a store manifest gives. */
  labels?: string[];
  version?: string;
}

interface RecordFields { mode?: unknown; weightBits?: unknown; activationType?: unknown; source?: { version?: unknown } }

function quantization(info: ModelInfo): ModelCard['quantization'] {
  const text = info.metadata[QUANTIZATION_METADATA_KEY];
  if (text) {
    try {
      const record = JSON.parse(text) as RecordFields;
      return {
        mode: record.mode === 'dynamic' ? 'dynamic' : 'static',
        ...(typeof record.weightBits === 'number' ? { weightBits: record.weightBits } : {}),
        ...(typeof record.activationType === 'string' ? { activationType: record.activationType } : {}),
        ...(typeof record.source?.version === 'string' ? { sourceVersion: record.source.version } : {}),
      };
    } catch {
      // An unreadable record: the operators still tell.
    }
  }
  return info.opTypes.some((op) => isQuantizedOp(op.replace(/^com\.microsoft\./, ''))) ? { mode: 'operators' } : undefined;
}

/** Labels from the metadata `labels` (a JSON array or a comma list); a malformed list counts as none. */
export function metadataLabels(metadata: Record<string, string>): string[] {
  try {
    return parseList(metadata.labels, 'model metadata labels').filter(Boolean);
  } catch {
    return [];
  }
}

export function modelCard(info: ModelInfo, extras: CardExtras): ModelCard {
  const quantized = quantization(info);
  const float16 = [...info.inputs, ...info.outputs].some((t) => t.type === 'float16');
  const fromMetadata = metadataLabels(info.metadata);
  const labels = fromMetadata.length ? fromMetadata : extras.labels ?? [];
  const version = info.metadata.version || extras.version;
  return {
    ...(info.metadata.name ? { name: info.metadata.name } : {}),
    ...(version ? { version } : {}),
    sha256: extras.sha256,
    bytes: extras.bytes,
    precision: quantized ? 'int8' : float16 ? 'float16' : 'float32',
    ...(quantized ? { quantization: quantized } : {}),
    labels,
    labelsFrom: fromMetadata.length ? 'metadata' : labels.length ? 'card' : 'none',
  };
}
