// Finding an ONNX file, reading its description, and explaining why onnxruntime could not load it.
import fs from 'node:fs';
import path from 'node:path';
import { bundledPath, isBundled } from '../bundled';
import { PipelineError } from '../errors';
import { readModelInfo, readModelInfoInWorker, OnnxFormatError, type ModelInfo } from '../onnx';
import type { WarmupInput } from './protocol';

/** The package's root; bundled models live in its models/ folder. */
export { PACKAGE_ROOT } from '../package-root';

export interface PathContext {
  /** Node-RED's userDir: relative paths are relative to it. */
  userDir: string;
  /** Looks up an environment variable for ${NAME} (Node-RED's env, which includes flow and group env). */
  env(name: string): string | undefined;
  packageRoot?: string;
}

/** Absolute path of a model given as an absolute path, a path relative to userDir, `bundled:<name>`, or with ${ENV} parts. */
export function resolveModelPath(spec: string, context: PathContext): string {
  const trimmed = (spec ?? '').trim();
  if (!trimmed) throw new PipelineError('no-path', 'no model file is set; enter the path of an .onnx file in the model configuration');
  const expanded = trimmed.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = context.env(name);
    if (value === undefined || value === '') {
      throw new PipelineError('env-unset', `the model path uses \${${name}}, but the environment variable ${name} is not set; set it or enter the path directly`,
        { name });
    }
    return value;
  });
  if (isBundled(expanded)) return bundledPath(expanded, 'models', context.packageRoot);
  return path.resolve(context.userDir, expanded);
}

/** Reads and describes the file on the calling thread (no session): for tools and tests; nodes use loadModelInfoOffThread. */
export function loadModelInfo(modelPath: string): ModelInfo {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(modelPath);
  } catch (err) {
    throw fileError(err, modelPath);
  }
  try {
    return readModelInfo(bytes);
  } catch (err) {
    throw err instanceof OnnxFormatError ? formatError(err, modelPath) : err;
  }
}

/** The same description read and decoded on a worker thread: a large model's protobuf must not stall the event loop. */
export async function loadModelInfoOffThread(modelPath: string): Promise<ModelInfo> {
  try {
    return await readModelInfoInWorker({ path: modelPath });
  } catch (err) {
    if (err instanceof OnnxFormatError) throw formatError(err, modelPath);
    if (typeof (err as NodeJS.ErrnoException).code === 'string') throw fileError(err, modelPath);
    throw err;
  }
}

function fileError(err: unknown, modelPath: string): PipelineError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new PipelineError('model-not-found', `the model file ${modelPath} does not exist; check the path in the model configuration`,
      { path: modelPath });
  }
  if (code === 'EISDIR') {
    return new PipelineError('model-not-file', `${modelPath} is a folder; enter the path of the .onnx file inside it`, { path: modelPath });
  }
  return new PipelineError('model-unreadable', `the model file ${modelPath} cannot be read (${code ?? (err as Error).message}); check its permissions`,
    { path: modelPath, reason: String(code ?? (err as Error).message) });
}

/** The decisive part first: an interrupted download is not the same mistake as choosing a wrong file. */
export function formatError(err: OnnxFormatError, modelPath: string): PipelineError {
  if (err.problem === 'truncated') {
    return new PipelineError('model-truncated',
      `the model file ends early (incomplete copy: ${err.reason}): ${modelPath}; copy or download the model again`,
      { path: modelPath, reason: err.reason });
  }
  return new PipelineError('not-onnx',
    `the file is not an ONNX model (${err.reason}): ${modelPath}; choose an .onnx file exported from your training framework`,
    { path: modelPath, reason: err.reason });
}

/** Turns onnxruntime's session-creation message into an error that names the cause and the fix. */
export function describeLoadError(message: string, modelPath: string, info?: ModelInfo): PipelineError {
  const opset = info?.opsetVersion ?? 0;
  const noOp = /No Op registered for (\S+) with domain_version of (\d+)/.exec(message);
  const noKernel = /Could not find an implementation for (\S+)\((\d+)\)/.exec(message);
  const badType = /Type '([^']+)' of input parameter \(([^)]*)\) of operator \((\S+?)\)/.exec(message);
  if (noOp || noKernel) {
    const operator = (noOp ?? noKernel)![1]!;
    const version = Number((noOp ?? noKernel)![2]);
    return new PipelineError('unsupported-operator',
      `onnxruntime cannot run operator ${operator} (opset ${version || opset}) of this model; export the model with a different opset ` +
      '(e.g. opset 17) or replace the operator in the export', { operator, opset: version || opset, reason: message });
  }
  if (badType) {
    const [, type, , operator] = badType;
    return new PipelineError('unsupported-operator',
      `onnxruntime cannot run operator ${operator} on ${type} data in this model; export the model with a different opset or data type`,
      { operator: operator!, opset, reason: message });
  }
  if (/external data/i.test(message)) {
    const file = /does not exist: "?([^"]+)"?/.exec(message)?.[1] ?? 'its weights file';
    return new PipelineError('external-data-missing',
      `the model keeps its weights in an external file (${file}) that is missing; copy it next to ${path.basename(modelPath)}`,
      { path: modelPath, file });
  }
  if (/Protobuf parsing failed/i.test(message)) {
    return new PipelineError('not-onnx', `the file is not an ONNX model (onnxruntime: protobuf parsing failed): ${modelPath}; choose an .onnx file`,
      { path: modelPath, reason: 'onnxruntime: protobuf parsing failed' });
  }
  return new PipelineError('load-failed', `onnxruntime could not load ${path.basename(modelPath)}: ${message}`,
    { path: modelPath, reason: message });
}

/** Zeros for every input, symbolic or unknown dimensions taken as 1. */
export function warmupInputs(info: ModelInfo): WarmupInput[] {
  return info.inputs.map((input) => ({
    name: input.name,
    type: input.type,
    dims: input.dims.map((d) => (typeof d === 'number' ? d : 1)),
  }));
}

/** "name version" from the model's metadata, else the file name. */
export function modelDisplayName(info: ModelInfo | undefined, modelPath: string): string {
  const name = info?.metadata.name || path.basename(modelPath, '.onnx');
  const version = info?.metadata.version;
  return version ? `${name} ${version}` : name;
}
