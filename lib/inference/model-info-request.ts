// The editor's "inspect this model" request (GET /edge-mlops/model-info?path=…), answered safely: the path comes
// from a client, so it is confined to the places models live (the user directory, the bundled models, the model
// store), never expanded with ${ENV} (the value of a secret would come back in the error), read only when it is a
// regular file no bigger than a limit, and read asynchronously with a non-blocking open (a FIFO or a device must not
// freeze the runtime). Paths outside the roots get one answer whether they exist or not: no existence oracle.
import crypto from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../errors';
import { OnnxFormatError, readModelInfoInWorker, type ModelInfo } from '../onnx';
import { formatError, PACKAGE_ROOT } from './model-source';

/** Largest model the editor may have described (the whole file is parsed in memory). */
export const MODEL_INFO_MAX_BYTES = 512 * 1024 * 1024;

const BUNDLED_PREFIX = 'bundled:';

/**
 * Further directories whose models the editor may inspect. The model store (issue 12) adds its directory here with
 * addModelInfoRoot(dir) when it starts; nothing else should.
 */
const extraRoots = new Set<string>();

export function addModelInfoRoot(dir: string): void {
  extraRoots.add(path.resolve(dir));
}

export function removeModelInfoRoot(dir: string): void {
  extraRoots.delete(path.resolve(dir));
}

/** Where models may be inspected from: the user directory, the bundled models folder and any added root. */
export function modelInfoRoots(userDir: string, packageRoot = PACKAGE_ROOT): string[] {
  return [path.resolve(userDir), path.join(packageRoot, 'models'), ...extraRoots];
}

const within = (root: string, target: string) => {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

export interface ModelInfoAnswer {
  info: ModelInfo;
  path: string;
  /** sha256 (hex) and size of the file as read, for the model card. */
  sha256: string;
  bytes: number;
}

/** HTTP status for each refusal of this request. */
export const MODEL_INFO_STATUS: Record<string, number> = {
  'no-path': 400, 'env-in-path': 400, 'bad-bundled-name': 400, 'path-not-allowed': 403, 'model-not-found': 404,
  'model-not-file': 422, 'not-onnx': 422, 'model-truncated': 422, 'model-too-large': 413, 'model-unreadable': 403,
};

export async function inspectModelRequest(spec: unknown, userDir: string, options: { packageRoot?: string; maxBytes?: number } = {}): Promise<ModelInfoAnswer> {
  const text = typeof spec === 'string' ? spec.trim() : '';
  if (!text) throw new PipelineError('no-path', 'no model file is set; enter the path of an .onnx file in the model configuration');
  if (text.includes('${')) {
    throw new PipelineError('env-in-path', 'the editor cannot inspect a path with ${…} (environment variables are not expanded for requests); it is resolved when the flow is deployed', {});
  }
  const roots = modelInfoRoots(userDir, options.packageRoot);
  let requested: string;
  if (text.startsWith(BUNDLED_PREFIX)) {
    const name = text.slice(BUNDLED_PREFIX.length);
    if (!name || name.includes('..') || path.isAbsolute(name)) {
      throw new PipelineError('bad-bundled-name', `"${text}" does not name a bundled model; use bundled:<file name in the package's models folder>`, { path: text });
    }
    requested = path.join(roots[1]!, name);
  } else {
    requested = path.resolve(userDir, text);
  }
  const notAllowed = () => new PipelineError('path-not-allowed',
    `only models in the user directory, the bundled models or the model store can be inspected from the editor; "${text}" is not one of them`, { path: text });
  // Refused before the file system is asked, so the answer says nothing about what exists outside the roots.
  if (!roots.some((root) => within(root, requested))) throw notAllowed();
  let real: string;
  try {
    real = await fs.realpath(requested);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PipelineError('model-not-found', `the model file ${requested} does not exist; check the path in the model configuration`, { path: requested });
    throw new PipelineError('model-unreadable', `the model file ${requested} cannot be read (${code ?? 'error'}); check its permissions`, { path: requested, reason: String(code) });
  }
  const realRoots = await Promise.all(roots.map((root) => fs.realpath(root).catch(() => root)));
  if (!realRoots.some((root) => within(root, real))) throw notAllowed();
  return { ...await readRegularModel(real, requested, options.maxBytes ?? MODEL_INFO_MAX_BYTES), path: requested };
}

async function readRegularModel(real: string, shown: string, maxBytes: number): Promise<Omit<ModelInfoAnswer, 'path'>> {
  const notFile = () => new PipelineError('model-not-file', `${shown} is not a regular file; enter the path of an .onnx file`, { path: shown });
  if (!(await fs.stat(real)).isFile()) throw notFile();
  // O_NONBLOCK: if the file was swapped for a FIFO since the stat, open returns at once instead of waiting for a writer.
  const handle = await fs.open(real, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
    throw new PipelineError('model-unreadable', `the model file ${shown} cannot be read (${err.code ?? 'error'}); check its permissions`, { path: shown, reason: String(err.code) });
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notFile();
    if (stat.size > maxBytes) {
      throw new PipelineError('model-too-large', `${shown} is ${stat.size} bytes, more than the ${maxBytes} bytes the editor inspects`, { path: shown, size: stat.size, limit: maxBytes });
    }
    const bytes = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    const read = offset === bytes.length ? bytes : bytes.subarray(0, offset);
    // Hashed before the bytes are handed over to the worker (transferred, not copied).
    const sha256 = crypto.createHash('sha256').update(read).digest('hex');
    try {
      return { info: await readModelInfoInWorker({ bytes: read }), sha256, bytes: read.length };
    } catch (err) {
      if (err instanceof OnnxFormatError) throw formatError(err, shown);
      throw err;
    }
  } finally {
    await handle.close();
  }
}
