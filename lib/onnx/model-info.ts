// Reads what a runtime and an editor need to know about an ONNX file without running it.
import { onnx, elementTypeName, toNumber, type ElementTypeName } from './proto';

export interface TensorInfo {
  name: string;
  type: ElementTypeName | 'unknown';
  /** Fixed sizes as numbers; symbolic or unknown dimensions as their name or null. */
  dims: (number | string | null)[];
}

export interface ModelInfo {
  irVersion: number;
  /** Version of the default (ai.onnx) operator set. */
  opsetVersion: number;
  producer: string;
  graphName: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** metadata_props as key → value. */
  metadata: Record<string, string>;
  /** Operator types used, with the domain prefixed when it is not ai.onnx (e.g. "com.microsoft.QGemm"). */
  opTypes: string[];
  nodeCount: number;
  /** True when any initializer keeps its data in an external file. */
  usesExternalData: boolean;
}

/** Why bytes are not a usable model: `truncated` when the protobuf ends inside a field (an interrupted copy). */
export type OnnxFormatProblem = 'empty' | 'truncated' | 'not-onnx';

export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
  /** `reason` is the detail alone (e.g. "protobuf decoding failed: …"), without "not an ONNX model" around it. */
  constructor(public readonly problem: OnnxFormatProblem, public readonly reason: string) {
    super(problem === 'empty' ? 'the file is empty, not an ONNX model'
      : problem === 'truncated' ? `the file ends early (incomplete copy; ${reason})`
        : `not an ONNX model (${reason})`);
  }
}

// protobufjs reports a length-delimited field that runs past the end of the bytes as "index out of range: a + b > n".
const ENDS_EARLY = /index out of range/i;

export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  if (bytes.length === 0) throw new OnnxFormatError('empty', 'no bytes');
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const message = (err as Error).message;
    if (ENDS_EARLY.test(message) && looksLikeModelStart(bytes)) {
      throw new OnnxFormatError('truncated', `${bytes.length} bytes, the data runs past them`);
    }
    throw new OnnxFormatError('not-onnx', `protobuf decoding failed: ${message}`);
  }
  // Random bytes sometimes decode as a protobuf; a real model always has a graph and an IR version.
  if (!model.graph || toNumber(model.irVersion) <= 0) {
    throw new OnnxFormatError('not-onnx', 'no graph or IR version found');
  }
  return model;
}

/** Every exporter writes ir_version (field 1, varint: tag byte 0x08) first; text or other binaries do not start so. */
function looksLikeModelStart(bytes: Uint8Array): boolean {
  return bytes[0] === 0x08 && (bytes[1] ?? 0) > 0 && (bytes[1] ?? 0) < 0x20;
}

function tensorInfo(value: onnx.IValueInfoProto): TensorInfo {
  const tensorType = value.type?.tensorType;
  const dims = (tensorType?.shape?.dim ?? []).map((d) => {
    if (d.dimParam) return d.dimParam;
    const size = toNumber(d.dimValue);
    return size > 0 ? size : null;
  });
  return { name: value.name ?? '', type: elementTypeName(tensorType?.elemType), dims };
}

export function describeModel(model: onnx.IModelProto): ModelInfo {
  const graph = model.graph ?? {};
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const opsetEntry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const metadata: Record<string, string> = {};
  for (const prop of model.metadataProps ?? []) if (prop.key) metadata[prop.key] = prop.value ?? '';
  const opTypes = new Set<string>();
  for (const node of graph.node ?? []) {
    opTypes.add(node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : String(node.opType));
  }
  return {
    irVersion: toNumber(model.irVersion),
    opsetVersion: toNumber(opsetEntry?.version),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    graphName: graph.name ?? '',
    // Older exporters list initializers as graph inputs too; they are not inputs a caller feeds.
    inputs: (graph.input ?? []).filter((i) => !initializerNames.has(i.name)).map(tensorInfo),
    outputs: (graph.output ?? []).map(tensorInfo),
    metadata,
    opTypes: [...opTypes].sort(),
    nodeCount: (graph.node ?? []).length,
    usesExternalData: (graph.initializer ?? []).some(
      (t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL,
    ),
  };
}

export function readModelInfo(bytes: Uint8Array): ModelInfo {
  return describeModel(decodeModel(bytes));
}
