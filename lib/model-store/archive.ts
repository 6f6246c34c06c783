// Reads what the store accepts: a bare .onnx, or a .tar / .tar.gz / .zip bundle, recognised by content (thin-edge
// passes downloads without an extension). Only regular files are taken; links, devices and unsafe paths are refused.
import path from 'node:path';
import zlib from 'node:zlib';
import { PipelineError } from '../errors';

export type ArtefactFormat = 'onnx' | 'tar' | 'tar.gz' | 'zip';

export interface Artefact {
  format: ArtefactFormat;
  /** Bundle files by their path inside the bundle (one top-level folder stripped); a bare model as "model.onnx". */
  files: Map<string, Buffer>;
}

/** Unpacked bundles larger than this are refused (a decompression bomb must not fill the disk). */
export const MAX_UNPACKED_BYTES = 4 * 2 ** 30;

function refuse(message: string, details: Record<string, string | number> = {}): PipelineError {
  return new PipelineError('store-bad-bundle', message, details);
}

const isGzip = (b: Buffer) => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;
const isZip = (b: Buffer) => b.length > 4 && b.readUInt32LE(0) === 0x04034b50;
const isTar = (b: Buffer) => b.length >= 512 && b.toString('latin1', 257, 262) === 'ustar';

export function readArtefact(bytes: Buffer): Artefact {
  if (isGzip(bytes)) {
    let inner: Buffer;
    try {
      inner = zlib.gunzipSync(bytes, { maxOutputLength: MAX_UNPACKED_BYTES });
    } catch (err) {
      throw refuse(`the file is gzip-compressed but cannot be decompressed (${(err as Error).message}); upload a valid .tar.gz`);
    }
    if (!isTar(inner)) throw refuse('the file is gzip-compressed but does not hold a tar archive; upload a .tar.gz of the model folder');
    return { format: 'tar.gz', files: stripTopFolder(readTar(inner)) };
  }
  if (isZip(bytes)) return { format: 'zip', files: stripTopFolder(readZip(bytes)) };
  if (isTar(bytes)) return { format: 'tar', files: stripTopFolder(readTar(bytes)) };
  return { format: 'onnx', files: new Map([['model.onnx', bytes]]) };
}

function safePath(raw: string): string {
  const name = raw.replace(/\\/g, '/').replace(/^\.\//, '');
  const normal = path.posix.normalize(name);
  if (!name || path.posix.isAbsolute(name) || normal.startsWith('..') || normal.split('/').some((p) => p === '..')) {
    throw refuse(`the bundle contains the unsafe path "${raw}"; bundle files must be relative paths inside the bundle`, { path: raw });
  }
  return normal.replace(/\/$/, '');
}

/** `mymodel/model.onnx` and `model.onnx` are the same bundle: drop a single folder every file sits in. */
function stripTopFolder(files: Map<string, Buffer>): Map<string, Buffer> {
  const names = [...files.keys()];
  const first = names[0]?.split('/')[0];
  if (!first || !names.every((n) => n.startsWith(`${first}/`))) return files;
  return new Map([...files].map(([n, b]) => [n.slice(first.length + 1), b]));
}

function tarNumber(field: Buffer): number {
  if ((field[0]! & 0x80) !== 0) { // base-256 for sizes of 8 GiB and more
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}

function cString(buf: Buffer, start: number, length: number): string {
  const text = buf.toString('utf8', start, start + length);
  const end = text.indexOf('\0');
  return end < 0 ? text : text.slice(0, end);
}

function paxPath(data: Buffer): string | undefined {
  // Records are "<length> key=value\n".
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = parseInt(data.toString('latin1', offset, space), 10);
    if (space < 0 || !(length > 0)) break;
    const record = data.toString('utf8', space + 1, offset + length - 1);
    if (record.startsWith('path=')) return record.slice(5);
    offset += length;
  }
  return undefined;
}

function readTar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  let total = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = tarNumber(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + 512;
    if (dataStart + size > tar.length) throw refuse('the tar archive is truncated; upload the complete file');
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'x') { longName = paxPath(data) ?? longName; continue; }
    if (type === 'L') { longName = cString(data, 0, data.length); continue; }
    if (type === 'g') continue;
    const prefix = cString(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100));
    longName = undefined;
    if (type === '5') { safePath(name); continue; }
    if (type !== '0' && type !== '7') {
      throw refuse(`the bundle entry "${name}" is a link or special file; bundles may hold regular files only`, { path: name });
    }
    total += size;
    if (total > MAX_UNPACKED_BYTES) throw refuse('the bundle unpacks to more than 4 GiB; that is not a model bundle');
    files.set(safePath(name), Buffer.from(data));
  }
  return files;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function readZip(zip: Buffer): Map<string, Buffer> {
  // The end-of-central-directory record is in the last 22 + 65535 bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw refuse('the zip archive has no central directory (truncated?); upload the complete file');
  const count = zip.readUInt16LE(eocd + 10);
  let entry = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || entry === 0xffffffff) throw refuse('zip64 archives are not supported; use a .tar.gz for bundles over 4 GiB');
  const files = new Map<string, Buffer>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (entry + 46 > zip.length || zip.readUInt32LE(entry) !== 0x02014b50) throw refuse('the zip central directory is damaged');
    const method = zip.readUInt16LE(entry + 10);
    const crc = zip.readUInt32LE(entry + 16);
    const compressed = zip.readUInt32LE(entry + 20);
    const size = zip.readUInt32LE(entry + 24);
    const nameLength = zip.readUInt16LE(entry + 28);
    const extraLength = zip.readUInt16LE(entry + 30);
    const commentLength = zip.readUInt16LE(entry + 32);
    const unixMode = zip.readUInt32LE(entry + 38) >>> 16;
    const local = zip.readUInt32LE(entry + 42);
    const name = zip.toString('utf8', entry + 46, entry + 46 + nameLength);
    entry += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) { safePath(name); continue; }
    if ((unixMode & 0o170000) === 0o120000) throw refuse(`the bundle entry "${name}" is a symbolic link; bundles may hold regular files only`, { path: name });
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) throw refuse(`the zip entry "${name}" is damaged`, { path: name });
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataStart, dataStart + compressed);
    total += size;
    if (total > MAX_UNPACKED_BYTES) throw refuse('the bundle unpacks to more than 4 GiB; that is not a model bundle');
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
      } catch (err) {
        throw refuse(`the zip entry "${name}" cannot be decompressed (${(err as Error).message})`, { path: name });
      }
    } else throw refuse(`the zip entry "${name}" uses compression method ${method}; use deflate or store`, { path: name });
    if (data.length !== size || crc32(data) !== crc) throw refuse(`the zip entry "${name}" is corrupt (size or CRC mismatch)`, { path: name });
    files.set(safePath(name), data);
  }
  return files;
}
