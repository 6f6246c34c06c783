// An .onnx file uploaded from the editor into <userDir>/models (never into the package: `npm update` replaces it).
// The request comes from a browser: its name is checked before anything touches the disk, its body is counted while
// it streams to a hidden temporary file (a body larger than the limit is cut off, never held in memory), the bytes
// must decode as an ONNX model, and the file only takes its name with link(2), which fails when the name exists:
// an existing model is never overwritten, not even by two uploads at once.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { PipelineError } from '../errors';
import { formatError } from '../inference/model-source';
import { OnnxFormatError, readModelInfoInWorker, type ModelInfo } from '../onnx';

/** Folder of uploaded models inside Node-RED's user directory; models are referenced as `models/<file>`. */
export const UPLOAD_FOLDER = 'models';
/** Largest model accepted (the editor's Inspect reads models up to 512 MiB; an upload should stay inspectable). */
export const MODEL_UPLOAD_MAX_BYTES = 512 * 1024 * 1024;
export const UPLOAD_CONTENT_TYPE = 'application/octet-stream';

/** A plain file name: letters, digits, . _ - and spaces, starting with a letter or digit, ending .onnx. */
const UPLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,95}\.onnx$/i;

/** The name as given when it can be used, else a PipelineError('bad-upload-name') that quotes it safely. */
export function checkUploadName(name: unknown): string {
  const text = typeof name === 'string' ? name : '';
  if (!UPLOAD_NAME.test(text) || text.includes('..')) {
    // JSON.stringify shows control characters as escapes, so the message cannot carry them into a log or page.
    throw new PipelineError('bad-upload-name',
      `${JSON.stringify(text.slice(0, 120))} cannot be used as a model file name; use a plain name such as my-model.onnx (letters, digits, . _ - and spaces, ending .onnx)`,
      { name: JSON.stringify(text.slice(0, 120)) });
  }
  return text;
}

/** Only raw bytes are accepted: a form or JSON body would be another format around the model. */
export function checkUploadContentType(contentType: unknown): void {
  const type = String(contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== UPLOAD_CONTENT_TYPE) {
    throw new PipelineError('upload-content-type',
      `a model upload must be sent as ${UPLOAD_CONTENT_TYPE} (the .onnx file's bytes), not ${JSON.stringify(type || 'without a content type')}`,
      { received: JSON.stringify(type) });
  }
}

function tooLarge(maxBytes: number): PipelineError {
  return new PipelineError('upload-too-large', `the model is larger than the ${maxBytes} bytes an upload may have; copy it into the user directory instead`, { limit: maxBytes });
}

export interface UploadOptions {
  /** Node-RED's user directory; the file goes to <userDir>/models/<name>. */
  userDir: string;
  name: unknown;
  contentType: unknown;
  /** The Content-Length header, when the client sent one: a body announced as too large is refused unread. */
  declaredBytes?: unknown;
  maxBytes?: number;
}

export interface UploadedModel {
  /** What the model field takes: `models/<name>` (relative to the user directory). */
  ref: string;
  path: string;
  bytes: number;
  sha256: string;
  info: ModelInfo;
}

/** Checks what can be checked before reading the body (name, type, announced size); throws a PipelineError. */
export function checkUploadRequest(options: UploadOptions): string {
  const name = checkUploadName(options.name);
  checkUploadContentType(options.contentType);
  const maxBytes = options.maxBytes ?? MODEL_UPLOAD_MAX_BYTES;
  const declared = Number(options.declaredBytes);
  if (options.declaredBytes !== undefined && Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  return name;
}

/** Receives one upload: the body streams to a temporary file, is checked to be ONNX, then takes its name. */
export async function receiveUpload(body: Readable, options: UploadOptions): Promise<UploadedModel> {
  const name = checkUploadRequest(options);
  const maxBytes = options.maxBytes ?? MODEL_UPLOAD_MAX_BYTES;
  const folder = path.join(options.userDir, UPLOAD_FOLDER);
  const target = path.join(folder, name);
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) return callback(tooLarge(maxBytes));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  // The body is piped by hand, not through pipeline(): an error must not destroy the request, so the answer (413, 422)
  // still reaches the client. What is left of a refused body is not read: the caller closes the connection.
  // Listening starts before the first await, so an interruption at any point is seen.
  const aborted = () => { if (!body.readableEnded) counter.destroy(new PipelineError('upload-aborted', 'the upload was interrupted before the whole file arrived; upload it again', {})); };
  body.once('error', aborted);
  body.once('close', aborted);
  // An error before pipeline() below is attached stays on the stream (counter.errored), and pipeline() rejects with it.
  counter.on('error', () => undefined);
  body.pipe(counter);
  let temporary: string | undefined;
  try {
    await fsp.mkdir(folder, { recursive: true });
    if (fs.existsSync(target)) throw exists(name); // early answer; the link below is what guarantees it
    temporary = path.join(folder, `.upload-${crypto.randomBytes(8).toString('hex')}.part`);
    await pipeline(counter, fs.createWriteStream(temporary, { flags: 'wx', mode: 0o644 }));
    if (bytes === 0) throw new PipelineError('not-onnx', `the uploaded file ${name} is empty, not an ONNX model; choose an .onnx file`, { path: name, reason: 'no bytes' });
    let info: ModelInfo;
    try {
      info = await readModelInfoInWorker({ path: temporary });
    } catch (err) {
      throw err instanceof OnnxFormatError ? formatError(err, name) : err;
    }
    try {
      await fsp.link(temporary, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists(name);
      throw err;
    }
    return { ref: `${UPLOAD_FOLDER}/${name}`, path: target, bytes, sha256: hash.digest('hex'), info };
  } finally {
    body.unpipe(counter);
    counter.destroy();
    body.off('error', aborted);
    body.off('close', aborted);
    body.on('error', () => undefined); // a client that goes away after the answer is not an error of the runtime
    if (temporary) await fsp.rm(temporary, { force: true });
  }
}

function exists(name: string): PipelineError {
  return new PipelineError('model-exists', `a model named ${name} is already in the user directory's ${UPLOAD_FOLDER} folder; rename the file or pick the existing one`, { name });
}
