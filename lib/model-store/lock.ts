// One writer at a time per store, across processes: a lock file created with O_EXCL that names its owner.
// A lock left by a killed process (its pid no longer runs on this host) is broken by the next writer.
import fs from 'node:fs';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { PipelineError } from '../errors';

interface LockOwner { pid: number; host: string; since: string }

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function tryCreate(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'wx', 0o644);
    fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() } satisfies LockOwner));
    fs.closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Breaks the lock when its owner is gone; renaming first means two breakers cannot both delete a fresh lock. */
function breakIfStale(file: string): void {
  const owner = readOwner(file);
  // An unreadable lock is being written right now (open + write are not one step): leave it.
  if (!owner || owner.host !== os.hostname() || alive(owner.pid)) return;
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return;
  }
  const moved = readOwner(aside);
  if (moved && moved.pid === owner.pid && moved.since === owner.since) fs.rmSync(aside, { force: true });
  else {
    // Someone else's fresh lock was moved: put it back unless yet another writer holds the lock now.
    try { fs.linkSync(aside, file); } catch { /* a third writer owns it: theirs stands */ }
    fs.rmSync(aside, { force: true });
  }
}

export async function withLock<T>(file: string, timeoutMs: number, work: () => Promise<T> | T): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let wait = 10;
  while (!tryCreate(file)) {
    breakIfStale(file);
    if (Date.now() > deadline) {
      const owner = readOwner(file);
      throw new PipelineError('store-locked',
        `the model store is locked by process ${owner?.pid ?? '?'} since ${owner?.since ?? '?'}; wait for it to finish, ` +
        `or delete ${file} if that process is gone`, { path: file });
    }
    await delay(wait);
    wait = Math.min(wait * 2, 200);
  }
  try {
    return await work();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
