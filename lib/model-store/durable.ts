// Crash-safe file operations: write next to the target, fsync, rename, fsync the directory.
// A rename within one file system is atomic, so a reader (or a power cut) sees the old or the new state.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes and fsyncs a file (mode 0644: the store is written by root and read by Node-RED's user). */
export function writeDurable(file: string, data: Uint8Array | string): void {
  const fd = fs.openSync(file, 'w', 0o644);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(file, 0o644);
}

export const tempName = (prefix: string): string => `${prefix}${process.pid}-${crypto.randomBytes(4).toString('hex')}`;

/** Replaces `file` atomically with `data`. */
export function replaceFileAtomic(file: string, data: string): void {
  const dir = path.dirname(file);
  const temp = path.join(dir, tempName('.tmp-'));
  writeDurable(temp, data);
  fs.renameSync(temp, file);
  fsyncDir(dir);
}

/** Moves a finished directory into place atomically (the target must not exist). */
export function renameDurable(from: string, to: string): void {
  fs.renameSync(from, to);
  fsyncDir(path.dirname(to));
}

/** Removes a directory so that no half-removed version is ever visible: rename it to a dot name first. */
export function removeDirAtomic(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const trash = path.join(path.dirname(dir), tempName('.trash-'));
  fs.renameSync(dir, trash);
  fsyncDir(path.dirname(dir));
  fs.rmSync(trash, { recursive: true, force: true });
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

// The same operations on libuv's thread pool, for writers on the event loop's path (mlops-collect): the loop stays free
// while the disk syncs, and the promise resolves once the data is where a power cut cannot take it.

export async function fsyncDirAsync(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeDurableAsync(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fsp.open(file, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.chmod(file, 0o644);
}

export async function replaceFileAtomicAsync(file: string, data: string): Promise<void> {
  const temp = path.join(path.dirname(file), tempName('.tmp-'));
  await writeDurableAsync(temp, data);
  await fsp.rename(temp, file);
  await fsyncDirAsync(path.dirname(file));
}

export async function removeDirAtomicAsync(dir: string): Promise<void> {
  const trash = path.join(path.dirname(dir), tempName('.trash-'));
  try {
    await fsp.rename(dir, trash);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await fsyncDirAsync(path.dirname(dir));
  await fsp.rm(trash, { recursive: true, force: true });
}
